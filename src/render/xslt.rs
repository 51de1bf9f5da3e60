//! A small, safe binding to the system libxslt / libexslt / libxml2.
//!
//! The C side lives in `csrc/xslt_shim.c` (compiled by `build.rs`); it owns
//! every C-variadic error callback and every access to libxslt structs, so
//! this module only deals with opaque pointers, byte buffers and strings.
//!
//! Policy enforced for every stylesheet, at compile time (`xsl:include`,
//! `xsl:import`) and at transform time (`document()`):
//! * no file writes, no directory creation, no network reads or writes
//!   (so `exsl:document` / `xsl:document` are refused);
//! * file reads only below the stylesheet's canonical include directory
//!   (symlinks are resolved before the check), none at all without one;
//!   `document('')` (the stylesheet itself) is served from memory;
//! * external entities and external DTD subsets are never loaded (no XXE),
//!   internal entities are expanded;
//! * libxml2/libxslt diagnostics are collected per call and returned in the
//!   error; nothing is printed to stderr.
//!
//! A compiled [`Stylesheet`] is shared read-only between threads; each
//! [`Stylesheet::transform`] or [`Stylesheet::apply`] call uses its own
//! transformation context. A [`Document`] parsed once can take several
//! stylesheets in turn on its thread.

use std::ffi::{CStr, CString};
use std::fmt;
use std::os::raw::{c_char, c_int, c_uchar, c_void};
use std::path::{Path, PathBuf};
use std::ptr::{self, NonNull};
use std::sync::OnceLock;

mod ffi {
    use std::marker::{PhantomData, PhantomPinned};
    use std::os::raw::{c_char, c_int, c_uchar, c_void};

    /// Mirrors `struct ux_msgs` in xslt_shim.c.
    #[repr(C)]
    pub(crate) struct Msgs {
        pub(crate) data: *mut c_char,
        pub(crate) len: usize,
        pub(crate) cap: usize,
        pub(crate) truncated: c_int,
        pub(crate) refused: c_int,
    }

    /// Opaque `struct ux_sheet`.
    #[repr(C)]
    pub(crate) struct Sheet {
        _data: [u8; 0],
        _marker: PhantomData<(*mut u8, PhantomPinned)>,
    }

    unsafe extern "C" {
        pub(crate) fn ux_init() -> c_int;
        pub(crate) fn ux_msgs_free(msgs: *mut Msgs);
        pub(crate) fn ux_free(p: *mut c_void);
        pub(crate) fn ux_compile(
            xsl: *const c_char,
            len: usize,
            name: *const c_char,
            include_dir: *const c_char,
            msgs: *mut Msgs,
            status: *mut c_int,
        ) -> *mut Sheet;
        pub(crate) fn ux_sheet_free(sheet: *mut Sheet);
        pub(crate) fn ux_output_method(sheet: *const Sheet) -> *const c_char;
        pub(crate) fn ux_parse_input(
            xml: *const c_char,
            len: usize,
            msgs: *mut Msgs,
            doc: *mut *mut c_void,
        ) -> c_int;
        pub(crate) fn ux_doc_free(doc: *mut c_void);
        pub(crate) fn ux_sheet_strip_mode(sheet: *const Sheet) -> c_int;
        pub(crate) fn ux_apply(
            sheet: *const Sheet,
            doc: *mut c_void,
            params: *const *const c_char,
            msgs: *mut Msgs,
            out: *mut *mut c_uchar,
            out_len: *mut usize,
        ) -> c_int;
    }
}

// Status codes of xslt_shim.c.
const UX_OK: c_int = 0;
const UX_ERR_PARSE: c_int = 1;

/// Why compiling or applying a stylesheet failed. `messages` holds the
/// diagnostics of libxml2/libxslt, one per line, with file and line numbers
/// where the libraries give them.
#[derive(Debug, thiserror::Error)]
pub(crate) enum XsltError {
    /// The stylesheet is not well-formed XML.
    #[error("stylesheet {name} is not well-formed XML:\n{messages}")]
    Parse { name: String, messages: String },
    /// The stylesheet is XML but not a usable XSLT stylesheet (this includes
    /// an `xsl:include`/`xsl:import` that was refused or failed).
    #[error("stylesheet {name} could not be compiled:\n{messages}")]
    Compile { name: String, messages: String },
    /// The input document is not well-formed XML (or needed an external
    /// entity, which is never loaded).
    #[error("input XML is not well-formed:\n{messages}")]
    BadInput { messages: String },
    /// The transformation failed: an XPath or runtime error,
    /// `xsl:message terminate="yes"`, or a refused file/network access.
    #[error("XSLT transformation failed:\n{messages}")]
    Transform { messages: String },
    /// A stylesheet file or include directory could not be read.
    #[error("cannot read {}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    /// An argument cannot be passed to libxslt (e.g. it contains a NUL byte).
    #[error("invalid argument: {0}")]
    InvalidArgument(String),
    /// libxml2/libxslt could not be initialised (out of memory).
    #[error("libxslt could not be initialised")]
    Init,
}

fn init() -> Result<(), XsltError> {
    static INIT: OnceLock<bool> = OnceLock::new();
    // SAFETY: ux_init is called exactly once, before any other ux_* call.
    let ok = *INIT.get_or_init(|| unsafe { ffi::ux_init() } == 0);
    if ok {
        Ok(())
    } else {
        Err(XsltError::Init)
    }
}

