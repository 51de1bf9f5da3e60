/*
 * xslt_shim.c - the C half of `crate::render::xslt`.
 *
 * Everything that needs C-variadic callbacks, libxslt struct fields or
 * libxml2 globals lives here; Rust only sees the small `ux_*` API below.
 *
 * Error reporting: every ux_* entry point receives a `ux_msgs` buffer owned
 * by the caller.  For the duration of the call a thread-local pointer refers
 * to it, and the libxml2 / libxslt error handlers installed here append
 * formatted messages to it.  Outside of a ux_* call messages are dropped:
 * nothing is ever written to stderr.
 *
 * Security policy (applied at stylesheet compile time *and* transform time):
 *   - writing files, creating directories, network reads and writes: refused;
 *   - reading files: only regular files whose canonical path lies inside the
 *     canonical include directory of the stylesheet; no include directory
 *     means no file reads at all (document('') on the stylesheet itself is
 *     served from memory by libxslt and needs no read);
 *   - external entities / DTDs are never loaded (a process-wide entity loader
 *     that refuses everything), no network access (XML_PARSE_NONET).
 */
#define _XOPEN_SOURCE 700

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include <libxml/globals.h>
#include <libxml/hash.h>
#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#include <libxml/uri.h>
#include <libxml/xmlerror.h>
#include <libxml/xmlmemory.h>

#include <libxslt/documents.h>
#include <libxslt/imports.h>
#include <libxslt/security.h>
#include <libxslt/transform.h>
#include <libxslt/variables.h>
#include <libxslt/xslt.h>
#include <libxslt/xsltInternals.h>
#include <libxslt/xsltutils.h>

#include <libexslt/exslt.h>

/* Options for every document we parse: substitute (internal) entities, never
 * touch the network, merge CDATA into text.  External entities are blocked
 * by ux_entity_loader, external DTD subsets are not loaded (no DTDLOAD). */
#define UX_PARSE_OPTIONS (XML_PARSE_NOENT | XML_PARSE_NONET | XML_PARSE_NOCDATA)

/* Cap on collected diagnostics per call. */
#define UX_MSG_LIMIT ((size_t)64 * 1024)
/* Cap on a file read through document()/xsl:include. */
#define UX_MAX_FILE ((off_t)64 * 1024 * 1024)
/* Template recursion limit (libxslt's default, 3000, can exhaust a 2 MiB
 * thread stack before libxslt notices). */
#ifndef UX_MAX_TEMPLATE_DEPTH
#define UX_MAX_TEMPLATE_DEPTH 1000
#endif

/* Limits of one transformation: what libxml2 may allocate while it runs
 * (counted, not live: a bound on the output size and on runaway templates),
 * and how long it may run. A transformation that passes one is stopped
 * (XSLT_STATE_STOPPED) and fails with UX_ERR_LIMIT. */
#ifndef UX_MAX_ALLOC_BYTES
#define UX_MAX_ALLOC_BYTES ((size_t)256 * 1024 * 1024)
#endif
#ifndef UX_MAX_SECONDS
#define UX_MAX_SECONDS 5
#endif

/* Status codes shared with Rust. */
#define UX_OK 0
#define UX_ERR_PARSE 1     /* stylesheet is not well-formed XML */
#define UX_ERR_COMPILE 2   /* stylesheet is XML but not a usable XSLT */
#define UX_ERR_INPUT 3     /* input document is not well-formed XML */
#define UX_ERR_TRANSFORM 4 /* the transformation failed or was refused */
#define UX_ERR_LIMIT 5     /* stopped: the size or time limit was reached */

/* Layout shared with Rust (`ffi::Msgs`). */
typedef struct ux_msgs {
    char *data;    /* NUL-terminated, malloc'ed, may be NULL */
    size_t len;
    size_t cap;
    int truncated; /* messages beyond UX_MSG_LIMIT were dropped */
    int refused;   /* a security check refused an access */
} ux_msgs;

/* A compiled stylesheet plus the policy it was compiled with. */
typedef struct ux_sheet {
    xsltStylesheetPtr style;
    char *include_dir; /* canonical, no trailing '/', or NULL */
} ux_sheet;

