//! Reading a bundle: the absolute bundle directory and its config.json, checked before
//! anything is made.

use std::io::Read;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use crate::error::Error;

/// The absolute bundle directory and its parsed config.json.
pub fn load(bundle: &Path) -> Result<(PathBuf, oci_spec::runtime::Spec), Error> {
    let bundle = std::fs::canonicalize(bundle)
        .map_err(|e| Error::io(format!("bundle {}", bundle.display()), e))?;
    let path = bundle.join("config.json");
    let data = read_config(&path)?;
    // serde's own message names the field, the bad value and the line (oci-spec's load() only
    // says "serde failed").
    let spec = serde_json::from_slice(&data).map_err(|e| Error::Spec {
        path: path.clone(),
        msg: e.to_string(),
    })?;
    Ok((bundle, spec))
}

/// The largest config.json read: far beyond any real spec, small enough to refuse a file that
/// would only make create spend memory and time.
const MAX_CONFIG_BYTES: u64 = 16 << 20;

/// Read config.json: only a regular file of sane size. Opened without blocking, so a FIFO (or
/// a device) planted as config.json is refused instead of hanging create.
pub fn read_config(path: &Path) -> Result<Vec<u8>, Error> {
    let cannot = |e| Error::io(format!("cannot read {}", path.display()), e);
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_CLOEXEC | libc::O_NOCTTY)
        .open(path)
        .map_err(cannot)?;
    let meta = file.metadata().map_err(cannot)?;
    if !meta.is_file() {
        return Err(Error::NotRegularFile(path.to_path_buf()));
    }
    if meta.len() > MAX_CONFIG_BYTES {
        return Err(Error::TooLarge {
            path: path.to_path_buf(),
            max_mib: MAX_CONFIG_BYTES >> 20,
        });
    }
    let mut data = Vec::with_capacity(meta.len() as usize);
    // A file that grows while we read stops at the limit all the same.
    file.take(MAX_CONFIG_BYTES + 1)
        .read_to_end(&mut data)
        .map_err(cannot)?;
    if data.len() as u64 > MAX_CONFIG_BYTES {
        return Err(Error::TooLarge {
            path: path.to_path_buf(),
            max_mib: MAX_CONFIG_BYTES >> 20,
        });
    }
    Ok(data)
}