/// Per-call diagnostics buffer filled by the C error handlers.
struct Messages(ffi::Msgs);

impl Messages {
    fn new() -> Self {
        Messages(ffi::Msgs {
            data: ptr::null_mut(),
            len: 0,
            cap: 0,
            truncated: 0,
            refused: 0,
        })
    }

    fn as_mut_ptr(&mut self) -> *mut ffi::Msgs {
        &mut self.0
    }

    fn text(&self) -> String {
        let mut text = if self.0.data.is_null() {
            String::new()
        } else {
            // SAFETY: the shim keeps `len` bytes initialised at `data`.
            let bytes = unsafe { std::slice::from_raw_parts(self.0.data.cast::<u8>(), self.0.len) };
            String::from_utf8_lossy(bytes).trim_end().to_owned()
        };
        if self.0.truncated != 0 {
            text.push_str("\n[further messages dropped]");
        }
        if text.is_empty() {
            text.push_str("(no diagnostics from libxslt)");
        }
        text
    }
}

impl Drop for Messages {
    fn drop(&mut self) {
        // SAFETY: frees only the buffer the shim allocated for this struct.
        unsafe { ffi::ux_msgs_free(&mut self.0) }
    }
}

fn c_string(value: &str, what: &str) -> Result<CString, XsltError> {
    CString::new(value)
        .map_err(|_| XsltError::InvalidArgument(format!("{what} contains a NUL byte: {value:?}")))
}

/// A compiled XSLT stylesheet.
pub(crate) struct Stylesheet {
    raw: NonNull<ffi::Sheet>,
    name: String,
}

// SAFETY: after compilation the stylesheet is only read. Every transform
// builds its own xsltTransformContext (libxslt's documented model for sharing
// a stylesheet between threads); libxml2 is built thread-safe and initialised
// once; the shim's per-call state is thread-local. Drop needs `&mut self`,
// so it cannot race with a transform.
unsafe impl Send for Stylesheet {}
unsafe impl Sync for Stylesheet {}

impl Stylesheet {
    /// Compiles a stylesheet held in memory.
    ///
    /// `name` appears in error messages and is the base URL of the
    /// stylesheet; a relative `name` (and any relative URI built from it) is
    /// taken relative to `include_dir`. With `Some(dir)`, `xsl:include`,
    /// `xsl:import` and `document()` may read regular files whose canonical
    /// path is inside the canonicalised `dir`; with `None` they may read
    /// nothing (`document('')` still returns the stylesheet itself).
    pub(crate) fn compile(
        xsl: &[u8],
        name: &str,
        include_dir: Option<&Path>,
    ) -> Result<Stylesheet, XsltError> {
        init()?;
        let c_name = c_string(name, "stylesheet name")?;
        let c_dir = match include_dir {
            None => None,
            Some(dir) => {
                let canon = dir.canonicalize().map_err(|source| XsltError::Io {
                    path: dir.to_path_buf(),
                    source,
                })?;
                if !canon.is_dir() {
                    return Err(XsltError::InvalidArgument(format!(
                        "include directory {} is not a directory",
                        dir.display()
                    )));
                }
                let text = canon.to_str().ok_or_else(|| {
                    XsltError::InvalidArgument(format!(
                        "include directory {} is not UTF-8",
                        canon.display()
                    ))
                })?;
                Some(c_string(text, "include directory")?)
            }
        };

        let mut msgs = Messages::new();
        let mut status: c_int = 0;
        // SAFETY: all pointers are valid for the call; the shim copies
        // `include_dir` and does not keep `xsl` or `name`.
        let raw = unsafe {
            ffi::ux_compile(
                xsl.as_ptr().cast::<c_char>(),
                xsl.len(),
                c_name.as_ptr(),
                c_dir.as_ref().map_or(ptr::null(), |d| d.as_ptr()),
                msgs.as_mut_ptr(),
                &mut status,
            )
        };
        match NonNull::new(raw) {
            Some(raw) => Ok(Stylesheet {
                raw,
                name: name.to_owned(),
            }),
            None if status == UX_ERR_PARSE => Err(XsltError::Parse {
                name: name.to_owned(),
                messages: msgs.text(),
            }),
            None => Err(XsltError::Compile {
                name: name.to_owned(),
                messages: msgs.text(),
            }),
        }
    }

    /// Compiles a stylesheet file; its directory is the include directory and
    /// its canonical path the name.
    pub(crate) fn from_file(path: &Path) -> Result<Stylesheet, XsltError> {
        let io_err = |source| XsltError::Io {
            path: path.to_path_buf(),
            source,
        };
        let canon = path.canonicalize().map_err(io_err)?;
        let xsl = std::fs::read(&canon).map_err(io_err)?;
        let dir = canon.parent().ok_or_else(|| {
            XsltError::InvalidArgument(format!("{} has no parent directory", canon.display()))
        })?;
        let name = canon.to_str().ok_or_else(|| {
            XsltError::InvalidArgument(format!("path {} is not UTF-8", canon.display()))
        })?;
        Self::compile(&xsl, name, Some(dir))
    }