static __thread ux_msgs *ux_cur_msgs;
static __thread const char *ux_cur_dir;

static xsltSecurityPrefsPtr ux_prefs;

/* The transformation running on this thread, and what it has used. */
static __thread xsltTransformContextPtr ux_lim_ctxt;
static __thread size_t ux_lim_bytes;
static __thread unsigned long ux_lim_calls;
static __thread struct timespec ux_lim_deadline;
static __thread int ux_lim_hit; /* 0, 1 = size, 2 = time */

/* ------------------------------------------------------------------ */
/* Limits: libxml2's allocator, counted per thread                     */
/* ------------------------------------------------------------------ */

/* Counts an allocation of the running transformation; 0 = refuse it (far
 * beyond the limit: the engine did not stop in time). */
static int ux_lim_count(size_t n) {
    struct timespec now;
    if (ux_lim_ctxt == NULL)
        return 1;
    ux_lim_bytes += n;
    if (ux_lim_hit == 0 && ux_lim_bytes > UX_MAX_ALLOC_BYTES)
        ux_lim_hit = 1;
    if (ux_lim_hit == 0 && (++ux_lim_calls & 255) == 0 &&
        clock_gettime(CLOCK_MONOTONIC, &now) == 0 &&
        (now.tv_sec > ux_lim_deadline.tv_sec ||
         (now.tv_sec == ux_lim_deadline.tv_sec && now.tv_nsec > ux_lim_deadline.tv_nsec)))
        ux_lim_hit = 2;
    if (ux_lim_hit != 0)
        ux_lim_ctxt->state = XSLT_STATE_STOPPED;
    return ux_lim_bytes <= 2 * UX_MAX_ALLOC_BYTES;
}

static void *ux_malloc(size_t n) { return ux_lim_count(n) ? malloc(n) : NULL; }
static void *ux_realloc(void *p, size_t n) { return ux_lim_count(n) ? realloc(p, n) : NULL; }
static char *ux_strdup(const char *s) { return ux_lim_count(strlen(s) + 1) ? strdup(s) : NULL; }

static void ux_lim_start(xsltTransformContextPtr ctxt) {
    ux_lim_bytes = 0;
    ux_lim_calls = 0;
    ux_lim_hit = 0;
    clock_gettime(CLOCK_MONOTONIC, &ux_lim_deadline);
    ux_lim_deadline.tv_sec += UX_MAX_SECONDS;
    ux_lim_ctxt = ctxt;
}

/* ------------------------------------------------------------------ */
/* Message collection                                                  */
/* ------------------------------------------------------------------ */

static void ux_append(const char *s, size_t n) {
    ux_msgs *m = ux_cur_msgs;
    if (m == NULL || m->truncated || n == 0)
        return;
    if (m->len + n > UX_MSG_LIMIT) {
        n = UX_MSG_LIMIT - m->len;
        m->truncated = 1;
    }
    if (m->len + n + 1 > m->cap) {
        size_t cap = m->cap ? m->cap : 256;
        while (cap < m->len + n + 1)
            cap *= 2;
        char *p = realloc(m->data, cap);
        if (p == NULL) {
            m->truncated = 1;
            return;
        }
        m->data = p;
        m->cap = cap;
    }
    memcpy(m->data + m->len, s, n);
    m->len += n;
    m->data[m->len] = '\0';
}

static void ux_vappendf(const char *fmt, va_list ap) {
    char small[512];
    va_list ap2;
    int n;

    if (ux_cur_msgs == NULL || fmt == NULL)
        return;
    va_copy(ap2, ap);
    n = vsnprintf(small, sizeof small, fmt, ap);
    if (n >= 0 && (size_t)n < sizeof small) {
        ux_append(small, (size_t)n);
    } else if (n > 0) {
        char *big = malloc((size_t)n + 1);
        if (big != NULL) {
            vsnprintf(big, (size_t)n + 1, fmt, ap2);
            ux_append(big, (size_t)n);
            free(big);
        }
    }
    va_end(ap2);
}

static void ux_appendf(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    ux_vappendf(fmt, ap);
    va_end(ap);
}

