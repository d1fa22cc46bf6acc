//! `lxcri spec [--bundle DIR]`: write a default config.json (as `runc spec`); with the global
//! `--rootless` (runc's `spec --rootless`) one an unprivileged user can run.

use std::path::PathBuf;

use crate::error::Error;

/// `lxcri spec`'s arguments.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Directory to write config.json to.
    #[arg(short, long, default_value = ".")]
    pub bundle: PathBuf,
}

/// `rootless`: the global `--rootless` flag's value, as clap gives it.
pub fn run(a: &Args, rootless: Option<&str>) -> Result<u8, Error> {
    let rootless = wants_rootless(rootless);
    let mut config = if rootless {
        crate::default_spec::rootless_config(
            nix::unistd::getuid().as_raw(),
            nix::unistd::getgid().as_raw(),
        )
    } else {
        crate::default_spec::default_config()
    }?;
    // runc's spec gives a container its own cgroup namespace where the host is pure cgroup v2;
    // a rootless one does not yet
    // (default_spec::make_rootless says why).
    let v2 = crate::cgroup::CgroupLayout::detect().is_ok_and(|l| l.mode == crate::cgroup::Mode::V2);
    if !rootless && v2 {
        crate::default_spec::add_cgroup_namespace(&mut config);
    }
    crate::default_spec::write_new_config(&a.bundle, &config)?;
    Ok(0)
}

/// `--rootless` (no value, "true", or "auto" for a caller who is not root) asks for the
/// rootless variant.
fn wants_rootless(flag: Option<&str>) -> bool {
    match flag {
        Some("true") => true,
        Some("auto") => !nix::unistd::geteuid().is_root(),
        _ => false,
    }
}
