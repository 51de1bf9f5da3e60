/* Benchmark baseline for rendering: raw libxslt on one thread, no binding of ours. Compiles the
 * three stylesheets once, then N times parses the document and applies each stylesheet to it
 * (a transform context per application, the result serialised), and prints documents per
 * second. Usage: xslt_baseline N DOC.xml A.xsl B.xsl C.xsl
 * Built by bench/bench.py with `cc ... $(pkg-config --cflags --libs libxslt)`. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <libxml/parser.h>
#include <libxslt/xslt.h>
#include <libxslt/transform.h>
#include <libxslt/xsltutils.h>
#include <libexslt/exslt.h>

static char *slurp(const char *path, long *len) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    *len = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc(*len + 1);
    if (buf && fread(buf, 1, *len, f) != (size_t)*len) { free(buf); buf = NULL; }
    fclose(f);
    return buf;
}

int main(int argc, char **argv) {
    if (argc != 6) { fprintf(stderr, "usage: xslt_baseline N DOC A.xsl B.xsl C.xsl\n"); return 2; }
    long n = atol(argv[1]), len = 0;
    xmlInitParser();
    exsltRegisterAll();
    char *doc = slurp(argv[2], &len);
    if (!doc) { fprintf(stderr, "cannot read %s\n", argv[2]); return 1; }
    xsltStylesheetPtr sheets[3];
    for (int i = 0; i < 3; i++) {
        sheets[i] = xsltParseStylesheetFile((const xmlChar *)argv[3 + i]);
        if (!sheets[i]) { fprintf(stderr, "cannot compile %s\n", argv[3 + i]); return 1; }
    }
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    size_t bytes = 0;
    for (long k = 0; k < n; k++) {
        xmlDocPtr d = xmlReadMemory(doc, (int)len, "doc.xml", NULL, XML_PARSE_NONET);
        if (!d) { fprintf(stderr, "cannot parse the document\n"); return 1; }
        for (int i = 0; i < 3; i++) {
            xsltTransformContextPtr ctxt = xsltNewTransformContext(sheets[i], d);
            xmlDocPtr r = xsltApplyStylesheetUser(sheets[i], d, NULL, NULL, NULL, ctxt);
            xmlChar *out = NULL;
            int out_len = 0;
            if (!r || xsltSaveResultToString(&out, &out_len, r, sheets[i]) != 0) {
                fprintf(stderr, "transform failed\n");
                return 1;
            }
            bytes += (size_t)out_len;
            xmlFree(out);
            xmlFreeDoc(r);
            xsltFreeTransformContext(ctxt);
        }
        xmlFreeDoc(d);
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double dt = (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
    printf("%.1f\n", n / dt);
    fprintf(stderr, "%ld documents in %.3f s, %zu bytes out\n", n, dt, bytes);
    return 0;
}
