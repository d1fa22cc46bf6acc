//! liblxc's monitor while `lxcri create` builds a container: `lxcri-start ID LXCPATH CONFIG`.
//! `create` kills it once the container's init reports ready (DESIGN.md: why the monitor leaves).

mod lxc;

use std::path::Path;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    // `lxcri --version` asks here: the CLI itself does not link liblxc (nor its libselinux,
    // libapparmor, libcap, libpcre2), which keeps every command's memory small.
    if args.get(1).map(String::as_str) == Some("--version") {
        println!("{}", lxc::version());
        return ExitCode::SUCCESS;
    }
    let [_, id, lxcpath, config] = args.as_slice() else {
        eprintln!("usage: lxcri-start ID LXCPATH CONFIG");
        return ExitCode::from(2);
    };
    match run(id, Path::new(lxcpath), Path::new(config)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // stderr belongs to the container's caller; `create` reports the failure from the
            // log, where liblxc writes its own errors too.
            let log = Path::new(config).with_file_name(lxcri::layout::LXC_LOG);
            if let Ok(mut f) = std::fs::OpenOptions::new()
                .append(true)
                .create(true)
                .open(log)
            {
                use std::io::Write;
                let _ = writeln!(f, "lxcri-start ERROR {e}");
            }
            ExitCode::from(1)
        }
    }
}

fn run(id: &str, lxcpath: &Path, config: &Path) -> Result<(), lxc::LxcError> {
    // lxc_container_new loads <lxcpath>/<id>/config by itself; loading it again would apply
    // every list item (mount entries, idmaps) twice.
    if !config.is_file() {
        return Err(lxc::LxcError::LoadConfig {
            path: config.display().to_string(),
        });
    }
    let c = lxc::Container::new(id, lxcpath)?;
    lxcri::fault::point("monitor:before-start");
    c.configure_foreground();
    let init = format!("{}/{}", lxcri::layout::CONTAINER_DIR, lxcri::layout::INIT);
    c.start(&[&init])
}
