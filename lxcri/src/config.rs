//! The runtime's global settings and where each one comes from.
//!
//! Every setting is a key of the optional file `/etc/lxcri/lxcri.toml` (another file with
//! `LXCRI_CONFIG`), an `LXCRI_<KEY>` environment variable and a global flag. A flag beats the
//! environment, the environment beats the file, the file beats the default. Unknown keys and
//! values of the wrong type are errors that name the file, the line and the key.
//!
//! ```toml
//! root = "/run/lxcri"          # --root, LXCRI_ROOT
//! log = "/var/log/lxcri.log"   # --log, LXCRI_LOG ("" = none: warnings go to stderr)
//! log_format = "text"          # --log-format, LXCRI_LOG_FORMAT: text | json
//! log_level = "info"           # --log-level, LXCRI_LOG_LEVEL: error | warn | info | debug
//! debug = false                # --debug, LXCRI_DEBUG: log_level = "debug"
//! libexec = "/usr/libexec/lxcri"   # --libexec, LXCRI_LIBEXEC
//! systemd_cgroup = false       # --systemd-cgroup, LXCRI_SYSTEMD_CGROUP
//! lxc_log_level = "error"      # --lxc-log-level, LXCRI_LXC_LOG_LEVEL: liblxc's lxc.log.level
//! ```

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use crate::logging::LogFormat;

/// The file read when `LXCRI_CONFIG` is not set; it need not exist.
pub const DEFAULT_FILE: &str = "/etc/lxcri/lxcri.toml";
/// The environment variable naming another configuration file (which then must exist).
pub const CONFIG_ENV: &str = "LXCRI_CONFIG";

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read {}: {source}", path.display())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    /// A problem in the file, at a line (1-based).
    #[error("{}:{line}: {msg}", path.display())]
    File {
        path: PathBuf,
        line: usize,
        msg: String,
    },
    /// A bad value in an environment variable.
    #[error("environment variable {var}: {msg}")]
    Env { var: String, msg: String },
}

/// Every key there is, in the order `lxcri config` prints them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Key {
    Root,
    Log,
    LogFormat,
    LogLevel,
    Debug,
    Libexec,
    SystemdCgroup,
    LxcLogLevel,
}

impl Key {
    pub const ALL: [Key; 8] = [
        Key::Root,
        Key::Log,
        Key::LogFormat,
        Key::LogLevel,
        Key::Debug,
        Key::Libexec,
        Key::SystemdCgroup,
        Key::LxcLogLevel,
    ];

    /// The key in the file.
    pub fn name(self) -> &'static str {
        match self {
            Key::Root => "root",
            Key::Log => "log",
            Key::LogFormat => "log_format",
            Key::LogLevel => "log_level",
            Key::Debug => "debug",
            Key::Libexec => "libexec",
            Key::SystemdCgroup => "systemd_cgroup",
            Key::LxcLogLevel => "lxc_log_level",
        }
    }

    /// The environment variable: `LXCRI_` and the key in capitals.
    pub fn env(self) -> String {
        format!("LXCRI_{}", self.name().to_ascii_uppercase())
    }

    /// The global flag.
    pub fn flag(self) -> String {
        format!("--{}", self.name().replace('_', "-"))
    }

    fn from_name(name: &str) -> Option<Key> {
        Key::ALL.into_iter().find(|k| k.name() == name)
    }

    fn is_bool(self) -> bool {
        matches!(self, Key::Debug | Key::SystemdCgroup)
    }
}

/// Where a value came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    Default,
    File { path: PathBuf, line: usize },
    Env(String),
    Flag(String),
}

impl Source {
    /// Precedence: a flag (3) beats the environment (2), the environment the file (1), the file
    /// the default (0).
    pub fn rank(&self) -> u8 {
        match self {
            Source::Default => 0,
            Source::File { .. } => 1,
            Source::Env(_) => 2,
            Source::Flag(_) => 3,
        }
    }
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::Default => write!(f, "default"),
            Source::File { path, line } => write!(f, "file {}:{line}", path.display()),
            Source::Env(v) => write!(f, "env {v}"),
            Source::Flag(v) => write!(f, "flag {v}"),
        }
    }
}

/// One effective value and its source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Setting<T> {
    pub value: T,
    pub source: Source,
}