    /// Applies the stylesheet to an XML document and returns the serialised
    /// result, honouring `xsl:output` (method, encoding, indent, doctype).
    ///
    /// `params` are plain string parameters: each value arrives verbatim as
    /// an XPath string (it is never evaluated as an expression).
    #[cfg(test)]
    pub(crate) fn transform(
        &self,
        xml: &[u8],
        params: &[(&str, &str)],
    ) -> Result<Vec<u8>, XsltError> {
        let mut doc = Document::parse(xml)?;
        self.apply(&mut doc, params)
    }

    /// [`Stylesheet::transform`] on a document parsed before. Applying a
    /// stylesheet may change the document (`xsl:strip-space`): see
    /// [`Document::fits`] before applying another one to it.
    pub(crate) fn apply(
        &self,
        doc: &mut Document,
        params: &[(&str, &str)],
    ) -> Result<Vec<u8>, XsltError> {
        let mut owned = Vec::with_capacity(params.len() * 2);
        for (name, value) in params {
            owned.push(c_string(name, "parameter name")?);
            owned.push(c_string(value, "parameter value")?);
        }
        let mut list: Vec<*const c_char> = owned.iter().map(|s| s.as_ptr()).collect();
        list.push(ptr::null());

        let mut msgs = Messages::new();
        let mut out: *mut c_uchar = ptr::null_mut();
        let mut out_len: usize = 0;
        doc.strip(self.strip_mode());
        // SAFETY: `self.raw` and `doc.raw` are live; the other pointers are
        // valid for the duration of the call and not retained.
        let status = unsafe {
            ffi::ux_apply(
                self.raw.as_ptr(),
                doc.raw.as_ptr(),
                list.as_ptr(),
                msgs.as_mut_ptr(),
                &mut out,
                &mut out_len,
            )
        };
        match status {
            UX_OK if out.is_null() => Ok(Vec::new()),
            UX_OK => {
                // SAFETY: on success `out` holds `out_len` bytes allocated by
                // libxml2; we copy them and hand the buffer back to xmlFree.
                let bytes = unsafe { std::slice::from_raw_parts(out, out_len) }.to_vec();
                unsafe { ffi::ux_free(out.cast::<c_void>()) };
                Ok(bytes)
            }
            _ => Err(XsltError::Transform {
                messages: msgs.text(),
            }),
        }
    }

    /// What applying this stylesheet does to its input document.
    fn strip_mode(&self) -> Strip {
        // SAFETY: reads the compiled stylesheet only.
        match unsafe { ffi::ux_sheet_strip_mode(self.raw.as_ptr()) } {
            0 => Strip::Nothing,
            1 => Strip::AllBlank,
            _ => Strip::Some,
        }
    }

    /// The `method` of `xsl:output` (`"html"`, `"xml"`, `"text"`, …) if the
    /// stylesheet or one of its imports declares one.
    pub(crate) fn output_method(&self) -> Option<String> {
        // SAFETY: the returned string is owned by the stylesheet, which
        // outlives this call; it is copied at once.
        unsafe {
            let p = ffi::ux_output_method(self.raw.as_ptr());
            (!p.is_null()).then(|| CStr::from_ptr(p).to_string_lossy().into_owned())
        }
    }
}

impl Drop for Stylesheet {
    fn drop(&mut self) {
        // SAFETY: we own the sheet and nobody else can use it any more.
        unsafe { ffi::ux_sheet_free(self.raw.as_ptr()) }
    }
}

impl fmt::Debug for Stylesheet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Stylesheet")
            .field("name", &self.name)
            .field("output_method", &self.output_method())
            .finish()
    }
}

/// What applying a stylesheet does to the input document's whitespace-only
/// text nodes (`xsl:strip-space` removes them from the document itself).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Strip {
    /// No `xsl:strip-space`: the document stays as it is.
    Nothing,
    /// `xsl:strip-space elements="*"` and nothing else: every one goes, the
    /// same for every such stylesheet.
    AllBlank,
    /// Some go, by the stylesheet's own rules.
    Some,
}

/// An input document parsed once, to apply one stylesheet after another to
/// it on this thread (not `Send`: libxml2 documents stay on their thread).
pub(crate) struct Document {
    raw: NonNull<c_void>,
    /// What the stylesheets applied so far did to it.
    stripped: Strip,
}

impl Document {
    /// Parses a document with the policy of every transform (no external
    /// entities, no network).
    pub(crate) fn parse(xml: &[u8]) -> Result<Document, XsltError> {
        init()?;
        let mut msgs = Messages::new();
        let mut raw: *mut c_void = ptr::null_mut();
        // SAFETY: `xml` is valid for the call and not retained; the shim
        // hands back a document we own, or null.
        let status = unsafe {
            ffi::ux_parse_input(
                xml.as_ptr().cast::<c_char>(),
                xml.len(),
                msgs.as_mut_ptr(),
                &mut raw,
            )
        };
        match NonNull::new(raw) {
            Some(raw) if status == UX_OK => Ok(Document {
                raw,
                stripped: Strip::Nothing,
            }),
            _ => Err(XsltError::BadInput {
                messages: msgs.text(),
            }),
        }
    }

    /// True when applying `sheet` to this document gives what applying it
    /// to a freshly parsed copy would: nothing was stripped yet, or only
    /// what `sheet` strips too.
    pub(crate) fn fits(&self, sheet: &Stylesheet) -> bool {
        match self.stripped {
            Strip::Nothing => true,
            Strip::AllBlank => sheet.strip_mode() == Strip::AllBlank,
            Strip::Some => false,
        }
    }