/* xmlGenericErrorFunc / xsltGenericError / transform-context error func. */
static void ux_generic_error(void *ctx, const char *msg, ...) {
    va_list ap;
    (void)ctx;
    va_start(ap, msg);
    ux_vappendf(msg, ap);
    va_end(ap);
}

static void ux_discard(void *ctx, const char *msg, ...) {
    (void)ctx;
    (void)msg;
}

static const char *ux_domain_name(int domain) {
    switch (domain) {
    case XML_FROM_PARSER: return "parser";
    case XML_FROM_NAMESPACE: return "namespace";
    case XML_FROM_XPATH: return "XPath";
    case XML_FROM_XPOINTER: return "XPointer";
    case XML_FROM_IO: return "I/O";
    case XML_FROM_XSLT: return "XSLT";
    case XML_FROM_MEMORY: return "memory";
    case XML_FROM_DTD: return "DTD";
    case XML_FROM_TREE: return "tree";
    case XML_FROM_OUTPUT: return "output";
    case XML_FROM_I18N: return "encoding";
    default: return "libxml2";
    }
}

/* libxml2 structured errors: carry file and line, unlike the generic path. */
static void ux_structured_error(void *user, xmlErrorPtr e) {
    const char *msg, *dom, *lvl;
    size_t ml;

    (void)user;
    if (e == NULL || ux_cur_msgs == NULL)
        return;
    msg = e->message ? e->message : "(no message)";
    ml = strlen(msg);
    while (ml > 0 && (msg[ml - 1] == '\n' || msg[ml - 1] == '\r'))
        ml--;
    if (ml > INT_MAX)
        ml = INT_MAX;
    dom = ux_domain_name(e->domain);
    lvl = e->level == XML_ERR_WARNING ? "warning" : "error";

    if (e->file != NULL && e->line > 0)
        ux_appendf("%s:%d: %s %s: %.*s\n", e->file, e->line, dom, lvl, (int)ml, msg);
    else if (e->file != NULL)
        ux_appendf("%s: %s %s: %.*s\n", e->file, dom, lvl, (int)ml, msg);
    else if (e->line > 0)
        ux_appendf("line %d: %s %s: %.*s\n", e->line, dom, lvl, (int)ml, msg);
    else
        ux_appendf("%s %s: %.*s\n", dom, lvl, (int)ml, msg);

    if (e->domain == XML_FROM_XPATH && e->str1 != NULL)
        ux_appendf("  in XPath expression: %s\n", e->str1);
}

typedef struct ux_saved {
    ux_msgs *msgs;
    const char *dir;
    xmlGenericErrorFunc gfunc;
    void *gctx;
    xmlStructuredErrorFunc sfunc;
    void *sctx;
} ux_saved;

/* Route this thread's libxml2 errors into `msgs` and set the read policy. */
static void ux_enter(ux_saved *s, ux_msgs *msgs, const char *dir) {
    s->msgs = ux_cur_msgs;
    s->dir = ux_cur_dir;
    s->gfunc = xmlGenericError;
    s->gctx = xmlGenericErrorContext;
    s->sfunc = xmlStructuredError;
    s->sctx = xmlStructuredErrorContext;
    ux_cur_msgs = msgs;
    ux_cur_dir = dir;
    xmlSetGenericErrorFunc(NULL, ux_generic_error);
    xmlSetStructuredErrorFunc(NULL, ux_structured_error);
}

static void ux_leave(const ux_saved *s) {
    xmlSetStructuredErrorFunc(s->sctx, s->sfunc);
    xmlSetGenericErrorFunc(s->gctx, s->gfunc);
    ux_cur_msgs = s->msgs;
    ux_cur_dir = s->dir;
}

static void ux_mark_refused(void) {
    if (ux_cur_msgs != NULL)
        ux_cur_msgs->refused = 1;
}

/* ------------------------------------------------------------------ */
/* Read policy                                                         */
/* ------------------------------------------------------------------ */