/// lxcri's own log level (tracing).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum LogLevel {
    Error,
    Warn,
    Info,
    Debug,
}

impl LogLevel {
    pub const NAMES: [&'static str; 4] = ["error", "warn", "info", "debug"];

    pub fn name(self) -> &'static str {
        Self::NAMES[self as usize]
    }

    pub fn parse(s: &str) -> Option<LogLevel> {
        match s.to_ascii_lowercase().as_str() {
            "error" => Some(LogLevel::Error),
            "warn" | "warning" => Some(LogLevel::Warn),
            "info" => Some(LogLevel::Info),
            "debug" => Some(LogLevel::Debug),
            _ => None,
        }
    }

    pub fn tracing(self) -> tracing::Level {
        match self {
            LogLevel::Error => tracing::Level::ERROR,
            LogLevel::Warn => tracing::Level::WARN,
            LogLevel::Info => tracing::Level::INFO,
            LogLevel::Debug => tracing::Level::DEBUG,
        }
    }
}

/// liblxc's log levels (`lxc.log.level`), written into each container's liblxc config; liblxc
/// logs to `<root>/<id>/lxc.log`.
pub const LXC_LOG_LEVELS: [&str; 9] = [
    "trace", "debug", "info", "notice", "warn", "error", "crit", "alert", "fatal",
];

fn parse_lxc_log_level(s: &str) -> Option<String> {
    let l = s.to_ascii_lowercase();
    LXC_LOG_LEVELS
        .contains(&l.as_str())
        .then(|| l.to_ascii_uppercase())
}

fn parse_format(s: &str) -> Option<LogFormat> {
    match s {
        "text" => Some(LogFormat::Text),
        "json" => Some(LogFormat::Json),
        _ => None,
    }
}

fn format_name(f: LogFormat) -> &'static str {
    match f {
        LogFormat::Text => "text",
        LogFormat::Json => "json",
    }
}

fn parse_bool(s: &str) -> Option<bool> {
    match s.to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "on" => Some(true),
        "false" | "0" | "no" | "off" => Some(false),
        _ => None,
    }
}

/// A value as a source gives it, before it is checked.
#[derive(Debug, Clone, PartialEq)]
enum Raw {
    Str(String),
    Bool(bool),
}

/// The global flags as given on the command line; `None` (or `false` for a switch) is "not
/// given".
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Flags {
    pub root: Option<PathBuf>,
    pub log: Option<PathBuf>,
    pub log_format: Option<LogFormat>,
    pub log_level: Option<LogLevel>,
    pub debug: bool,
    pub libexec: Option<PathBuf>,
    pub systemd_cgroup: bool,
    pub lxc_log_level: Option<String>,
}

impl Flags {
    fn raw(&self, key: Key) -> Option<Raw> {
        let path = |p: &Option<PathBuf>| {
            p.as_ref()
                .map(|p| Raw::Str(p.to_string_lossy().into_owned()))
        };
        match key {
            Key::Root => path(&self.root),
            Key::Log => path(&self.log),
            Key::LogFormat => self.log_format.map(|f| Raw::Str(format_name(f).into())),
            Key::LogLevel => self.log_level.map(|l| Raw::Str(l.name().into())),
            Key::Debug => self.debug.then_some(Raw::Bool(true)),
            Key::Libexec => path(&self.libexec),
            Key::SystemdCgroup => self.systemd_cgroup.then_some(Raw::Bool(true)),
            Key::LxcLogLevel => self.lxc_log_level.clone().map(Raw::Str),
        }
    }
}

/// A configuration file, read and checked key by key.
#[derive(Debug, Clone, Default)]
pub struct ConfigFile {
    pub path: PathBuf,
    entries: BTreeMap<Key, (Raw, usize)>,
}

