//! lxcri: an OCI runtime on top of liblxc.
//!
//! The modules without the `runtime` feature (ids, layout, the init and hook protocols, process
//! finishing) are what the static `lxcri-init` and `lxcri-hook` link; everything else needs liblxc.

pub mod hook_proto;
pub mod id;
pub mod init_proto;
pub mod layout;
pub mod process;

#[cfg(feature = "runtime")]
pub mod cgroup;
#[cfg(feature = "runtime")]
pub mod rootfs;
#[cfg(feature = "runtime")]
pub mod spec;
