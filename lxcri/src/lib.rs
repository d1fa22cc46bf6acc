//! lxcri: an OCI runtime on top of liblxc.
//!
//! The modules without the `runtime` feature (ids, layout, the init and hook protocols, process
//! finishing) are what the static `lxcri-init` and `lxcri-hook` link; everything else needs liblxc.

#[cfg(test)]
#[macro_use]
mod test_skip;

pub mod default_spec;
pub mod fault;
pub mod hook_proto;
pub mod hooks;
pub mod id;
pub mod init_proto;
pub mod layout;
pub mod process;
pub mod procmount;
pub mod rootless;
pub mod sealed;
pub mod sys;

#[cfg(feature = "runtime")]
pub mod bundle;
#[cfg(feature = "runtime")]
pub mod cgroup;
#[cfg(feature = "runtime")]
pub mod commands;
#[cfg(feature = "runtime")]
pub mod config;
#[cfg(feature = "runtime")]
pub mod error;
#[cfg(feature = "runtime")]
pub mod lock;
#[cfg(feature = "runtime")]
pub mod logging;
#[cfg(feature = "runtime")]
pub mod monitor;
#[cfg(feature = "runtime")]
pub mod nsfile;
#[cfg(feature = "runtime")]
pub mod pidns;
#[cfg(feature = "runtime")]
pub mod placement;
#[cfg(feature = "runtime")]
pub mod plan;
#[cfg(feature = "runtime")]
pub mod runtime;
#[cfg(feature = "runtime")]
pub mod seccomp;
#[cfg(feature = "runtime")]
pub mod signal;
#[cfg(feature = "runtime")]
pub mod spec;
#[cfg(feature = "runtime")]
pub mod state;
#[cfg(feature = "runtime")]
pub mod systemd;
#[cfg(feature = "runtime")]
pub mod teardown;
#[cfg(feature = "runtime")]
pub mod time;
#[cfg(feature = "runtime")]
pub mod update;