impl ConfigFile {
    /// The file `LXCRI_CONFIG` names (it must exist), else [`DEFAULT_FILE`] if it exists.
    pub fn load(env: &dyn Fn(&str) -> Option<String>) -> Result<Option<ConfigFile>, ConfigError> {
        let (path, explicit) = match env(CONFIG_ENV).filter(|p| !p.is_empty()) {
            Some(p) => (PathBuf::from(p), true),
            None => (PathBuf::from(DEFAULT_FILE), false),
        };
        match std::fs::read_to_string(&path) {
            Ok(text) => Ok(Some(Self::parse(&path, &text)?)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && !explicit => Ok(None),
            Err(source) => Err(ConfigError::Read { path, source }),
        }
    }

    /// Parse `text` (the contents of `path`).
    pub fn parse(path: &Path, text: &str) -> Result<ConfigFile, ConfigError> {
        let err = |line: usize, msg: String| ConfigError::File {
            path: path.to_path_buf(),
            line,
            msg,
        };
        let line_of = |offset: usize| text[..offset.min(text.len())].matches('\n').count() + 1;
        type Doc = BTreeMap<toml::Spanned<String>, toml::Spanned<toml::Value>>;
        let doc: Doc = toml::from_str(text).map_err(|e| {
            let line = e.span().map_or(1, |s| line_of(s.start));
            err(line, e.message().trim().to_string())
        })?;
        // In the order of the file, so the first problem is the one reported.
        let mut items: Vec<_> = doc.into_iter().collect();
        items.sort_by_key(|(k, _)| k.span().start);
        let mut entries = BTreeMap::new();
        for (k, v) in items {
            let line = line_of(k.span().start);
            let name = k.get_ref();
            let key = Key::from_name(name).ok_or_else(|| {
                let hint = match name.as_str() {
                    n if n.contains('-') && Key::from_name(&n.replace('-', "_")).is_some() => {
                        format!(" (did you mean \"{}\"?)", n.replace('-', "_"))
                    }
                    _ => String::new(),
                };
                err(line, format!("unknown key \"{name}\"{hint}"))
            })?;
            let raw = match (key.is_bool(), v.get_ref()) {
                (true, toml::Value::Boolean(b)) => Raw::Bool(*b),
                (false, toml::Value::String(s)) => Raw::Str(s.clone()),
                (bool_key, other) => {
                    return Err(err(
                        line,
                        format!(
                            "key \"{name}\" must be {}, not {}",
                            if bool_key {
                                "true or false"
                            } else {
                                "a string"
                            },
                            describe(other)
                        ),
                    ))
                }
            };
            check(key, &raw).map_err(|msg| err(line, format!("key \"{name}\": {msg}")))?;
            entries.insert(key, (raw, line));
        }
        Ok(ConfigFile {
            path: path.to_path_buf(),
            entries,
        })
    }
}

fn describe(v: &toml::Value) -> String {
    match v {
        toml::Value::String(s) => format!("the string {:?}", s),
        toml::Value::Table(_) => "a table".into(),
        other => format!("{} {other}", other.type_str()),
    }
}

/// Whether a raw value is acceptable for `key`; the message says what is.
fn check(key: Key, raw: &Raw) -> Result<(), String> {
    let s = match raw {
        Raw::Bool(_) => return Ok(()),
        Raw::Str(s) => s.as_str(),
    };
    let ok = match key {
        Key::Root | Key::Libexec => !s.is_empty(),
        Key::Log => true,
        Key::LogFormat => parse_format(s).is_some(),
        Key::LogLevel => LogLevel::parse(s).is_some(),
        Key::LxcLogLevel => parse_lxc_log_level(s).is_some(),
        Key::Debug | Key::SystemdCgroup => parse_bool(s).is_some(),
    };
    if ok {
        return Ok(());
    }
    Err(match key {
        Key::Root | Key::Libexec => "must not be empty".into(),
        Key::LogFormat => format!("{s:?} is not one of text, json"),
        Key::LogLevel => format!("{s:?} is not one of {}", LogLevel::NAMES.join(", ")),
        Key::LxcLogLevel => format!("{s:?} is not one of {}", LXC_LOG_LEVELS.join(", ")),
        _ => format!("{s:?} is not true or false"),
    })
}

/// The effective configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// The file that was read, if any.
    pub file: Option<PathBuf>,
    pub root: Setting<PathBuf>,
    /// `None`: no log file, warnings and errors go to stderr.
    pub log: Setting<Option<PathBuf>>,
    pub log_format: Setting<LogFormat>,
    /// lxcri's level: `debug` when [`Config::debug`] is on.
    pub log_level: Setting<LogLevel>,
    pub debug: Setting<bool>,
    pub libexec: Setting<PathBuf>,
    pub systemd_cgroup: Setting<bool>,
    /// liblxc's level, in capitals as `lxc.log.level` takes it.
    pub lxc_log_level: Setting<String>,
}

