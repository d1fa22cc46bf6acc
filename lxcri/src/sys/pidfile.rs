//! `--pid-file`: written atomically (a temp file renamed), as runc does, so a caller never
//! reads half a pid.

use std::path::{Path, PathBuf};

/// Write `pid` to `path`, relative paths taken from the cwd; returns the absolute path.
pub fn write(path: &Path, pid: i32) -> std::io::Result<PathBuf> {
    let path = if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir()?.join(path)
    };
    super::fd::write_atomic(&path, pid.to_string().as_bytes(), 0o644)?;
    Ok(path)
}