    fn strip(&mut self, by: Strip) {
        self.stripped = match (self.stripped, by) {
            (Strip::Nothing, by) => by,
            (Strip::AllBlank, Strip::Nothing | Strip::AllBlank) => Strip::AllBlank,
            _ => Strip::Some,
        };
    }
}

impl Drop for Document {
    fn drop(&mut self) {
        // SAFETY: we own the document and nobody else can use it any more.
        unsafe { ffi::ux_doc_free(self.raw.as_ptr()) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Instant;

    /// A scratch directory removed on drop (std only).
    struct TempDir(PathBuf);

    impl TempDir {
        fn new(tag: &str) -> Self {
            static COUNTER: AtomicUsize = AtomicUsize::new(0);
            let n = COUNTER.fetch_add(1, Ordering::Relaxed);
            let path = std::env::temp_dir()
                .join(format!("unanswered-xslt-{tag}-{}-{n}", std::process::id()));
            let _ = fs::remove_dir_all(&path);
            fs::create_dir_all(&path).unwrap();
            TempDir(path.canonicalize().unwrap())
        }

        fn path(&self) -> &Path {
            &self.0
        }

        fn write(&self, rel: &str, contents: &str) -> PathBuf {
            let path = self.0.join(rel);
            fs::create_dir_all(path.parent().unwrap()).unwrap();
            fs::write(&path, contents).unwrap();
            path
        }
    }

    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = fs::remove_dir_all(&self.0);
        }
    }

    const XSL_NS: &str = r#"version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform""#;
    const CALLS: &str =
        r#"<calls><call from="+4930123" at="09:15"/><call from="+4940999" at="10:02"/></calls>"#;

    fn sheet(body: &str) -> String {
        format!("<xsl:stylesheet {XSL_NS}>\n{body}\n</xsl:stylesheet>\n")
    }

    fn compile(xsl: &str) -> Stylesheet {
        Stylesheet::compile(xsl.as_bytes(), "test.xsl", None).unwrap_or_else(|e| panic!("{e}"))
    }

    fn run(style: &Stylesheet, xml: &str, params: &[(&str, &str)]) -> String {
        let out = style
            .transform(xml.as_bytes(), params)
            .unwrap_or_else(|e| panic!("{e}"));
        String::from_utf8(out).unwrap()
    }

    fn transform_err(style: &Stylesheet, xml: &str) -> String {
        match style.transform(xml.as_bytes(), &[]) {
            Err(e @ XsltError::Transform { .. }) => e.to_string(),
            other => panic!("expected a transform error, got {other:?}"),
        }
    }