/// Where the defaults that depend on the host come from.
pub struct Defaults {
    pub root: PathBuf,
    pub libexec: PathBuf,
}

impl Defaults {
    /// `/run/lxcri` for root, `$XDG_RUNTIME_DIR/lxcri` for a rootless caller
    /// ([`crate::rootless::default_root`]); `<prefix>/libexec/lxcri` beside
    /// `<prefix>/bin/lxcri` if it exists, else the directory of the running binary.
    pub fn of_host() -> Defaults {
        let root = crate::rootless::default_root(&|k| std::env::var(k).ok());
        let exe = std::env::current_exe().unwrap_or_default();
        let dir = exe.parent().unwrap_or(Path::new("/usr/bin"));
        let installed = dir.join("../libexec/lxcri");
        let libexec = if installed.is_dir() {
            installed.canonicalize().unwrap_or(installed)
        } else {
            dir.to_path_buf()
        };
        Defaults { root, libexec }
    }
}

impl Config {
    /// Resolve every key: `flags`, then `env`, then `file`, then `defaults`.
    pub fn resolve(
        flags: &Flags,
        env: &dyn Fn(&str) -> Option<String>,
        file: Option<&ConfigFile>,
        defaults: &Defaults,
    ) -> Result<Config, ConfigError> {
        let mut found: BTreeMap<Key, (Raw, Source)> = BTreeMap::new();
        for key in Key::ALL {
            let from_flag = flags.raw(key).map(|r| (r, Source::Flag(key.flag())));
            let from_env = || -> Result<Option<(Raw, Source)>, ConfigError> {
                let var = key.env();
                let Some(v) = env(&var).filter(|v| !v.is_empty()) else {
                    return Ok(None);
                };
                let raw = if key.is_bool() {
                    Raw::Bool(parse_bool(&v).ok_or_else(|| ConfigError::Env {
                        var: var.clone(),
                        msg: format!("{v:?} is not true or false"),
                    })?)
                } else {
                    Raw::Str(v)
                };
                check(key, &raw).map_err(|msg| ConfigError::Env {
                    var: var.clone(),
                    msg,
                })?;
                Ok(Some((raw, Source::Env(var))))
            };
            let from_file = || {
                file.and_then(|f| {
                    f.entries.get(&key).map(|(raw, line)| {
                        (
                            raw.clone(),
                            Source::File {
                                path: f.path.clone(),
                                line: *line,
                            },
                        )
                    })
                })
            };
            let v = match from_flag {
                Some(v) => Some(v),
                None => match from_env()? {
                    Some(v) => Some(v),
                    None => from_file(),
                },
            };
            if let Some(v) = v {
                found.insert(key, v);
            }
        }
        let mut take = |key: Key| found.remove(&key);
        let string = |r: Raw| match r {
            Raw::Str(s) => s,
            Raw::Bool(b) => b.to_string(),
        };
        let boolean = |r: Raw| match r {
            Raw::Bool(b) => b,
            Raw::Str(s) => parse_bool(&s).unwrap_or(false),
        };
        // A key's value from where it was found, else its default.
        fn setting<T>(
            found: Option<(Raw, Source)>,
            value: impl FnOnce(Raw) -> T,
            default: T,
        ) -> Setting<T> {
            match found {
                Some((r, source)) => Setting {
                    value: value(r),
                    source,
                },
                None => Setting {
                    value: default,
                    source: Source::Default,
                },
            }
        }
        let path = |r: Raw| PathBuf::from(string(r));
        let root = setting(take(Key::Root), path, defaults.root.clone());
        let libexec = setting(take(Key::Libexec), path, defaults.libexec.clone());
        let log = setting(
            take(Key::Log),
            |r| Some(path(r)).filter(|p| !p.as_os_str().is_empty()),
            None,
        );
        let log_format = setting(
            take(Key::LogFormat),
            |r| parse_format(&string(r)).unwrap_or_default(),
            LogFormat::Text,
        );
        let debug = setting(take(Key::Debug), boolean, false);
        let systemd_cgroup = setting(take(Key::SystemdCgroup), boolean, false);
        // As runc: a log file gets info, stderr only warnings.
        let level = setting(
            take(Key::LogLevel),
            |r| LogLevel::parse(&string(r)).unwrap_or(LogLevel::Info),
            if log.value.is_some() {
                LogLevel::Info
            } else {
                LogLevel::Warn
            },
        );
        // `debug = true` is `log_level = "debug"`; of the two, the one from the stronger source
        // decides, and debug when both come from the same kind (`--debug --log-level warn`).
        let log_level = if debug.value && debug.source.rank() >= level.source.rank() {
            Setting {
                value: LogLevel::Debug,
                source: debug.source.clone(),
            }
        } else {
            level
        };
        let lxc_log_level = setting(
            take(Key::LxcLogLevel),
            |r| parse_lxc_log_level(&string(r)).unwrap_or_else(|| "ERROR".into()),
            if log_level.value == LogLevel::Debug {
                "DEBUG".into()
            } else {
                "ERROR".into()
            },
        );
        Ok(Config {
            file: file.map(|f| f.path.clone()),
            root,
            log,
            log_format,
            log_level,
            debug,
            libexec,
            systemd_cgroup,
            lxc_log_level,
        })
    }