/* Canonical path of `path` if reading it is allowed, else NULL (malloc'ed). */
static char *ux_resolve_allowed(const char *path) {
    const char *dir = ux_cur_dir;
    char *joined = NULL, *real;
    size_t dl;
    struct stat st;
    int inside;

    if (dir == NULL) {
        ux_appendf("read of '%s' refused: file access is disabled for this stylesheet\n",
                   path ? path : "(null)");
        return NULL;
    }
    if (path == NULL || path[0] == '\0') {
        ux_appendf("read refused: empty path\n");
        return NULL;
    }
    if (path[0] != '/') {
        size_t n = strlen(dir) + 1 + strlen(path) + 1;
        joined = malloc(n);
        if (joined == NULL)
            return NULL;
        snprintf(joined, n, "%s/%s", dir, path);
    }
    real = realpath(joined ? joined : path, NULL);
    free(joined);
    if (real == NULL) {
        ux_appendf("read of '%s' refused: %s\n", path, strerror(errno));
        return NULL;
    }
    dl = strlen(dir);
    inside = (dl == 1 && dir[0] == '/') ||
             (strncmp(real, dir, dl) == 0 && real[dl] == '/');
    if (!inside) {
        ux_appendf("read of '%s' refused: '%s' is outside the include directory '%s'\n",
                   path, real, dir);
        free(real);
        return NULL;
    }
    if (stat(real, &st) != 0 || !S_ISREG(st.st_mode)) {
        ux_appendf("read of '%s' refused: not a regular file\n", path);
        free(real);
        return NULL;
    }
    return real;
}

/* Local path named by a URI (file: or scheme-less, no remote host), or NULL. */
static char *ux_uri_to_path(const xmlChar *uri_str) {
    xmlURIPtr uri = xmlParseURI((const char *)uri_str);
    char *path = NULL;

    if (uri == NULL)
        return NULL;
    if ((uri->scheme == NULL || strcasecmp(uri->scheme, "file") == 0) &&
        (uri->server == NULL || uri->server[0] == '\0' ||
         strcasecmp(uri->server, "localhost") == 0) &&
        uri->path != NULL && uri->path[0] != '\0')
        path = strdup(uri->path);
    xmlFreeURI(uri);
    return path;
}

/* document('') etc.: the URI of the principal stylesheet itself. libxslt
 * serves it from the in-memory tree when loading "fails", so no read. */
static int ux_is_self(xsltTransformContextPtr ctxt, const char *path) {
    char *self;
    int same;

    if (ctxt == NULL || ctxt->style == NULL || ctxt->style->doc == NULL ||
        ctxt->style->doc->URL == NULL || path == NULL)
        return 0;
    self = ux_uri_to_path(ctxt->style->doc->URL);
    same = self != NULL && strcmp(self, path) == 0;
    free(self);
    return same;
}

/* XSLT_SECPREF_READ_FILE: `value` is the (unescaped) path of the URI. */
static int ux_check_read_file(xsltSecurityPrefsPtr sec,
                              xsltTransformContextPtr ctxt, const char *value) {
    char *real;
    (void)sec;
    if (ux_is_self(ctxt, value))
        return 1;
    real = ux_resolve_allowed(value);
    if (real == NULL) {
        ux_mark_refused();
        return 0;
    }
    free(real);
    return 1;
}

/* Write file, create directory, read/write network. */
static int ux_forbid(xsltSecurityPrefsPtr sec, xsltTransformContextPtr ctxt,
                     const char *value) {
    (void)sec;
    (void)ctxt;
    (void)value;
    ux_mark_refused();
    return 0;
}

/* ------------------------------------------------------------------ */
/* Loading                                                             */
/* ------------------------------------------------------------------ */

static xmlDocPtr ux_parse(const char *buf, int len, const char *url, xmlDictPtr dict) {
    xmlParserCtxtPtr p = xmlNewParserCtxt();
    xmlDocPtr doc;

    if (p == NULL) {
        ux_appendf("out of memory creating a parser\n");
        return NULL;
    }
    if (dict != NULL) {
        /* Documents loaded for a stylesheet or transform must share its dict. */
        if (p->dict != NULL)
            xmlDictFree(p->dict);
        p->dict = dict;
        xmlDictReference(dict);
    }
    doc = xmlCtxtReadMemory(p, buf, len, url, NULL, UX_PARSE_OPTIONS);
    xmlFreeParserCtxt(p);
    return doc;
}

