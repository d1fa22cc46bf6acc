//! `linux.sysctl`: written through the container's own /proc (mounted under the rootfs), from
//! the hook, which already runs in the container's namespaces. liblxc's `lxc.sysctl.*` would come
//! after the read-only paths (/proc/sys) are in place.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;

use nix::fcntl::OFlag;

use crate::error::{Context, Result};
use crate::resolve::Root;

pub fn apply(root: &Root, sysctl: &BTreeMap<String, String>) -> Result<()> {
    for (key, value) in sysctl {
        // Translation validated the name (letters, digits, '.', '_', '-'), so it cannot climb
        // out of /proc/sys.
        let rel: PathBuf = ["proc", "sys"]
            .into_iter()
            .map(String::from)
            .chain(key.replace('/', ".").split('.').map(String::from))
            .collect();
        let what = || format!("sysctl {key}={value}");
        let fd = root
            .open_path(&rel, OFlag::O_WRONLY | OFlag::O_CLOEXEC)
            .ctx(what)?;
        let mut f = std::fs::File::from(fd);
        f.write_all(value.as_bytes()).ctx(what)?;
    }
    Ok(())
}