    /// Each key with its value as TOML and its source, in [`Key::ALL`] order; `None` for a key
    /// without a value (no log file).
    pub fn entries(&self) -> Vec<(Key, Option<toml::Value>, &Source)> {
        let path = |p: &Path| toml::Value::String(p.to_string_lossy().into_owned());
        let s = |v: &str| toml::Value::String(v.to_string());
        Key::ALL
            .into_iter()
            .map(|k| match k {
                Key::Root => (k, Some(path(&self.root.value)), &self.root.source),
                Key::Log => (k, self.log.value.as_deref().map(path), &self.log.source),
                Key::LogFormat => (
                    k,
                    Some(s(format_name(self.log_format.value))),
                    &self.log_format.source,
                ),
                Key::LogLevel => (
                    k,
                    Some(s(self.log_level.value.name())),
                    &self.log_level.source,
                ),
                Key::Debug => (
                    k,
                    Some(toml::Value::Boolean(self.debug.value)),
                    &self.debug.source,
                ),
                Key::Libexec => (k, Some(path(&self.libexec.value)), &self.libexec.source),
                Key::SystemdCgroup => (
                    k,
                    Some(toml::Value::Boolean(self.systemd_cgroup.value)),
                    &self.systemd_cgroup.source,
                ),
                Key::LxcLogLevel => (
                    k,
                    Some(s(&self.lxc_log_level.value.to_ascii_lowercase())),
                    &self.lxc_log_level.source,
                ),
            })
            .collect()
    }

    /// The effective configuration as a TOML file that would give the same values, each line
    /// with a comment naming its source.
    pub fn to_toml(&self) -> String {
        let mut out = String::from(
            "# lxcri's effective configuration: flag > LXCRI_* environment > file > default.\n",
        );
        match &self.file {
            Some(f) => out.push_str(&format!("# file: {}\n", f.display())),
            None => out.push_str(&format!(
                "# file: none ({DEFAULT_FILE} does not exist; {CONFIG_ENV} names another)\n"
            )),
        }
        for (key, value, source) in self.entries() {
            let line = match value {
                Some(v) => format!("{} = {v}", key.name()),
                None => format!("{} = \"\"", key.name()),
            };
            let note = match (key, &self.log.value) {
                (Key::Log, None) => ", none: warnings and errors go to stderr",
                _ => "",
            };
            out.push_str(&format!("{line:<40} # {source}{note}\n"));
        }
        out
    }

