use std::path::PathBuf;

/// Why a spec cannot be translated. Every variant names what is wrong so `create` fails early
/// with a message the caller can act on.
#[derive(Debug, thiserror::Error)]
pub enum SpecError {
    #[error("config.json has no root.path")]
    MissingRoot,
    #[error("path {0:?} is not valid UTF-8")]
    NonUtf8Path(PathBuf),
    #[error("the value of {key} contains a line break or NUL")]
    LineBreakInValue { key: String },
    #[error("invalid {what} {value:?}: {reason}")]
    InvalidValue {
        what: &'static str,
        value: String,
        reason: String,
    },

    #[error("namespace {0} is listed more than once")]
    DuplicateNamespace(String),
    #[error("a mount namespace (new or joined by path) is required: liblxc sets every container up by changing the mount namespace it runs in (shared mounts made dependent, pivot_root), which would be the host's")]
    MountNamespaceRequired,
    #[error("the path of the {0} namespace must be absolute")]
    RelativeNamespacePath(String),
    #[error("a new user namespace needs both uidMappings and gidMappings")]
    UserNamespaceWithoutMappings,
    #[error("uidMappings/gidMappings are given but no new user namespace is requested")]
    MappingsWithoutUserNamespace,
    #[error(
        "a hostname can only be set in a uts namespace of the container (new or joined by path)"
    )]
    HostnameWithoutUtsNamespace,
    #[error(
        "a domainname can only be set in a uts namespace of the container (new or joined by path)"
    )]
    DomainnameWithoutUtsNamespace,
    #[error("linux.timeOffsets needs a new time namespace")]
    TimeOffsetsWithoutTimeNamespace,
    #[error("linux.netDevices needs a new network namespace")]
    NetDevicesWithoutNetworkNamespace,
    #[error("{field} is set but {lsm} is not enabled on this host")]
    LsmDisabled {
        field: &'static str,
        lsm: &'static str,
    },
    #[error(transparent)]
    Process(#[from] crate::process::ProcessError),

    #[error("mount {dest:?}: {what} (idmapped mounts) is not supported by this runtime")]
    IdmappedMount { dest: PathBuf, what: &'static str },
    #[error("mount destination {0:?} must not be the container's root")]
    MountOnRoot(PathBuf),
    #[error("bind mount to {0:?} has no source")]
    MountWithoutSource(PathBuf),
    #[error("mount destination {dest:?} escapes the rootfs {rootfs:?}")]
    EscapesRootfs { rootfs: PathBuf, dest: PathBuf },
    #[error("too many levels of symbolic links resolving {dest:?} in {rootfs:?}")]
    SymlinkLoop { rootfs: PathBuf, dest: PathBuf },
    #[error("resolving {dest:?} in {rootfs:?}: {source}")]
    Resolve {
        rootfs: PathBuf,
        dest: PathBuf,
        source: std::io::Error,
    },

    #[error("invalid cgroupsPath {path:?}: {reason}")]
    InvalidCgroupsPath { path: String, reason: String },
    #[error("{resource} needs the {controller} cgroup controller, which this host does not have")]
    ControllerUnavailable {
        controller: String,
        resource: String,
    },
    #[error("{resource} needs the {controller} controller, which this hybrid host has only on cgroup2, and liblxc ignores cgroup2 limits on hybrid hosts")]
    Cgroup2OnHybrid {
        controller: String,
        resource: String,
    },
    #[error("{resource} is not supported on cgroup {version}")]
    UnsupportedResource {
        resource: String,
        version: &'static str,
    },

    #[error("cannot set {0}: the container has no cgroup of its own (rootless, and no cgroup is delegated to this user); remove the limit from linux.resources")]
    NoCgroupForLimit(String),

    #[error("sysctl {0:?} is not allowed: {1}")]
    Sysctl(String, String),
    #[error("rlimit {0} is given more than once")]
    DuplicateRlimit(String),
    #[error("rlimit {0}: soft limit {1} is above hard limit {2}")]
    RlimitSoftAboveHard(String, u64, u64),
}
