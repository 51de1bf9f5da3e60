//! Build script: compiles csrc/xslt_shim.c and links the system libxslt,
//! libexslt and libxml2 (found with the `pkg-config` program).

use std::process::Command;

const SHIM: &str = "csrc/xslt_shim.c";
const PKGS: [&str; 3] = ["libexslt", "libxslt", "libxml-2.0"];

fn pkg_config(what: &str) -> Vec<String> {
    let pkg_config = std::env::var("PKG_CONFIG").unwrap_or_else(|_| "pkg-config".to_owned());
    let out = Command::new(&pkg_config)
        .arg(what)
        .args(PKGS)
        .output()
        .unwrap_or_else(|e| panic!("cannot run `{pkg_config}` (install pkg-config): {e}"));
    if !out.status.success() {
        panic!(
            "`{pkg_config} {what} {}` failed (install libxslt1-dev and libxml2-dev): {}",
            PKGS.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    String::from_utf8(out.stdout)
        .expect("pkg-config printed non-UTF-8 output")
        .split_whitespace()
        .map(str::to_owned)
        .collect()
}

fn main() {
    println!("cargo:rerun-if-changed={SHIM}");
    println!("cargo:rerun-if-env-changed=PKG_CONFIG");
    println!("cargo:rerun-if-env-changed=PKG_CONFIG_PATH");

    let mut build = cc::Build::new();
    build.file(SHIM).warnings(true).extra_warnings(true);
    for flag in pkg_config("--cflags") {
        if let Some(dir) = flag.strip_prefix("-I") {
            build.include(dir);
        } else if let Some(def) = flag.strip_prefix("-D") {
            match def.split_once('=') {
                Some((name, value)) => build.define(name, value),
                None => build.define(def, None),
            };
        } else {
            build.flag(&flag);
        }
    }
    // Emits the link line for the static shim first, so the shared
    // libraries below come after it.
    build.compile("xslt_shim");

    for flag in pkg_config("--libs") {
        if let Some(dir) = flag.strip_prefix("-L") {
            println!("cargo:rustc-link-search=native={dir}");
        } else if let Some(lib) = flag.strip_prefix("-l") {
            println!("cargo:rustc-link-lib={lib}");
        } else {
            println!("cargo:rustc-link-arg={flag}");
        }
    }
}