    /// The effective configuration as JSON: `{"file": ..., "settings": {key: {"value", "source"}}}`.
    pub fn to_json(&self) -> serde_json::Value {
        let mut settings = serde_json::Map::new();
        for (key, value, source) in self.entries() {
            let value = match value {
                Some(toml::Value::Boolean(b)) => serde_json::Value::Bool(b),
                Some(v) => serde_json::Value::String(v.as_str().unwrap_or_default().to_string()),
                None => serde_json::Value::Null,
            };
            settings.insert(
                key.name().to_string(),
                serde_json::json!({ "value": value, "source": source.to_string() }),
            );
        }
        serde_json::json!({
            "file": self.file.as_ref().map(|f| f.to_string_lossy().into_owned()),
            "settings": settings,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn defaults() -> Defaults {
        Defaults {
            root: "/run/lxcri".into(),
            libexec: "/usr/libexec/lxcri".into(),
        }
    }

    fn file(text: &str) -> Result<ConfigFile, ConfigError> {
        ConfigFile::parse(Path::new("/etc/lxcri/lxcri.toml"), text)
    }

    fn env_of(vars: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let m: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |k| m.get(k).cloned()
    }

    fn resolve(flags: &Flags, env: &[(&str, &str)], text: Option<&str>) -> Config {
        let f = text.map(|t| file(t).expect("file parses"));
        Config::resolve(flags, &env_of(env), f.as_ref(), &defaults()).expect("resolves")
    }

    #[test]
    fn defaults_without_anything() {
        let c = resolve(&Flags::default(), &[], None);
        assert_eq!(c.root.value, PathBuf::from("/run/lxcri"));
        assert_eq!(c.root.source, Source::Default);
        assert_eq!(c.log.value, None);
        assert_eq!(c.log_format.value, LogFormat::Text);
        assert_eq!(c.log_level.value, LogLevel::Warn);
        assert!(!c.debug.value);
        assert_eq!(c.libexec.value, PathBuf::from("/usr/libexec/lxcri"));
        assert!(!c.systemd_cgroup.value);
        assert_eq!(c.lxc_log_level.value, "ERROR");
        assert_eq!(c.file, None);
    }

    #[test]
    fn every_key_from_the_file_with_its_line() {
        let text = "# comment\nroot = \"/srv/r\"\nlog = \"/var/log/lxcri.log\"\nlog_format = \"json\"\n\
                    log_level = \"debug\"\ndebug = false\nlibexec = \"/opt/l\"\nsystemd_cgroup = true\n\
                    lxc_log_level = \"trace\"\n";
        let c = resolve(&Flags::default(), &[], Some(text));
        let at = |line| Source::File {
            path: "/etc/lxcri/lxcri.toml".into(),
            line,
        };
        assert_eq!(
            c.root,
            Setting {
                value: "/srv/r".into(),
                source: at(2)
            }
        );
        assert_eq!(c.log.value, Some(PathBuf::from("/var/log/lxcri.log")));
        assert_eq!(
            c.log_format,
            Setting {
                value: LogFormat::Json,
                source: at(4)
            }
        );
        assert_eq!(
            c.log_level,
            Setting {
                value: LogLevel::Debug,
                source: at(5)
            }
        );
        assert_eq!(
            c.debug,
            Setting {
                value: false,
                source: at(6)
            }
        );
        assert_eq!(c.libexec.value, PathBuf::from("/opt/l"));
        assert_eq!(
            c.systemd_cgroup,
            Setting {
                value: true,
                source: at(8)
            }
        );
        assert_eq!(
            c.lxc_log_level,
            Setting {
                value: "TRACE".into(),
                source: at(9)
            }
        );
    }

    #[test]
    fn flag_beats_env_beats_file_beats_default() {
        let text = "root = \"/from/file\"\nlibexec = \"/file/libexec\"\nlog_format = \"json\"\n";
        let env = [
            ("LXCRI_ROOT", "/from/env"),
            ("LXCRI_LIBEXEC", "/env/libexec"),
        ];
        let flags = Flags {
            root: Some("/from/flag".into()),
            ..Flags::default()
        };
        let c = resolve(&flags, &env, Some(text));
        assert_eq!(c.root.value, PathBuf::from("/from/flag"));
        assert_eq!(c.root.source, Source::Flag("--root".into()));
        assert_eq!(c.libexec.value, PathBuf::from("/env/libexec"));
        assert_eq!(c.libexec.source, Source::Env("LXCRI_LIBEXEC".into()));
        assert_eq!(c.log_format.value, LogFormat::Json);
        assert!(matches!(c.log_format.source, Source::File { line: 3, .. }));
        assert_eq!(c.log_level.source, Source::Default);
        // Without the flag the environment wins; without both the file.
        let c = resolve(&Flags::default(), &env, Some(text));
        assert_eq!(c.root.value, PathBuf::from("/from/env"));
        let c = resolve(&Flags::default(), &[], Some(text));
        assert_eq!(c.root.value, PathBuf::from("/from/file"));
    }

    #[test]
    fn empty_env_is_unset() {
        let c = resolve(
            &Flags::default(),
            &[("LXCRI_ROOT", "")],
            Some("root = \"/f\""),
        );
        assert_eq!(c.root.value, PathBuf::from("/f"));
    }

    #[test]
    fn debug_means_debug_level_and_liblxc_debug() {
        let flags = Flags {
            debug: true,
            ..Flags::default()
        };
        let c = resolve(&flags, &[("LXCRI_LOG_LEVEL", "error")], None);
        assert_eq!(c.log_level.value, LogLevel::Debug);
        assert_eq!(c.log_level.source, Source::Flag("--debug".into()));
        assert_eq!(c.lxc_log_level.value, "DEBUG");
        // An explicit liblxc level stays as given.
        let c = resolve(&flags, &[("LXCRI_LXC_LOG_LEVEL", "warn")], None);
        assert_eq!(c.lxc_log_level.value, "WARN");
        let c = resolve(&Flags::default(), &[("LXCRI_DEBUG", "1")], None);
        assert_eq!(c.log_level.value, LogLevel::Debug);
        assert_eq!(c.debug.source, Source::Env("LXCRI_DEBUG".into()));
        // A stronger log_level beats a weaker debug: `--log-level info` over the file's debug.
        let flags = Flags {
            log_level: Some(LogLevel::Info),
            ..Flags::default()
        };
        let c = resolve(&flags, &[], Some("debug = true"));
        assert_eq!(c.log_level.value, LogLevel::Info);
        assert_eq!(c.log_level.source, Source::Flag("--log-level".into()));
        assert_eq!(c.lxc_log_level.value, "ERROR");
        // Both as flags: debug.
        let flags = Flags {
            debug: true,
            log_level: Some(LogLevel::Warn),
            ..Flags::default()
        };
        assert_eq!(resolve(&flags, &[], None).log_level.value, LogLevel::Debug);
    }

    #[test]
    fn a_log_file_defaults_to_info() {
        let flags = Flags {
            log: Some("/tmp/x.log".into()),
            ..Flags::default()
        };
        let c = resolve(&flags, &[], None);
        assert_eq!(c.log_level.value, LogLevel::Info);
        // log = "" in the file is "no log file".
        let c = resolve(&Flags::default(), &[], Some("log = \"\""));
        assert_eq!(c.log.value, None);
        assert_eq!(c.log_level.value, LogLevel::Warn);
    }

    #[test]
    fn unknown_key_names_the_line() {
        let e = file("log = \"/x\"\n\nrot = \"/run/x\"\n").unwrap_err();
        assert_eq!(
            e.to_string(),
            "/etc/lxcri/lxcri.toml:3: unknown key \"rot\""
        );
        let e = file("log-format = \"json\"\n").unwrap_err();
        assert_eq!(
            e.to_string(),
            "/etc/lxcri/lxcri.toml:1: unknown key \"log-format\" (did you mean \"log_format\"?)"
        );
        let e = file("root = \"/r\"\n[engine]\nx = 1\n").unwrap_err();
        assert_eq!(
            e.to_string(),
            "/etc/lxcri/lxcri.toml:2: unknown key \"engine\""
        );
    }

    #[test]
    fn wrong_types_and_values_are_errors() {
        let cases = [
            ("debug = \"yes\"", "1: key \"debug\" must be true or false, not the string \"yes\""),
            ("\nroot = 3", "2: key \"root\" must be a string, not integer 3"),
            ("log_format = \"xml\"", "1: key \"log_format\": \"xml\" is not one of text, json"),
            (
                "log_level = \"loud\"",
                "1: key \"log_level\": \"loud\" is not one of error, warn, info, debug",
            ),
            (
                "lxc_log_level = \"chatty\"",
                "1: key \"lxc_log_level\": \"chatty\" is not one of trace, debug, info, notice, warn, error, crit, alert, fatal",
            ),
            ("root = \"\"", "1: key \"root\": must not be empty"),
        ];
        for (text, want) in cases {
            let e = file(text).unwrap_err().to_string();
            assert_eq!(e, format!("/etc/lxcri/lxcri.toml:{want}"), "for {text:?}");
        }
    }

    #[test]
    fn syntax_errors_name_the_line() {
        let e = file("root = \"/r\"\nlog = \n").unwrap_err();
        match e {
            ConfigError::File { line, ref msg, .. } => {
                assert_eq!(line, 2, "{e}");
                assert!(!msg.is_empty());
            }
            other => panic!("not a file error: {other}"),
        }
        let e = file("root = \"/a\"\nroot = \"/b\"\n").unwrap_err();
        assert!(
            matches!(e, ConfigError::File { line: 2, .. }),
            "duplicate key: {e}"
        );
    }

    #[test]
    fn bad_env_values_are_errors() {
        for (var, value, want) in [
            (
                "LXCRI_DEBUG",
                "maybe",
                "environment variable LXCRI_DEBUG: \"maybe\" is not true or false",
            ),
            (
                "LXCRI_LOG_FORMAT",
                "xml",
                "environment variable LXCRI_LOG_FORMAT: \"xml\" is not one of text, json",
            ),
        ] {
            let e = Config::resolve(
                &Flags::default(),
                &env_of(&[(var, value)]),
                None,
                &defaults(),
            )
            .unwrap_err();
            assert_eq!(e.to_string(), want);
        }
        // A flag hides a bad environment variable: it is never looked at.
        let flags = Flags {
            log_format: Some(LogFormat::Text),
            ..Flags::default()
        };
        let c = Config::resolve(
            &flags,
            &env_of(&[("LXCRI_LOG_FORMAT", "xml")]),
            None,
            &defaults(),
        );
        assert!(c.is_ok());
    }

    #[test]
    fn load_reads_the_named_file_and_requires_it() {
        let dir = tempfile::tempdir().expect("tempdir");
        let p = dir.path().join("c.toml");
        std::fs::write(&p, "root = \"/from/named\"\n").expect("write");
        let ps = p.to_string_lossy().into_owned();
        let f = ConfigFile::load(&env_of(&[(CONFIG_ENV, &ps)]))
            .expect("loads")
            .expect("a file");
        assert_eq!(f.path, p);
        let missing = dir
            .path()
            .join("missing.toml")
            .to_string_lossy()
            .into_owned();
        let e = ConfigFile::load(&env_of(&[(CONFIG_ENV, &missing)])).unwrap_err();
        assert!(matches!(e, ConfigError::Read { .. }), "{e}");
    }

    #[test]
    fn printed_toml_reads_back_to_the_same_values() {
        let text = "root = \"/srv/r\"\nlog_format = \"json\"\nsystemd_cgroup = true\n";
        let flags = Flags {
            log: Some("/tmp/a \"quoted\" log".into()),
            ..Flags::default()
        };
        let c = resolve(&flags, &[("LXCRI_LXC_LOG_LEVEL", "info")], Some(text));
        let printed = c.to_toml();
        assert!(
            printed.contains("# file /etc/lxcri/lxcri.toml:1"),
            "{printed}"
        );
        assert!(printed.contains("# flag --log"), "{printed}");
        assert!(printed.contains("# env LXCRI_LXC_LOG_LEVEL"), "{printed}");
        let again = resolve(&Flags::default(), &[], Some(&printed));
        for (a, b) in c.entries().iter().zip(again.entries().iter()) {
            assert_eq!(a.1, b.1, "{:?} reads back", a.0);
        }
        let json = c.to_json();
        assert_eq!(json["settings"]["root"]["value"], "/srv/r");
        assert_eq!(
            json["settings"]["root"]["source"],
            "file /etc/lxcri/lxcri.toml:1"
        );
        assert_eq!(json["settings"]["systemd_cgroup"]["value"], true);
        assert_eq!(json["settings"]["log_level"]["value"], "info");
    }

    #[test]
    fn names_env_and_flags() {
        assert_eq!(Key::LxcLogLevel.env(), "LXCRI_LXC_LOG_LEVEL");
        assert_eq!(Key::LxcLogLevel.flag(), "--lxc-log-level");
        assert_eq!(Key::SystemdCgroup.flag(), "--systemd-cgroup");
        assert_eq!(Key::LogFormat.flag(), "--log-format");
    }
}
