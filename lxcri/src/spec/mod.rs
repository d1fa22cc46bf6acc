//! Translation of an OCI `config.json` into an ordered list of liblxc config items.
// TEMPORARY minimal stand-in until the full translation lands.
use crate::cgroup::CgroupLayout;
use crate::id::ContainerId;
use crate::layout::RuntimeDir;
use oci_spec::runtime::Spec;
use std::path::{Path, PathBuf};

pub type LxcItems = Vec<(String, String)>;
#[derive(Debug, thiserror::Error)]
pub enum SpecError {
    #[error("{0}")]
    Invalid(String),
}
pub trait Host {
    fn resolve_in_rootfs(&self, rootfs: &Path, dest: &Path) -> Result<PathBuf, SpecError>;
    fn is_dir(&self, path: &Path) -> bool;
}
pub struct RealHost;
impl Host for RealHost {
    fn resolve_in_rootfs(&self, _rootfs: &Path, dest: &Path) -> Result<PathBuf, SpecError> {
        Ok(dest.strip_prefix("/").unwrap_or(dest).to_path_buf())
    }
    fn is_dir(&self, path: &Path) -> bool {
        path.is_dir()
    }
}
pub struct Context<'a> {
    pub id: &'a ContainerId,
    pub bundle: &'a Path,
    pub rundir: &'a RuntimeDir,
    pub init_binary: &'a Path,
    pub hook_binary: &'a Path,
    pub cgroup: &'a CgroupLayout,
    pub systemd_cgroup: bool,
    pub host: &'a dyn Host,
}
pub fn rootfs_path(spec: &Spec, bundle: &Path) -> Result<PathBuf, SpecError> {
    let root = spec
        .root()
        .as_ref()
        .ok_or(SpecError::Invalid("no root".into()))?;
    Ok(bundle.join(root.path()))
}
pub fn cgroup_dir(_spec: &Spec, id: &ContainerId, _systemd: bool) -> Result<String, SpecError> {
    Ok(format!("lxcri/{id}"))
}
pub fn translate(spec: &Spec, ctx: &Context) -> Result<LxcItems, SpecError> {
    let rootfs = rootfs_path(spec, ctx.bundle)?;
    let mut v: LxcItems = vec![];
    let mut p = |k: &str, val: String| v.push((k.to_string(), val));
    p(
        "lxc.uts.name",
        spec.hostname().clone().unwrap_or(ctx.id.to_string()),
    );
    p("lxc.rootfs.path", format!("dir:{}", rootfs.display()));
    p("lxc.console.path", "none".into());
    p("lxc.tty.max", "0".into());
    p("lxc.pty.max", "0".into());
    p("lxc.monitor.signal.pdeath", "0".into());
    p("lxc.autodev", "1".into());
    p("lxc.mount.auto", "proc:mixed sys:mixed".into());
    p("lxc.net.0.type", "empty".into());
    p("lxc.log.file", ctx.rundir.lxc_log().display().to_string());
    p("lxc.cgroup.dir.container", cgroup_dir(spec, ctx.id, false)?);
    p(
        "lxc.cgroup.dir.monitor",
        format!("lxcri.monitor/{}", ctx.id),
    );
    p(
        "lxc.mount.entry",
        format!(
            "{} .lxcri none bind,ro,create=dir 0 0",
            ctx.rundir.private_dir().display()
        ),
    );
    p(
        "lxc.mount.entry",
        format!("{} .lxcri/init none bind,ro 0 0", ctx.init_binary.display()),
    );
    Ok(v)
}