    #[test]
    fn a_runaway_template_is_stopped_by_the_size_or_time_limit() {
        // exponential recursion: 2^60 calls, each writing text
        let forever = compile(&sheet(
            r#"<xsl:template match="/"><xsl:call-template name="t"><xsl:with-param name="n" select="60"/></xsl:call-template></xsl:template>
               <xsl:template name="t"><xsl:param name="n"/>
                 <xsl:if test="$n &gt; 0">x<xsl:call-template name="t"><xsl:with-param name="n" select="$n - 1"/></xsl:call-template><xsl:call-template name="t"><xsl:with-param name="n" select="$n - 1"/></xsl:call-template></xsl:if>
               </xsl:template>"#,
        ));
        let e = transform_err(&forever, CALLS);
        assert!(e.contains("stopped: the transformation"), "{e}");
        // a huge output: a string doubled 40 times
        let huge = compile(&sheet(
            r#"<xsl:template match="/"><xsl:call-template name="d"><xsl:with-param name="s" select="'0123456789abcdef'"/></xsl:call-template></xsl:template>
               <xsl:template name="d"><xsl:param name="s"/>
                 <xsl:choose><xsl:when test="string-length($s) &gt; 1000000000"><xsl:value-of select="$s"/></xsl:when>
                 <xsl:otherwise><xsl:call-template name="d"><xsl:with-param name="s" select="concat($s, $s)"/></xsl:call-template></xsl:otherwise></xsl:choose>
               </xsl:template>"#,
        ));
        let e = transform_err(&huge, CALLS);
        assert!(e.contains("output-size limit"), "{e}");
        // the limits are per transformation: a normal one after them works
        let fine = compile(&sheet(r#"<xsl:template match="/">ok</xsl:template>"#));
        assert!(run(&fine, CALLS, &[]).contains("ok"));
    }

    #[test]
    fn stylesheet_is_send_and_sync() {
        fn check<T: Send + Sync>() {}
        check::<Stylesheet>();
    }

    #[test]
    fn html_output_has_doctype_and_meta() {
        let style = compile(&sheet(
            r#"<xsl:output method="html" encoding="UTF-8"
                 doctype-public="-//W3C//DTD HTML 4.01//EN"
                 doctype-system="http://www.w3.org/TR/html4/strict.dtd"/>
               <xsl:template match="/">
                 <html><head><title>Missed calls</title></head>
                 <body><p><xsl:value-of select="/calls/call[1]/@from"/></p><br/></body></html>
               </xsl:template>"#,
        ));
        assert_eq!(style.output_method().as_deref(), Some("html"));
        let out = run(&style, CALLS, &[]);
        assert!(
            out.starts_with(r#"<!DOCTYPE html PUBLIC "-//W3C//DTD HTML 4.01//EN" "http://www.w3.org/TR/html4/strict.dtd">"#),
            "{out}"
        );
        assert!(
            out.contains(r#"<meta http-equiv="Content-Type" content="text/html; charset=UTF-8">"#),
            "{out}"
        );
        assert!(out.contains("<p>+4930123</p>"), "{out}");
        assert!(out.contains("<br>") && !out.contains("<br/>"), "{out}");
        assert!(!out.contains("<?xml"), "{out}");
    }

    #[test]
    fn text_output_method() {
        let style = compile(&sheet(
            r#"<xsl:output method="text"/>
               <xsl:template match="/">
                 <xsl:for-each select="//call">
                   <xsl:value-of select="@at"/><xsl:text> &lt;</xsl:text>
                   <xsl:value-of select="@from"/><xsl:text>&gt;&#10;</xsl:text>
                 </xsl:for-each>
               </xsl:template>"#,
        ));
        assert_eq!(style.output_method().as_deref(), Some("text"));
        assert_eq!(
            run(&style, CALLS, &[]),
            "09:15 <+4930123>\n10:02 <+4940999>\n"
        );
    }

    #[test]
    fn xml_output_honours_encoding_and_method_is_optional() {
        let style = compile(&sheet(
            r#"<xsl:output method="xml" encoding="ISO-8859-1"/>
               <xsl:template match="/"><name>Zoë</name></xsl:template>"#,
        ));
        assert_eq!(style.output_method().as_deref(), Some("xml"));
        let out = style.transform(b"<r/>", &[]).unwrap();
        assert!(out.starts_with(br#"<?xml version="1.0" encoding="ISO-8859-1"?>"#));
        assert!(out.windows(5).any(|w| w == b"Zo\xEB</"), "{out:?}");

        let plain = compile(&sheet(r#"<xsl:template match="/"><r/></xsl:template>"#));
        assert_eq!(plain.output_method(), None);
    }

    #[test]
    fn params_arrive_verbatim() {
        let style = compile(&sheet(
            r#"<xsl:output method="text"/>
               <xsl:param name="who" select="'(default)'"/>
               <xsl:param name="other"/>
               <xsl:template match="/">[<xsl:value-of select="$who"/>|<xsl:value-of select="$other"/>]</xsl:template>"#,
        ));
        let values = [
            "O'Brien",
            r#""a"b'c"#,
            "<script>alert('x')</script>",
            "Zoë – 電話 ☎ 😀",
            "",
            "1+1",
            "count(/)",
            "$who",
            "  spaced  ",
            "line\nbreak",
        ];
        for value in values {
            let out = run(&style, "<r/>", &[("who", value), ("other", "x'\"y")]);
            assert_eq!(out, format!("[{value}|x'\"y]"), "value {value:?}");
        }
        assert_eq!(run(&style, "<r/>", &[]), "[(default)|]");
        assert!(matches!(
            style.transform(b"<r/>", &[("who", "nul\0byte")]),
            Err(XsltError::InvalidArgument(_))
        ));
    }

    #[test]
    fn params_are_escaped_in_html_output() {
        let style = compile(&sheet(
            r#"<xsl:output method="html"/>
               <xsl:param name="who"/>
               <xsl:template match="/"><p title="{$who}"><xsl:value-of select="$who"/></p></xsl:template>"#,
        ));
        let out = run(
            &style,
            "<r/>",
            &[("who", r#"<script>alert("O'Brien & co")</script>"#)],
        );
        assert!(
            out.contains(r#"&lt;script&gt;alert("O'Brien &amp; co")&lt;/script&gt;</p>"#),
            "{out}"
        );
        assert!(
            out.contains(
                r#"title="&lt;script&gt;alert(&quot;O'Brien &amp; co&quot;)&lt;/script&gt;""#
            ),
            "{out}"
        );
        assert!(!out.contains("<script>"), "{out}");
    }

    #[test]
    fn broken_stylesheet_reports_line() {
        let xsl = format!("<xsl:stylesheet {XSL_NS}>\n<xsl:template match=\"/\">\n<p>\n</xsl:template>\n</xsl:stylesheet>\n");
        let err = Stylesheet::compile(xsl.as_bytes(), "broken.xsl", None).unwrap_err();
        assert!(matches!(err, XsltError::Parse { .. }), "{err:?}");
        let text = err.to_string();
        assert!(text.contains("broken.xsl:4:"), "{text}");
        assert!(text.contains("mismatch"), "{text}");
    }

    #[test]
    fn invalid_xslt_is_a_compile_error_with_line() {
        let xsl = format!(
            "<xsl:stylesheet {XSL_NS}>\n<xsl:template match=\"/\">\n<xsl:value-of/>\n</xsl:template>\n</xsl:stylesheet>\n"
        );
        let err = Stylesheet::compile(xsl.as_bytes(), "bad.xsl", None).unwrap_err();
        assert!(matches!(err, XsltError::Compile { .. }), "{err:?}");
        let text = err.to_string();
        assert!(text.contains("bad.xsl line 3"), "{text}");

        let err = Stylesheet::compile(b"<not-xslt/>", "plain.xml", None).unwrap_err();
        assert!(matches!(err, XsltError::Compile { .. }), "{err:?}");
        let err = Stylesheet::compile(b"", "empty.xsl", None).unwrap_err();
        assert!(matches!(err, XsltError::Parse { .. }), "{err:?}");
    }

    #[test]
    fn bad_input_xml() {
        let style = compile(&sheet(r#"<xsl:template match="/"><r/></xsl:template>"#));
        match style.transform(b"<calls>\n<call>\n</calls>", &[]) {
            Err(e @ XsltError::BadInput { .. }) => assert!(e.to_string().contains("line 3"), "{e}"),
            other => panic!("expected BadInput, got {other:?}"),
        }
    }

    #[test]
    fn unknown_xpath_function_is_an_error() {
        let style = compile(&sheet(
            r#"<xsl:template match="/"><r><xsl:value-of select="nosuch(1)"/></r></xsl:template>"#,
        ));
        let text = transform_err(&style, CALLS);
        assert!(
            text.contains("Unregistered function") && text.contains("nosuch"),
            "{text}"
        );
    }

    #[test]
    fn terminating_message_is_an_error() {
        let style = compile(&sheet(
            r#"<xsl:template match="/">
                 <xsl:message>just a note</xsl:message>
                 <xsl:if test="count(//call) &gt; 1">
                   <xsl:message terminate="yes">Stop: <xsl:value-of select="count(//call)"/> calls</xsl:message>
                 </xsl:if>
                 <r/>
               </xsl:template>"#,
        ));
        let text = transform_err(&style, CALLS);
        assert!(text.contains("Stop: 2 calls"), "{text}");
        // A non-terminating message alone does not fail the transform.
        assert!(run(&style, "<calls><call/></calls>", &[]).contains("<r/>"));
    }

    #[test]
    fn runaway_recursion_is_an_error_not_a_crash() {
        let style = compile(&sheet(
            r#"<xsl:template name="down"><xsl:param name="n"/><x><xsl:call-template name="down">
                 <xsl:with-param name="n" select="$n + 1"/></xsl:call-template></x></xsl:template>
               <xsl:template match="/"><xsl:call-template name="down"><xsl:with-param name="n" select="0"/></xsl:call-template></xsl:template>"#,
        ));
        let text = transform_err(&style, "<r/>");
        assert!(text.contains("recursion"), "{text}");
    }

    #[test]
    fn document_reads_only_inside_include_dir() {
        let tmp = TempDir::new("doc");
        let inc = tmp.path().join("inc");
        tmp.write("inc/data.xml", "<d>INSIDE-DATA</d>");
        let outside = tmp.write("outside.xml", "<d>OUTSIDE-SECRET</d>");
        #[cfg(unix)]
        std::os::unix::fs::symlink(&outside, inc.join("link.xml")).unwrap();

        let xsl_for = |uri: &str| {
            sheet(&format!(
                r#"<xsl:output method="text"/>
                   <xsl:template match="/">[<xsl:value-of select="document('{uri}')/d"/>]</xsl:template>"#
            ))
        };
        let load = |uri: &str, dir: Option<&Path>| {
            Stylesheet::compile(xsl_for(uri).as_bytes(), "mail.xsl", dir)
                .unwrap()
                .transform(b"<r/>", &[])
        };

        // Positive control: a file inside the include directory is read.
        assert_eq!(load("data.xml", Some(&inc)).unwrap(), b"[INSIDE-DATA]");
        assert_eq!(
            load("./sub/../data.xml", Some(&inc)).unwrap(),
            b"[INSIDE-DATA]"
        );

        let outside_abs = outside.to_str().unwrap().to_owned();
        let outside_url = format!("file://{outside_abs}");
        let refused: Vec<(&str, Option<&Path>)> = vec![
            ("../outside.xml", Some(&inc)),
            (&outside_abs, Some(&inc)),
            (&outside_url, Some(&inc)),
            ("link.xml", Some(&inc)),
            ("data.xml", None),
            (&outside_abs, None),
            ("/etc/hostname", None),
            ("/etc/hostname", Some(&inc)),
            ("http://127.0.0.1:9/x.xml", Some(&inc)),
        ];
        for (uri, dir) in refused {
            match load(uri, dir) {
                Err(XsltError::Transform { messages }) => {
                    assert!(messages.contains("refused"), "{uri}: {messages}");
                    assert!(!messages.contains("SECRET"), "{uri}: {messages}");
                }
                other => panic!("{uri} with {dir:?}: expected refusal, got {other:?}"),
            }
        }
    }

    #[test]
    fn document_empty_string_is_the_stylesheet_itself() {
        let style = compile(&sheet(
            r#"<xsl:output method="text"/>
               <xsl:template match="/"><xsl:value-of select="count(document('')//xsl:template)"/></xsl:template>"#,
        ));
        assert_eq!(run(&style, "<r/>", &[]), "1");
    }

    #[test]
    fn include_and_import_only_inside_include_dir() {
        let tmp = TempDir::new("inc");
        let inc = tmp.path().join("xsl");
        tmp.write(
            "xsl/common.xsl",
            &sheet(r#"<xsl:template name="hello">hello from common</xsl:template>"#),
        );
        tmp.write(
            "xsl/sub/deep.xsl",
            &sheet(r#"<xsl:include href="../common.xsl"/><xsl:template name="deep">deep</xsl:template>"#),
        );
        let evil = tmp.write(
            "evil.xsl",
            &sheet(r#"<xsl:template name="hello">EVIL</xsl:template>"#),
        );
        #[cfg(unix)]
        std::os::unix::fs::symlink(&evil, inc.join("link.xsl")).unwrap();

        let main_with = |directive: &str| {
            sheet(&format!(
                r#"{directive}<xsl:output method="text"/>
                   <xsl:template match="/"><xsl:call-template name="hello"/></xsl:template>"#
            ))
        };

        // Inside: from_file, and compile() with a relative name.
        let main = tmp.write(
            "xsl/main.xsl",
            &main_with(r#"<xsl:include href="common.xsl"/>"#),
        );
        let style = Stylesheet::from_file(&main).unwrap();
        assert_eq!(run(&style, "<r/>", &[]), "hello from common");
        let style = Stylesheet::compile(
            main_with(r#"<xsl:import href="sub/deep.xsl"/>"#).as_bytes(),
            "mail.xsl",
            Some(&inc),
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(run(&style, "<r/>", &[]), "hello from common");

        // Outside, via .., absolute path, file URL or symlink, or no include dir.
        let evil_abs = evil.to_str().unwrap();
        let cases = [
            (
                r#"<xsl:include href="../evil.xsl"/>"#.to_owned(),
                Some(inc.as_path()),
            ),
            (
                r#"<xsl:import href="../evil.xsl"/>"#.to_owned(),
                Some(inc.as_path()),
            ),
            (
                format!(r#"<xsl:include href="{evil_abs}"/>"#),
                Some(inc.as_path()),
            ),
            (
                format!(r#"<xsl:import href="file://{evil_abs}"/>"#),
                Some(inc.as_path()),
            ),
            (
                r#"<xsl:include href="link.xsl"/>"#.to_owned(),
                Some(inc.as_path()),
            ),
            (r#"<xsl:include href="common.xsl"/>"#.to_owned(), None),
        ];
        for (directive, dir) in cases {
            match Stylesheet::compile(main_with(&directive).as_bytes(), "mail.xsl", dir) {
                Err(XsltError::Compile { messages, .. }) => {
                    assert!(messages.contains("refused"), "{directive}: {messages}")
                }
                other => panic!("{directive}: expected refusal, got {other:?}"),
            }
        }
        // The same refusal through from_file.
        let main = tmp.write(
            "xsl/main2.xsl",
            &main_with(r#"<xsl:include href="../evil.xsl"/>"#),
        );
        assert!(matches!(
            Stylesheet::from_file(&main),
            Err(XsltError::Compile { .. })
        ));
    }

    #[test]
    fn exsl_document_is_refused_and_writes_nothing() {
        let tmp = TempDir::new("exsl");
        let exsl = format!(
            r#"<xsl:stylesheet {XSL_NS} xmlns:exsl="http://exslt.org/common" extension-element-prefixes="exsl">
                 <xsl:param name="target"/>
                 <xsl:template match="/">
                   <exsl:document href="{{$target}}" method="text">pwned</exsl:document><done/>
                 </xsl:template>
               </xsl:stylesheet>"#
        );
        // XSLT 1.1 xsl:document goes through the same libxslt code.
        let xsl11 = r#"<xsl:stylesheet version="1.1" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
                 <xsl:param name="target"/>
                 <xsl:template match="/">
                   <xsl:document href="{$target}" method="text">pwned</xsl:document><done/>
                 </xsl:template>
               </xsl:stylesheet>"#;
        let targets = [
            tmp.path().join("somefile"),
            tmp.path().join("newdir/somefile"),
            std::env::temp_dir().join(format!("unanswered-xslt-somefile-{}", std::process::id())),
        ];
        let cases = [
            (exsl.as_str(), None),
            (exsl.as_str(), Some(tmp.path())),
            (xsl11, None),
        ];
        for (style_src, dir) in cases {
            let style = Stylesheet::compile(style_src.as_bytes(), "w.xsl", dir).unwrap();
            for target in &targets {
                let t = target.to_str().unwrap();
                match style.transform(b"<r/>", &[("target", t)]) {
                    Err(XsltError::Transform { messages }) => {
                        assert!(messages.contains("refused"), "{messages}")
                    }
                    other => panic!("{t}: expected refusal, got {other:?}"),
                }
                assert!(!target.exists(), "{t} was written");
            }
            assert!(!tmp.path().join("newdir").exists());
        }
    }

    #[test]
    fn exslt_functions_work() {
        let style = compile(&sheet(
            r#"<xsl:output method="text"/>
               <xsl:variable name="rtf"><i>3</i><i>7</i></xsl:variable>
               <xsl:template match="/" xmlns:exsl="http://exslt.org/common" xmlns:str="http://exslt.org/strings">
                 <xsl:value-of select="count(exsl:node-set($rtf)/i)"/>
                 <xsl:text>,</xsl:text>
                 <xsl:value-of select="count(str:tokenize('a b c', ' '))"/>
               </xsl:template>"#,
        ));
        assert_eq!(run(&style, "<r/>", &[]), "2,3");
    }

    #[test]
    fn external_entities_are_never_loaded() {
        let tmp = TempDir::new("xxe");
        let secret = tmp.write("secret.txt", "TOPSECRET-XXE");
        let secret = secret.to_str().unwrap();
        let style_src = sheet(
            r#"<xsl:template match="/"><out><xsl:copy-of select="/"/>[<xsl:value-of select="/"/>]</out></xsl:template>"#,
        );
        // Even with the secret inside the include directory.
        for dir in [None, Some(tmp.path())] {
            let style = Stylesheet::compile(style_src.as_bytes(), "x.xsl", dir).unwrap();
            let inputs = [
                format!(r#"<!DOCTYPE r [<!ENTITY xxe SYSTEM "file://{secret}">]><r>&xxe;</r>"#),
                format!(r#"<!DOCTYPE r [<!ENTITY xxe SYSTEM "{secret}">]><r>&xxe;</r>"#),
                format!(r#"<!DOCTYPE r [<!ENTITY % p SYSTEM "{secret}"> %p;]><r/>"#),
                format!(r#"<!DOCTYPE r SYSTEM "{secret}"><r/>"#),
            ];
            for xml in &inputs {
                match style.transform(xml.as_bytes(), &[]) {
                    Ok(out) => assert!(
                        !String::from_utf8_lossy(&out).contains("TOPSECRET"),
                        "{xml}"
                    ),
                    Err(e) => assert!(!e.to_string().contains("TOPSECRET"), "{xml}: {e}"),
                }
            }
            // The plain entity case must be refused explicitly.
            match style.transform(inputs[0].as_bytes(), &[]) {
                Err(XsltError::BadInput { messages }) => assert!(
                    messages.contains("refused to load external entity"),
                    "{messages}"
                ),
                other => panic!("expected BadInput, got {other:?}"),
            }
        }

        // Internal entities still work.
        let style = Stylesheet::compile(style_src.as_bytes(), "x.xsl", None).unwrap();
        let out = run(
            &style,
            r#"<!DOCTYPE r [<!ENTITY co "ACME">]><r>&co;</r>"#,
            &[],
        );
        assert!(out.contains("[ACME]"), "{out}");

        // XXE in the stylesheet.
        let xsl = format!(
            "<!DOCTYPE xsl:stylesheet [<!ENTITY xxe SYSTEM \"file://{secret}\">]>\n<xsl:stylesheet {XSL_NS}>\n<xsl:template match=\"/\"><r>&xxe;</r></xsl:template>\n</xsl:stylesheet>"
        );
        match Stylesheet::compile(xsl.as_bytes(), "xxe.xsl", Some(tmp.path())) {
            Ok(style) => assert!(!run(&style, "<r/>", &[]).contains("TOPSECRET")),
            Err(e) => assert!(
                e.to_string().contains("refused to load external entity"),
                "{e}"
            ),
        }
    }

    #[test]
    fn concurrent_transforms_share_one_stylesheet() {
        let style = compile(&sheet(
            r#"<xsl:output method="text"/>
               <xsl:param name="who"/>
               <xsl:template match="/"><xsl:value-of select="concat($who, ':', count(//call), ':', /calls/@id)"/></xsl:template>"#,
        ));
        std::thread::scope(|s| {
            for t in 0..4 {
                let style = &style;
                s.spawn(move || {
                    for i in 0..200 {
                        let who = format!("thread{t}-{i}");
                        let xml = format!(r#"<calls id="{i}">{}</calls>"#, "<call/>".repeat(t + 1));
                        let out = style.transform(xml.as_bytes(), &[("who", &who)]).unwrap();
                        assert_eq!(
                            String::from_utf8(out).unwrap(),
                            format!("{who}:{}:{i}", t + 1)
                        );
                        if i % 50 == 0 {
                            // Errors on one thread stay on that thread.
                            assert!(style.transform(b"<broken", &[]).is_err());
                        }
                    }
                });
            }
        });
    }

    fn rss_kib() -> Option<u64> {
        let statm = fs::read_to_string("/proc/self/statm").ok()?;
        let pages: u64 = statm.split_whitespace().nth(1)?.parse().ok()?;
        Some(pages * 4)
    }

    /// Prints throughput and RSS growth; run with `--nocapture` to see them.
    #[test]
    fn throughput_and_memory() {
        let style = compile(&sheet(
            r#"<xsl:output method="html"/>
               <xsl:param name="who"/>
               <xsl:template match="/calls">
                 <html><body><h1>Missed calls for <xsl:value-of select="$who"/></h1>
                 <ul><xsl:apply-templates select="call"/></ul></body></html>
               </xsl:template>
               <xsl:template match="call"><li><xsl:value-of select="@at"/>: <xsl:value-of select="@from"/></li></xsl:template>"#,
        ));
        let run_n = |n: usize| {
            for i in 0..n {
                let who = format!("user {i}");
                let out = style.transform(CALLS.as_bytes(), &[("who", &who)]).unwrap();
                assert!(!out.is_empty());
            }
        };
        run_n(200);
        let before = rss_kib();
        let n = 2_000;
        let start = Instant::now();
        run_n(n);
        let secs = start.elapsed().as_secs_f64();
        let after = rss_kib();
        println!(
            "xslt: {n} transforms in {secs:.3} s = {:.0} transforms/s; RSS {before:?} -> {after:?} KiB",
            n as f64 / secs
        );
    }
}
