//! The one small safe wrapper around liblxc. Only `lxcri-start` (the monitor) starts containers;
//! after `create` returns nothing may use liblxc's per-container API (DESIGN.md).

use std::ffi::{CStr, CString};
use std::path::Path;
use std::ptr::NonNull;

#[derive(Debug, thiserror::Error)]
pub enum LxcError {
    #[error("invalid argument for liblxc (contains a NUL byte): {0:?}")]
    Nul(String),
    #[error("liblxc could not allocate container {0}")]
    New(String),
    #[error("liblxc config {path} does not exist")]
    LoadConfig { path: String },
    #[error("liblxc failed to start container {name}: {reason}")]
    Start { name: String, reason: String },
}

/// The liblxc version string, e.g. "5.0.2".
pub fn version() -> String {
    // SAFETY: lxc_get_version returns a pointer to a static NUL-terminated string.
    let p = unsafe { liblxc_sys::lxc_get_version() };
    if p.is_null() {
        return "unknown".into();
    }
    // SAFETY: non-null, static, NUL-terminated (see above).
    unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned()
}

fn cstring(s: &str) -> Result<CString, LxcError> {
    CString::new(s).map_err(|_| LxcError::Nul(s.to_string()))
}

/// A reference to a `struct lxc_container`, released with `lxc_container_put`.
pub struct Container {
    ptr: NonNull<liblxc_sys::lxc_container>,
    name: String,
}

impl Container {
    /// A container named `name` whose config lives in `<lxcpath>/<name>/config`.
    pub fn new(name: &str, lxcpath: &Path) -> Result<Self, LxcError> {
        let cname = cstring(name)?;
        let cpath = cstring(&lxcpath.to_string_lossy())?;
        // SAFETY: both arguments are valid NUL-terminated strings that outlive the call; liblxc
        // copies them.
        let p = unsafe { liblxc_sys::lxc_container_new(cname.as_ptr(), cpath.as_ptr()) };
        let ptr = NonNull::new(p).ok_or_else(|| LxcError::New(name.to_string()))?;
        Ok(Self {
            ptr,
            name: name.to_string(),
        })
    }

    fn raw(&self) -> &liblxc_sys::lxc_container {
        // SAFETY: ptr came from lxc_container_new and we hold a reference until Drop.
        unsafe { self.ptr.as_ref() }
    }

    /// Run in the foreground (this process becomes the monitor) and keep inherited fds: the
    /// container's init gets our stdio, as the caller handed it to `lxcri create`.
    pub fn configure_foreground(&self) {
        let raw = self.raw();
        if let Some(f) = raw.want_daemonize {
            // SAFETY: liblxc method on our live container.
            unsafe { f(self.ptr.as_ptr(), false) };
        }
        if let Some(f) = raw.want_close_all_fds {
            // SAFETY: liblxc method on our live container.
            unsafe { f(self.ptr.as_ptr(), false) };
        }
    }

    /// Start the container with `argv` as its init. Blocks while the container runs.
    pub fn start(&self, argv: &[&str]) -> Result<(), LxcError> {
        let owned: Vec<CString> = argv.iter().map(|a| cstring(a)).collect::<Result<_, _>>()?;
        let mut ptrs: Vec<*mut libc::c_char> = owned
            .iter()
            .map(|c| c.as_ptr() as *mut libc::c_char)
            .collect();
        ptrs.push(std::ptr::null_mut());
        let f = self.raw().start.ok_or_else(|| LxcError::Start {
            name: self.name.clone(),
            reason: "liblxc has no start method".into(),
        })?;
        // SAFETY: ptrs is a NULL-terminated array of valid C strings that live until the call
        // returns; liblxc does not keep them after start returns.
        let ok = unsafe { f(self.ptr.as_ptr(), 0, ptrs.as_ptr()) };
        if ok {
            return Ok(());
        }
        let raw = self.raw();
        let reason = if raw.error_string.is_null() {
            format!("error {}", raw.error_num)
        } else {
            // SAFETY: liblxc keeps error_string as a NUL-terminated string owned by the container.
            unsafe { CStr::from_ptr(raw.error_string) }
                .to_string_lossy()
                .into_owned()
        };
        Err(LxcError::Start {
            name: self.name.clone(),
            reason,
        })
    }
}

impl Drop for Container {
    fn drop(&mut self) {
        // SAFETY: we own one reference from lxc_container_new.
        unsafe { liblxc_sys::lxc_container_put(self.ptr.as_ptr()) };
    }
}
