//! Where things live: the runtime directory of a container on the host, and the small directory
//! that is bind-mounted read-only into the container at [`CONTAINER_DIR`].
//!
//! ```text
//! <root>/<id>.lock            flock guarding every command on <id>
//! <root>/<id>/                mode 0700
//!     config                  liblxc config (lxc.* items)
//!     state.json              lxcri's own state (written atomically)
//!     lxc.log                 liblxc's log
//!     .lxcri/                 bind-mounted read-only at /.lxcri inside the container
//!         init                empty file; the lxcri-init binary is bind-mounted over it
//!         init.json           InitConfig: what lxcri-init needs to finish the process
//!         seccomp.bpf         compiled seccomp filter (optional)
//!         init.sock           lxcri-init -> create: ready/error message (+ pty master)
//!         start               fifo: start -> lxcri-init, one byte releases the process
//!         exec                fifo: lxcri-init -> start, error text or EOF when execve closed it
//! ```

use std::path::{Path, PathBuf};

use crate::id::ContainerId;

/// Mount point of the runtime's private directory inside the container.
pub const CONTAINER_DIR: &str = "/.lxcri";
/// Name of the private directory inside the runtime directory.
pub const PRIVATE_DIR: &str = ".lxcri";

pub const INIT: &str = "init";
pub const INIT_CONFIG: &str = "init.json";
pub const SECCOMP_BPF: &str = "seccomp.bpf";
pub const INIT_SOCKET: &str = "init.sock";
pub const START_FIFO: &str = "start";
pub const EXEC_FIFO: &str = "exec";

pub const LXC_CONFIG: &str = "config";
pub const STATE_FILE: &str = "state.json";
pub const LXC_LOG: &str = "lxc.log";

/// Helper binaries the runtime runs, looked up in the libexec directory.
pub const INIT_BIN: &str = "lxcri-init";
pub const START_BIN: &str = "lxcri-start";
pub const HOOK_BIN: &str = "lxcri-hook";

/// The cgroup (relative to each hierarchy's root) of liblxc's monitor while it builds the
/// container: named here once, for translation (`lxc.cgroup.dir.monitor`) and for the removal.
pub fn monitor_cgroup_dir(id: &ContainerId) -> String {
    format!("lxcri.monitor/{id}")
}

/// Paths of one container's runtime directory on the host.
#[derive(Debug, Clone)]
pub struct RuntimeDir {
    root: PathBuf,
    id: ContainerId,
}

impl RuntimeDir {
    pub fn new(root: &Path, id: &ContainerId) -> Self {
        Self {
            root: root.to_path_buf(),
            id: id.clone(),
        }
    }
    pub fn id(&self) -> &ContainerId {
        &self.id
    }
    /// The `--root` directory, which is also liblxc's lxcpath.
    pub fn root(&self) -> &Path {
        &self.root
    }
    pub fn dir(&self) -> PathBuf {
        self.root.join(self.id.as_str())
    }
    pub fn lock_file(&self) -> PathBuf {
        self.root.join(format!("{}.lock", self.id))
    }
    pub fn lxc_config(&self) -> PathBuf {
        self.dir().join(LXC_CONFIG)
    }
    pub fn state_file(&self) -> PathBuf {
        self.dir().join(STATE_FILE)
    }
    pub fn lxc_log(&self) -> PathBuf {
        self.dir().join(LXC_LOG)
    }
    pub fn private_dir(&self) -> PathBuf {
        self.dir().join(PRIVATE_DIR)
    }
    pub fn private(&self, name: &str) -> PathBuf {
        self.private_dir().join(name)
    }
}

/// Path of a file of the private directory as seen from inside the container.
pub fn in_container(name: &str) -> String {
    format!("{CONTAINER_DIR}/{name}")
}