/* Read a whole regular file without following a final symlink. */
static char *ux_read_file(const char *path, int *len_out) {
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    struct stat st;
    char *buf = NULL;
    size_t got = 0;

    if (fd < 0) {
        ux_appendf("cannot open '%s': %s\n", path, strerror(errno));
        return NULL;
    }
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > UX_MAX_FILE) {
        ux_appendf("refusing to read '%s': not a regular file or too large\n", path);
        close(fd);
        return NULL;
    }
    buf = malloc((size_t)st.st_size + 1);
    if (buf == NULL) {
        close(fd);
        return NULL;
    }
    while (got < (size_t)st.st_size) {
        ssize_t r = read(fd, buf + got, (size_t)st.st_size - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        got += (size_t)r;
    }
    close(fd);
    *len_out = (int)got;
    return buf;
}

/* xsltDocLoaderFunc for xsl:include, xsl:import and document(). */
static xmlDocPtr ux_doc_loader(const xmlChar *URI, xmlDictPtr dict, int options,
                               void *ctxt, xsltLoadType type) {
    char *path, *real, *buf;
    int len = 0;
    xmlDocPtr doc;

    (void)options; /* we always use UX_PARSE_OPTIONS */
    if (URI == NULL)
        return NULL;
    if (type == XSLT_LOAD_DOCUMENT && ctxt != NULL) {
        xsltTransformContextPtr t = (xsltTransformContextPtr)ctxt;
        if (t->style != NULL && t->style->doc != NULL &&
            xmlStrEqual(t->style->doc->URL, URI))
            return NULL; /* libxslt falls back to the stylesheet's own tree */
    }
    path = ux_uri_to_path(URI);
    if (path == NULL) {
        ux_appendf("load of '%s' refused: only local files may be read\n", (const char *)URI);
        ux_mark_refused();
        return NULL;
    }
    real = ux_resolve_allowed(path);
    free(path);
    if (real == NULL) {
        ux_mark_refused();
        return NULL;
    }
    buf = ux_read_file(real, &len);
    free(real);
    if (buf == NULL) {
        ux_mark_refused();
        return NULL;
    }
    doc = ux_parse(buf, len, (const char *)URI, dict);
    free(buf);
    return doc;
}

/* Process-wide: external entities and DTDs are never fetched. */
static xmlParserInputPtr ux_entity_loader(const char *URL, const char *ID,
                                          xmlParserCtxtPtr ctxt) {
    (void)ctxt;
    ux_appendf("refused to load external entity '%s'\n",
               URL ? URL : (ID ? ID : "(unnamed)"));
    ux_mark_refused();
    return NULL;
}

/* ------------------------------------------------------------------ */
/* API used by Rust                                                    */
/* ------------------------------------------------------------------ */

/* Call exactly once (Rust guards it with std::sync::Once). */
int ux_init(void) {
    /* before anything of libxml2 allocates */
    if (xmlMemSetup(free, ux_malloc, ux_realloc, ux_strdup) != 0)
        return -1;
    xmlInitParser();
    xsltInit();
    exsltRegisterAll();

    xsltSetGenericErrorFunc(NULL, ux_generic_error);
    xsltSetGenericDebugFunc(NULL, ux_discard);
    xmlSetGenericErrorFunc(NULL, ux_generic_error);
    xmlThrDefSetGenericErrorFunc(NULL, ux_generic_error);
    xmlThrDefSetStructuredErrorFunc(NULL, ux_structured_error);

    xmlSetExternalEntityLoader(ux_entity_loader);
    xsltSetLoaderFunc(ux_doc_loader);

    ux_prefs = xsltNewSecurityPrefs();
    if (ux_prefs == NULL)
        return -1;
    if (xsltSetSecurityPrefs(ux_prefs, XSLT_SECPREF_READ_FILE, ux_check_read_file) != 0 ||
        xsltSetSecurityPrefs(ux_prefs, XSLT_SECPREF_WRITE_FILE, ux_forbid) != 0 ||
        xsltSetSecurityPrefs(ux_prefs, XSLT_SECPREF_CREATE_DIRECTORY, ux_forbid) != 0 ||
        xsltSetSecurityPrefs(ux_prefs, XSLT_SECPREF_READ_NETWORK, ux_forbid) != 0 ||
        xsltSetSecurityPrefs(ux_prefs, XSLT_SECPREF_WRITE_NETWORK, ux_forbid) != 0)
        return -1;
    /* Used by libxslt for xsl:include / xsl:import at compile time. */
    xsltSetDefaultSecurityPrefs(ux_prefs);
    return 0;
}

