use std::{env, path::PathBuf};

fn main() {
    let lib = pkg_config::Config::new()
        .atleast_version("4.0")
        .probe("lxc")
        .expect("pkg-config could not find liblxc (install lxc-dev)");

    let mut builder = bindgen::Builder::default()
        .header_contents(
            "wrapper.h",
            "#include <lxc/lxccontainer.h>\n#include <lxc/version.h>\n",
        )
        .allowlist_function("lxc_.*")
        .allowlist_type("lxc_.*")
        .allowlist_var("LXC_.*")
        .derive_default(true)
        .layout_tests(false)
        .parse_callbacks(Box::new(bindgen::CargoCallbacks::new()));
    for p in &lib.include_paths {
        builder = builder.clang_arg(format!("-I{}", p.display()));
    }
    let bindings = builder
        .generate()
        .expect("bindgen failed on lxccontainer.h");
    let out = PathBuf::from(env::var("OUT_DIR").expect("OUT_DIR"));
    bindings
        .write_to_file(out.join("bindings.rs"))
        .expect("cannot write bindings");
}
