//! liblxc's monitor while `lxcri create` builds a container: `lxcri-start ID LXCPATH CONFIG`.
//! `create` kills it once the container's init reports ready (DESIGN.md: why the monitor leaves).

use std::path::Path;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    let [_, id, lxcpath, config] = args.as_slice() else {
        eprintln!("usage: lxcri-start ID LXCPATH CONFIG");
        return ExitCode::from(2);
    };
    match run(id, Path::new(lxcpath), Path::new(config)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("lxcri-start: {e}");
            ExitCode::from(1)
        }
    }
}

fn run(id: &str, lxcpath: &Path, config: &Path) -> Result<(), lxcri::lxc::LxcError> {
    let c = lxcri::lxc::Container::new(id, lxcpath)?;
    c.load_config(config)?;
    c.configure_foreground();
    let init = format!("{}/{}", lxcri::layout::CONTAINER_DIR, lxcri::layout::INIT);
    c.start(&[&init])
}