void ux_msgs_free(ux_msgs *m) {
    if (m == NULL)
        return;
    free(m->data);
    m->data = NULL;
    m->len = m->cap = 0;
}

void ux_free(void *p) {
    if (p != NULL)
        xmlFree(p);
}

ux_sheet *ux_compile(const char *xsl, size_t len, const char *name,
                     const char *include_dir, ux_msgs *msgs, int *status) {
    ux_saved saved;
    ux_sheet *sh;
    xmlChar *url;
    xmlDocPtr doc;
    xsltStylesheetPtr style;

    *status = UX_ERR_COMPILE;
    sh = calloc(1, sizeof *sh);
    if (sh == NULL)
        return NULL;
    if (include_dir != NULL) {
        sh->include_dir = strdup(include_dir);
        if (sh->include_dir == NULL) {
            free(sh);
            return NULL;
        }
    }

    ux_enter(&saved, msgs, sh->include_dir);
    if (len > INT_MAX) {
        ux_appendf("%s: stylesheet too large\n", name);
        *status = UX_ERR_PARSE;
        goto fail;
    }
    url = xmlPathToURI((const xmlChar *)name);
    doc = ux_parse(xsl, (int)len, url ? (const char *)url : name, NULL);
    if (url != NULL)
        xmlFree(url);
    if (doc == NULL || msgs->refused) { /* e.g. an external entity */
        if (doc != NULL)
            xmlFreeDoc(doc);
        *status = UX_ERR_PARSE;
        goto fail;
    }
    /* Takes ownership of doc only on success. */
    style = xsltParseStylesheetDoc(doc);
    if (style == NULL) {
        xmlFreeDoc(doc);
        goto fail;
    }
    if (style->errors != 0 || msgs->refused) {
        xsltFreeStylesheet(style); /* frees doc too */
        goto fail;
    }
    sh->style = style;
    *status = UX_OK;
    ux_leave(&saved);
    return sh;

fail:
    ux_leave(&saved);
    free(sh->include_dir);
    free(sh);
    return NULL;
}

void ux_sheet_free(ux_sheet *sh) {
    if (sh == NULL)
        return;
    xsltFreeStylesheet(sh->style);
    free(sh->include_dir);
    free(sh);
}

/* xsl:output method of the stylesheet (honouring imports), or NULL. The
 * string lives as long as the stylesheet. */
const char *ux_output_method(const ux_sheet *sh) {
    xsltStylesheetPtr st = sh ? sh->style : NULL;
    while (st != NULL) {
        if (st->method != NULL)
            return (const char *)st->method;
        st = xsltNextImport(st);
    }
    return NULL;
}

/* params: NULL-terminated name/value list (values are used verbatim). On
 * UX_OK *out is the serialised result (free with ux_free; NULL if empty). */
/* Parse an input document once, for one or more ux_apply calls on this
 * thread.  Returns UX_OK and the document in *doc, or UX_ERR_INPUT. */
int ux_parse_input(const char *xml, size_t len, ux_msgs *msgs, void **doc_out) {
    ux_saved saved;
    xmlDocPtr doc = NULL;
    int status = UX_OK;

    *doc_out = NULL;
    ux_enter(&saved, msgs, NULL);
    if (len > INT_MAX) {
        ux_appendf("input document too large\n");
        status = UX_ERR_INPUT;
        goto done;
    }
    doc = ux_parse(xml, (int)len, NULL, NULL);
    if (doc == NULL || msgs->refused) { /* e.g. an external entity */
        status = UX_ERR_INPUT;
        goto done;
    }
    *doc_out = doc;
    doc = NULL;
done:
    if (doc != NULL)
        xmlFreeDoc(doc);
    ux_leave(&saved);
    return status;
}

void ux_doc_free(void *doc) {
    if (doc != NULL)
        xmlFreeDoc((xmlDocPtr)doc);
}

/* How applying the stylesheet changes its input document: libxslt removes
 * the whitespace-only text nodes that xsl:strip-space names from the source
 * tree itself.  0: not at all (no xsl:strip-space anywhere); 1: every
 * whitespace-only text node goes (strip-space elements="*", nothing else
 * named, nothing preserved), the same for every such sheet; 2: some do. */
static void ux_style_strips(xsltStylesheetPtr style, int *any, int *all, int *named) {
    for (; style != NULL; style = style->next) {
        if (style->stripSpaces != NULL) {
            *any = 1;
            if (xmlHashSize(style->stripSpaces) > 0)
                *named = 1;
        }
        if (style->stripAll == 1)
            *all = 1;
        else if (style->stripAll != 0)
            *named = 1;
        ux_style_strips(style->imports, any, all, named);
    }
}

int ux_sheet_strip_mode(const ux_sheet *sh) {
    int any = 0, all = 0, named = 0;
    ux_style_strips(sh->style, &any, &all, &named);
    if (!any)
        return 0;
    return (all && !named) ? 1 : 2;
}

/* Apply a stylesheet to a parsed document (see ux_parse_input). */
int ux_apply(const ux_sheet *sh, void *doc_in, const char **params, ux_msgs *msgs,
             unsigned char **out, size_t *out_len) {
    ux_saved saved;
    xmlDocPtr doc = (xmlDocPtr)doc_in, res = NULL;
    xsltTransformContextPtr ctxt = NULL;
    xmlChar *buf = NULL;
    int blen = 0;
    int status = UX_ERR_TRANSFORM;

    *out = NULL;
    *out_len = 0;
    ux_enter(&saved, msgs, sh->include_dir);

    ctxt = xsltNewTransformContext(sh->style, doc);
    if (ctxt == NULL) {
        ux_appendf("cannot create a transformation context\n");
        goto done;
    }
    xsltSetCtxtSecurityPrefs(ux_prefs, ctxt);
    xsltSetTransformErrorFunc(ctxt, NULL, ux_generic_error);
    xsltSetCtxtParseOptions(ctxt, UX_PARSE_OPTIONS);
    ctxt->xinclude = 0;
    ctxt->maxTemplateDepth = UX_MAX_TEMPLATE_DEPTH;

    if (params != NULL && params[0] != NULL && xsltQuoteUserParams(ctxt, params) != 0) {
        ux_appendf("cannot set stylesheet parameters\n");
        goto done;
    }

    ux_lim_start(ctxt);
    res = xsltApplyStylesheetUser(sh->style, doc, NULL, NULL, NULL, ctxt);
    ux_lim_ctxt = NULL;
    if (ux_lim_hit != 0) {
        if (ux_lim_hit == 1)
            ux_appendf("stopped: the transformation produced more than %zu MB (the output-size limit; a template that recurses without end?)\n",
                       (size_t)UX_MAX_ALLOC_BYTES / (1024 * 1024));
        else
            ux_appendf("stopped: the transformation ran longer than %d s (the time limit; a template that recurses without end?)\n",
                       UX_MAX_SECONDS);
        status = UX_ERR_LIMIT;
        goto done;
    }
    if (res == NULL || ctxt->state != XSLT_STATE_OK || msgs->refused)
        goto done;

    if (xsltSaveResultToString(&buf, &blen, res, sh->style) != 0 || blen < 0) {
        ux_appendf("cannot serialise the result\n");
        goto done;
    }
    *out = buf;
    *out_len = (size_t)blen;
    buf = NULL;
    status = UX_OK;

done:
    if (buf != NULL)
        xmlFree(buf);
    if (res != NULL)
        xmlFreeDoc(res);
    if (ctxt != NULL)
        xsltFreeTransformContext(ctxt);
    ux_leave(&saved);
    return status;
}
