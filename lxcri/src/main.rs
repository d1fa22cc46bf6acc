//! The OCI command line. Thin: every command is one call into the library.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use lxcri::config::{self, Config, ConfigFile, Flags};
use lxcri::container::{CreateOptions, Runtime};
use lxcri::id::ContainerId;
use lxcri::logging::{self, LogFormat};

#[derive(Parser, Debug)]
#[command(
    name = "lxcri",
    about = "OCI container runtime on top of liblxc",
    disable_version_flag = true
)]
struct Cli {
    /// Directory for the state of containers [env: LXCRI_ROOT; file: root; default: /run/lxcri].
    #[arg(long, global = true)]
    root: Option<PathBuf>,
    /// Log file, created 0600 (default: warnings to stderr) [env: LXCRI_LOG; file: log].
    #[arg(long, global = true)]
    log: Option<PathBuf>,
    /// Log format [env: LXCRI_LOG_FORMAT; file: log_format; default: text].
    #[arg(long = "log-format", global = true, value_enum)]
    log_format: Option<Format>,
    /// Log level [env: LXCRI_LOG_LEVEL; file: log_level; default: info with --log, else warn].
    #[arg(long = "log-level", global = true, value_enum)]
    log_level: Option<Level>,
    /// Log debug output: every generated liblxc item, every step of create and start with its
    /// duration; liblxc logs at DEBUG too [env: LXCRI_DEBUG; file: debug].
    #[arg(long, global = true)]
    debug: bool,
    /// liblxc's log level for <root>/<id>/lxc.log [env: LXCRI_LXC_LOG_LEVEL; file:
    /// lxc_log_level; default: debug with --debug, else error].
    #[arg(long = "lxc-log-level", global = true, value_parser = clap::builder::PossibleValuesParser::new(config::LXC_LOG_LEVELS))]
    lxc_log_level: Option<String>,
    /// Accepted for compatibility: cgroupsPath in the slice:prefix:name form is honoured
    /// without systemd [env: LXCRI_SYSTEMD_CGROUP; file: systemd_cgroup].
    #[arg(long = "systemd-cgroup", global = true)]
    systemd_cgroup: bool,
    /// Accepted for compatibility with runc (true|false|auto).
    #[arg(long, global = true, num_args = 0..=1, default_missing_value = "true")]
    rootless: Option<String>,
    /// Directory holding lxcri-start, lxcri-init and lxcri-hook [env: LXCRI_LIBEXEC; file:
    /// libexec; default: ../libexec/lxcri beside the binary].
    #[arg(long, global = true)]
    libexec: Option<PathBuf>,
    /// Print the version of lxcri and liblxc.
    #[arg(short = 'v', long)]
    version: bool,
    #[command(subcommand)]
    command: Option<Cmd>,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum Format {
    Text,
    Json,
}

impl From<Format> for LogFormat {
    fn from(f: Format) -> LogFormat {
        match f {
            Format::Text => LogFormat::Text,
            Format::Json => LogFormat::Json,
        }
    }
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum Level {
    Error,
    Warn,
    Info,
    Debug,
}

impl From<Level> for config::LogLevel {
    fn from(l: Level) -> config::LogLevel {
        match l {
            Level::Error => config::LogLevel::Error,
            Level::Warn => config::LogLevel::Warn,
            Level::Info => config::LogLevel::Info,
            Level::Debug => config::LogLevel::Debug,
        }
    }
}

impl Cli {
    fn flags(&self) -> Flags {
        Flags {
            root: self.root.clone(),
            log: self.log.clone(),
            log_format: self.log_format.map(Into::into),
            log_level: self.log_level.map(Into::into),
            debug: self.debug,
            libexec: self.libexec.clone(),
            systemd_cgroup: self.systemd_cgroup,
            lxc_log_level: self.lxc_log_level.clone(),
        }
    }
}

#[derive(clap::Args, Debug)]
struct CreateArgs {
    /// Path to the bundle directory.
    #[arg(short, long, default_value = ".")]
    bundle: PathBuf,
    /// File to write the container process's pid to.
    #[arg(long = "pid-file")]
    pid_file: Option<PathBuf>,
    /// Unix socket that receives the pty master when process.terminal is true.
    #[arg(long = "console-socket")]
    console_socket: Option<PathBuf>,
    /// Pass N additional fds (3..3+N) to the container.
    #[arg(long = "preserve-fds", default_value_t = 0)]
    preserve_fds: u32,
    /// Accepted for compatibility; liblxc always pivots.
    #[arg(long = "no-pivot")]
    no_pivot: bool,
    /// Accepted for compatibility; liblxc creates no session keyring.
    #[arg(long = "no-new-keyring")]
    no_new_keyring: bool,
    /// Container id.
    id: String,
}

#[derive(Subcommand, Debug)]
enum Cmd {
    /// Create a container (its process waits for `start`).
    Create(CreateArgs),
    /// Run the created container's process.
    Start { id: String },
    /// Print the state of a container as JSON.
    State { id: String },
    /// Send a signal to the container's init (default SIGTERM).
    Kill {
        /// Signal every process in the container's cgroup.
        #[arg(short, long)]
        all: bool,
        id: String,
        #[arg(default_value = "SIGTERM")]
        signal: String,
    },
    /// Delete a container and everything it holds.
    Delete {
        /// Kill a container that is still running first.
        #[arg(short, long)]
        force: bool,
        id: String,
    },
    /// List containers.
    List {
        #[arg(short, long, value_enum, default_value_t = ListFormat::Table)]
        format: ListFormat,
        /// Print only the ids.
        #[arg(short, long)]
        quiet: bool,
    },
    /// Create and start a container, wait for it and return its exit status.
    Run {
        #[command(flatten)]
        create: CreateArgs,
        /// Return after start instead of waiting for the container.
        #[arg(short, long)]
        detach: bool,
        /// Keep the container after it exits.
        #[arg(long)]
        keep: bool,
    },
    /// Run a process in a running container.
    Exec(ExecArgs),
    // ---- pause, resume, ps, update, events
    /// Freeze every process of the container.
    Pause { id: String },
    /// Thaw a paused container.
    Resume { id: String },
    /// List the container's processes (`ps -ef`, or the given ps arguments).
    Ps {
        #[arg(short, long, value_enum, default_value_t = ListFormat::Table)]
        format: ListFormat,
        id: String,
        /// Arguments for ps (after `--`).
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        ps_args: Vec<String>,
    },
    /// Change the cgroup limits of a container.
    Update(UpdateArgs),
    /// Print the container's resource usage (once with --stats, else every --interval).
    Events {
        /// Print one stats object and exit.
        #[arg(long)]
        stats: bool,
        /// Time between two stats objects (e.g. 5s, 500ms, 1m).
        #[arg(long, default_value = "5s")]
        interval: String,
        id: String,
    },
    // --- spec and features (runc's commands that need no container) ---
    /// Write a default config.json into the bundle (as `runc spec`). `--rootless` (the global
    /// flag, as runc's `spec --rootless`) writes one an unprivileged user can run.
    Spec {
        /// Directory to write config.json to.
        #[arg(short, long, default_value = ".")]
        bundle: PathBuf,
    },
    /// Print the runtime-spec features document of this build (JSON).
    Features,
    /// Print the effective configuration (flag > LXCRI_* environment > /etc/lxcri/lxcri.toml or
    /// $LXCRI_CONFIG > default) with the source of every value.
    Config {
        /// toml: a file that gives the same values, sources as comments; json: value and
        /// source of every key.
        #[arg(short, long, value_enum, default_value_t = ConfigFormat::Toml)]
        format: ConfigFormat,
    },
    /// Write the man pages (DIR/man8) and shell completions (DIR/completions) generated from
    /// these definitions; used by `make build`.
    #[command(name = "__generate-docs", hide = true)]
    GenerateDocs { dir: PathBuf },
}

#[derive(clap::Args, Debug)]
struct UpdateArgs {
    /// OCI LinuxResources JSON file, or - for stdin; the flags below override it.
    #[arg(short, long)]
    resources: Option<PathBuf>,
    /// Memory limit (bytes, or with a k/m/g suffix; -1 for none).
    #[arg(long)]
    memory: Option<String>,
    /// Memory soft limit.
    #[arg(long = "memory-reservation")]
    memory_reservation: Option<String>,
    /// Memory plus swap limit (-1 for none).
    #[arg(long = "memory-swap")]
    memory_swap: Option<String>,
    /// Accepted and ignored: kernel memory limits are gone from current kernels.
    #[arg(long = "kernel-memory")]
    kernel_memory: Option<String>,
    /// Accepted and ignored: kernel TCP memory limits are gone from current kernels.
    #[arg(long = "kernel-memory-tcp")]
    kernel_memory_tcp: Option<String>,
    /// CPU shares; runc spells the flag --cpu-share.
    #[arg(long = "cpu-shares", alias = "cpu-share")]
    cpu_shares: Option<u64>,
    #[arg(long = "cpu-quota")]
    cpu_quota: Option<i64>,
    #[arg(long = "cpu-period")]
    cpu_period: Option<u64>,
    #[arg(long = "cpu-rt-runtime")]
    cpu_rt_runtime: Option<i64>,
    #[arg(long = "cpu-rt-period")]
    cpu_rt_period: Option<u64>,
    #[arg(long = "cpuset-cpus")]
    cpuset_cpus: Option<String>,
    #[arg(long = "cpuset-mems")]
    cpuset_mems: Option<String>,
    #[arg(long = "pids-limit")]
    pids_limit: Option<i64>,
    #[arg(long = "blkio-weight")]
    blkio_weight: Option<u16>,
    id: String,
}

#[derive(clap::Args, Debug)]
struct ExecArgs {
    /// Path to a process.json to run (the other process flags are then ignored).
    #[arg(short, long)]
    process: Option<PathBuf>,
    /// Allocate a pseudo-TTY.
    #[arg(short, long)]
    tty: bool,
    /// Unix socket that receives the pty master.
    #[arg(long = "console-socket")]
    console_socket: Option<PathBuf>,
    /// Return once the process has started.
    #[arg(short, long)]
    detach: bool,
    /// File to write the process's pid to.
    #[arg(long = "pid-file")]
    pid_file: Option<PathBuf>,
    /// Working directory in the container.
    #[arg(long)]
    cwd: Option<PathBuf>,
    /// Set an environment variable (K=V), repeatable.
    #[arg(short, long)]
    env: Vec<String>,
    /// uid[:gid] to run as.
    #[arg(short, long)]
    user: Option<String>,
    /// Additional gid, repeatable.
    #[arg(short = 'g', long = "additional-gids")]
    additional_gids: Vec<u32>,
    /// Add a capability, repeatable.
    #[arg(short, long)]
    cap: Vec<String>,
    /// Set no_new_privs for the process.
    #[arg(long = "no-new-privs")]
    no_new_privs: bool,
    /// AppArmor profile for the process.
    #[arg(long)]
    apparmor: Option<String>,
    /// SELinux label for the process.
    #[arg(long = "process-label")]
    process_label: Option<String>,
    /// Pass N additional fds (3..3+N) to the process.
    #[arg(long = "preserve-fds", default_value_t = 0)]
    preserve_fds: u32,
    /// Allow exec into a paused container.
    #[arg(long = "ignore-paused")]
    ignore_paused: bool,
    /// Container id.
    id: String,
    /// Command and arguments.
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    command: Vec<String>,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum ConfigFormat {
    Toml,
    Json,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum ListFormat {
    Table,
    Json,
}

/// An error that already carries its message; the exit code is always 1.
struct Failure(String);

impl<E: std::fmt::Display> From<E> for Failure {
    fn from(e: E) -> Self {
        Failure(e.to_string())
    }
}

fn env(var: &str) -> Option<String> {
    std::env::var(var).ok()
}

fn main() -> ExitCode {
    // The log file must exist even when the arguments are bad, so look for the logging flags by
    // hand first and set up logging from them, the environment and the configuration file.
    let args: Vec<String> = std::env::args().collect();
    if let Some(code) = fast_state(&args) {
        return code;
    }
    let early = early_log_args(&args);
    let defaults = config::Defaults::of_host();
    let file = ConfigFile::load(&env);
    let early_config = file.as_ref().map_err(|e| e.to_string()).and_then(|f| {
        Config::resolve(&early, &env, f.as_ref(), &defaults).map_err(|e| e.to_string())
    });
    let (log, format, level) = match &early_config {
        Ok(c) => (c.log.value.clone(), c.log_format.value, c.log_level.value),
        // A broken file or variable: log where the flags say, then fail.
        Err(_) => (
            early.log.clone(),
            early.log_format.unwrap_or_default(),
            if early.debug {
                config::LogLevel::Debug
            } else {
                config::LogLevel::Info
            },
        ),
    };
    let to_file = log.is_some();
    if let Err(e) = logging::init_level(log.as_deref(), format, level.tracing()) {
        eprintln!("lxcri: cannot open log file: {e}");
        return ExitCode::from(1);
    }
    if let Err(msg) = &early_config {
        if to_file {
            tracing::error!("{msg}");
        }
        eprintln!("lxcri: {msg}");
        return ExitCode::from(1);
    }
    let file = file.ok().flatten();
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            use clap::error::ErrorKind;
            if matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) {
                let _ = e.print();
                return ExitCode::SUCCESS;
            }
            tracing::error!(
                "{}",
                e.to_string().lines().next().unwrap_or("bad arguments")
            );
            let _ = e.print();
            return ExitCode::from(1);
        }
    };
    let config = match Config::resolve(&cli.flags(), &env, file.as_ref(), &defaults) {
        Ok(c) => c,
        Err(e) => {
            if to_file {
                tracing::error!("{e}");
            }
            eprintln!("lxcri: {e}");
            return ExitCode::from(1);
        }
    };
    match run(cli, &config) {
        Ok(code) => ExitCode::from(code),
        Err(Failure(msg)) => {
            // Without --log, tracing already writes to stderr; say it once.
            if to_file {
                tracing::error!("{msg}");
            }
            eprintln!("lxcri: {}", one_line(&msg));
            ExitCode::from(1)
        }
    }
}

/// An error as one line: control characters (a newline in a path, an escape sequence in an id)
/// are shown escaped, so callers that read one line of stderr get all of it.
fn one_line(msg: &str) -> String {
    let mut out = String::with_capacity(msg.len());
    for c in msg.trim_end().chars() {
        if c.is_control() {
            out.extend(c.escape_debug());
        } else {
            out.push(c);
        }
    }
    out
}

/// `lxcri --root R state ID`, the form supervisors poll with, without clap: building and parsing
/// the command line is half of what `state` costs (docs/benchmarks.md, "Profile"). Only this exact
/// form, with the root given explicitly and no configuration file (which could be broken, and
/// then must be reported); anything else, and any error, returns None and goes the normal way, which then
/// parses, logs and reports exactly as always (state only reads, so doing it twice is harmless).
fn fast_state(args: &[String]) -> Option<ExitCode> {
    let (root, id) = match args.get(1..)? {
        [flag, root, cmd, id] if flag == "--root" && cmd == "state" => (root.as_str(), id),
        [flag, cmd, id] if cmd == "state" => (flag.strip_prefix("--root=")?, id),
        _ => return None,
    };
    if std::env::var_os(config::CONFIG_ENV).is_some() || Path::new(config::DEFAULT_FILE).exists() {
        return None;
    }
    let rt = Runtime {
        root: std::path::absolute(root).ok()?,
        libexec: PathBuf::new(),
        systemd_cgroup: false,
        debug: false,
        lxc_log_level: String::new(),
    };
    let st = rt.state(&ContainerId::new(id).ok()?).ok()?;
    let json = serde_json::to_string_pretty(&st).ok()?;
    Some(match writeln!(std::io::stdout().lock(), "{json}") {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("lxcri: {e}");
            ExitCode::from(1)
        }
    })
}

/// The logging flags (`--log`, `--log-format`, `--log-level`, `--debug`), found without clap.
fn early_log_args(args: &[String]) -> Flags {
    let mut flags = Flags::default();
    let mut it = args.iter().skip(1);
    while let Some(a) = it.next() {
        let (name, inline) = match a.split_once('=') {
            Some((n, v)) if n.starts_with("--") => (n, Some(v.to_string())),
            _ => (a.as_str(), None),
        };
        if name == "--debug" {
            flags.debug = true;
            continue;
        }
        if !matches!(name, "--log" | "--log-format" | "--log-level") {
            continue;
        }
        let Some(v) = inline.or_else(|| it.next().cloned()) else {
            break;
        };
        match name {
            "--log" => flags.log = Some(PathBuf::from(v)),
            "--log-format" => {
                flags.log_format = Some(if v == "json" {
                    LogFormat::Json
                } else {
                    LogFormat::Text
                })
            }
            _ => flags.log_level = config::LogLevel::parse(&v),
        }
    }
    flags
}

fn id(s: &str) -> Result<ContainerId, Failure> {
    Ok(ContainerId::new(s)?)
}

fn create_options(a: &CreateArgs) -> CreateOptions {
    CreateOptions {
        bundle: a.bundle.clone(),
        pid_file: a.pid_file.clone(),
        console_socket: a.console_socket.clone(),
        preserve_fds: a.preserve_fds,
    }
}

/// The liblxc version as the monitor, the only process that loads liblxc, reports it.
fn liblxc_version(libexec: &Path) -> String {
    std::process::Command::new(libexec.join(lxcri::layout::START_BIN))
        .arg("--version")
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_else(|| "unknown (lxcri-start not found)".into())
}

/// lxcri(8), lxcri-<command>(8) for every visible command, and bash, zsh and fish completions.
fn generate_docs(dir: &Path) -> Result<(), Failure> {
    use clap::CommandFactory;
    use clap_complete::Shell;
    // The command line without its hidden commands (clap_complete would still offer them).
    let full = Cli::command();
    let visible = || {
        clap::Command::new("lxcri")
            .about(full.get_about().cloned().unwrap_or_default())
            .version(env!("CARGO_PKG_VERSION"))
            .disable_version_flag(true)
            .args(full.get_arguments().cloned())
            .subcommands(full.get_subcommands().filter(|s| !s.is_hide_set()).cloned())
    };
    // Without the help subcommand here: it would be listed as lxcri-help(8), a page never written.
    let mut cmd = visible().disable_help_subcommand(true);
    cmd.build();
    let man_dir = dir.join("man8");
    std::fs::create_dir_all(&man_dir)?;
    let page = |c: clap::Command, name: &str| -> Result<(), Failure> {
        let mut buf = Vec::new();
        clap_mangen::Man::new(c).section("8").render(&mut buf)?;
        std::fs::write(man_dir.join(format!("{name}.8")), buf)?;
        Ok(())
    };
    for sub in cmd.get_subcommands() {
        let name = format!("lxcri-{}", sub.get_name());
        page(sub.clone().version(env!("CARGO_PKG_VERSION")), &name)?;
    }
    page(cmd, "lxcri")?;
    let comp_dir = dir.join("completions");
    std::fs::create_dir_all(&comp_dir)?;
    let mut cmd = visible();
    for shell in [Shell::Bash, Shell::Zsh, Shell::Fish] {
        clap_complete::generate_to(shell, &mut cmd, "lxcri", &comp_dir)?;
    }
    Ok(())
}

fn run(cli: Cli, config: &Config) -> Result<u8, Failure> {
    if cli.version {
        let libexec = config.libexec.value.clone();
        println!(
            "lxcri version {}\nliblxc version {}\nspec: {}",
            env!("CARGO_PKG_VERSION"),
            liblxc_version(&libexec),
            lxcri::state::OCI_VERSION
        );
        return Ok(0);
    }
    let rt = Runtime {
        // liblxc keys its lock files on the lxcpath string: always hand it the absolute path.
        root: std::path::absolute(&config.root.value)?,
        libexec: config.libexec.value.clone(),
        systemd_cgroup: config.systemd_cgroup.value,
        debug: config.log_level.value == config::LogLevel::Debug,
        lxc_log_level: config.lxc_log_level.value.clone(),
    };
    let Some(cmd) = cli.command else {
        return Err(Failure("no command given; see lxcri --help".into()));
    };
    let mut out = std::io::stdout().lock();
    match cmd {
        Cmd::GenerateDocs { dir } => generate_docs(&dir)?,
        Cmd::Config { format } => match format {
            ConfigFormat::Toml => write!(out, "{}", config.to_toml())?,
            ConfigFormat::Json => {
                writeln!(out, "{}", serde_json::to_string_pretty(&config.to_json())?)?
            }
        },
        Cmd::Create(a) => {
            let id = id(&a.id)?;
            rt.create(&id, &create_options(&a))?;
        }
        Cmd::Start { id: i } => rt.start(&id(&i)?)?,
        Cmd::State { id: i } => {
            let st = rt.state(&id(&i)?)?;
            let json = serde_json::to_string_pretty(&st)?;
            writeln!(out, "{json}")?;
        }
        Cmd::Kill { all, id: i, signal } => {
            let sig = lxcri::signal::parse(&signal)?;
            rt.kill(&id(&i)?, sig, all)?;
        }
        Cmd::Delete { force, id: i } => rt.delete(&id(&i)?, force)?,
        Cmd::List { format, quiet } => {
            let list = rt.list()?;
            if quiet {
                for s in &list {
                    writeln!(out, "{}", s.id)?;
                }
            } else if format == ListFormat::Json {
                writeln!(out, "{}", serde_json::to_string(&list)?)?;
            } else {
                writeln!(
                    out,
                    "{:<20} {:<10} {:<10} {:<40} {:<32} OWNER",
                    "ID", "PID", "STATUS", "BUNDLE", "CREATED"
                )?;
                for s in &list {
                    writeln!(
                        out,
                        "{:<20} {:<10} {:<10} {:<40} {:<32} root",
                        s.id,
                        s.pid,
                        s.status.to_string(),
                        s.bundle.display(),
                        s.created
                    )?;
                }
            }
        }
        Cmd::Run {
            create,
            detach,
            keep,
        } => {
            let id = id(&create.id)?;
            return Ok(rt.run(&id, &create_options(&create), detach, keep)?);
        }
        Cmd::Exec(a) => return exec(&rt, a, config.log.value.is_some()),
        // ---- pause, resume, ps, update, events
        Cmd::Pause { id: i } => rt.pause(&id(&i)?)?,
        Cmd::Resume { id: i } => rt.resume(&id(&i)?)?,
        Cmd::Ps {
            format,
            id: i,
            ps_args,
        } => {
            let i = id(&i)?;
            if format == ListFormat::Json {
                writeln!(out, "{}", serde_json::to_string(&rt.pids(&i)?)?)?;
            } else {
                write!(out, "{}", rt.ps_table(&i, &ps_args)?)?;
            }
        }
        Cmd::Update(a) => update(&rt, a)?,
        Cmd::Events {
            stats,
            interval,
            id: i,
        } => {
            let i = id(&i)?;
            if stats {
                let ev = rt.stats_event(&i)?;
                writeln!(out, "{}", serde_json::to_string(&ev)?)?;
            } else {
                let every = lxcri::events::parse_interval(&interval)?;
                drop(out);
                rt.events(&i, every, &mut std::io::stdout())?;
            }
        }
        // --- spec and features ---
        Cmd::Spec { bundle } => {
            let rootless = spec_rootless(cli.rootless.as_deref());
            let mut config = if rootless {
                lxcri::default_spec::rootless_config(
                    nix::unistd::getuid().as_raw(),
                    nix::unistd::getgid().as_raw(),
                )?
            } else {
                lxcri::default_spec::default_config()?
            };
            let layout = lxcri::cgroup::CgroupLayout::detect();
            if !rootless && layout.is_ok_and(|l| l.mode == lxcri::cgroup::Mode::V2) {
                lxcri::default_spec::add_cgroup_namespace(&mut config);
            }
            lxcri::default_spec::write_new_config(&bundle, &config)?;
        }
        Cmd::Features => {
            let lxc = liblxc_version(&rt.libexec);
            let mut extra = Vec::new();
            // Only a version lxcri-start really reported is worth an annotation.
            if !lxc.starts_with("unknown") {
                extra.push(("org.linuxcontainers.lxc.version", lxc));
            }
            let f = lxcri::features::features(&extra);
            writeln!(out, "{}", serde_json::to_string_pretty(&f)?)?;
        }
    }
    Ok(0)
}

fn update(rt: &Runtime, a: UpdateArgs) -> Result<(), Failure> {
    use lxcri::update::{parse_bytes, set};
    let mut res = match &a.resources {
        Some(p) if p.as_os_str() == "-" => serde_json::from_reader(std::io::stdin().lock())
            .map_err(|e| Failure(format!("cannot parse resources from stdin: {e}")))?,
        Some(p) => {
            let f = std::fs::File::open(p)
                .map_err(|e| Failure(format!("cannot open {}: {e}", p.display())))?;
            serde_json::from_reader(std::io::BufReader::new(f))
                .map_err(|e| Failure(format!("cannot parse {}: {e}", p.display())))?
        }
        None => serde_json::json!({}),
    };
    if !res.is_object() {
        return Err(Failure("resources must be a JSON object".into()));
    }
    if a.kernel_memory.is_some() || a.kernel_memory_tcp.is_some() {
        tracing::warn!("--kernel-memory and --kernel-memory-tcp are ignored");
    }
    for (path, v) in [
        ("memory.limit", &a.memory),
        ("memory.reservation", &a.memory_reservation),
        ("memory.swap", &a.memory_swap),
    ] {
        if let Some(v) = v {
            set(&mut res, path, parse_bytes(v)?.into());
        }
    }
    let numbers: [(&str, Option<serde_json::Value>); 7] = [
        ("cpu.shares", a.cpu_shares.map(Into::into)),
        ("cpu.quota", a.cpu_quota.map(Into::into)),
        ("cpu.period", a.cpu_period.map(Into::into)),
        ("cpu.realtimeRuntime", a.cpu_rt_runtime.map(Into::into)),
        ("cpu.realtimePeriod", a.cpu_rt_period.map(Into::into)),
        ("pids.limit", a.pids_limit.map(Into::into)),
        ("blockIO.weight", a.blkio_weight.map(Into::into)),
    ];
    for (path, v) in numbers {
        if let Some(v) = v {
            set(&mut res, path, v);
        }
    }
    if let Some(c) = a.cpuset_cpus {
        set(&mut res, "cpu.cpus", c.into());
    }
    if let Some(m) = a.cpuset_mems {
        set(&mut res, "cpu.mems", m.into());
    }
    rt.update(&id(&a.id)?, &res)?;
    Ok(())
}

/// `--rootless` (no value, "true", or "auto" for a caller who is not root) asks `spec` for the
/// rootless variant; runc spells it `spec --rootless`, which clap reads as this global flag.
fn spec_rootless(flag: Option<&str>) -> bool {
    match flag {
        Some("true") => true,
        Some("auto") => !nix::unistd::geteuid().is_root(),
        _ => false,
    }
}

fn exec(rt: &Runtime, a: ExecArgs, to_file: bool) -> Result<u8, Failure> {
    let opts = lxcri::exec::ExecOptions {
        process_file: a.process,
        args: a.command,
        tty: a.tty,
        console_socket: a.console_socket,
        detach: a.detach,
        pid_file: a.pid_file,
        cwd: a.cwd,
        env: a.env,
        user: a.user,
        additional_gids: a.additional_gids,
        caps: a.cap,
        no_new_privs: a.no_new_privs,
        apparmor: a.apparmor,
        process_label: a.process_label,
        preserve_fds: a.preserve_fds,
        ignore_paused: a.ignore_paused,
    };
    match rt.exec(&id(&a.id)?, &opts) {
        Ok(code) => Ok(code),
        // runc's exit status for a command that could not run (127: not found, 126).
        Err(e) if e.exit_code() != 1 => {
            if to_file {
                tracing::error!("{e}");
            }
            eprintln!("lxcri: {}", one_line(&e.to_string()));
            Ok(e.exit_code())
        }
        Err(e) => Err(Failure(e.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(a: &[&str]) -> Vec<String> {
        std::iter::once("lxcri")
            .chain(a.iter().copied())
            .map(String::from)
            .collect()
    }

    #[test]
    fn early_log_flags_in_both_spellings() {
        let f = early_log_args(&args(&[
            "--root",
            "/r",
            "--log=/tmp/l",
            "--log-format",
            "json",
            "--log-level=error",
            "create",
            "x",
        ]));
        assert_eq!(f.log, Some(PathBuf::from("/tmp/l")));
        assert_eq!(f.log_format, Some(LogFormat::Json));
        assert_eq!(f.log_level, Some(config::LogLevel::Error));
        assert!(!f.debug);
        // Only the logging flags: the rest is clap's.
        assert_eq!(f.root, None);
        let f = early_log_args(&args(&["--debug", "--log", "/tmp/m", "--log-format=text"]));
        assert!(f.debug);
        assert_eq!(f.log, Some(PathBuf::from("/tmp/m")));
        assert_eq!(f.log_format, Some(LogFormat::Text));
        // A flag without its value at the end is left to clap to reject.
        assert_eq!(early_log_args(&args(&["--log"])), Flags::default());
    }

    #[test]
    fn cli_flags_become_config_flags() {
        let cli = Cli::try_parse_from([
            "lxcri",
            "--root",
            "/r",
            "--debug",
            "--lxc-log-level",
            "trace",
            "--systemd-cgroup",
            "list",
        ])
        .expect("parses");
        let f = cli.flags();
        assert_eq!(f.root, Some(PathBuf::from("/r")));
        assert!(f.debug && f.systemd_cgroup);
        assert_eq!(f.lxc_log_level.as_deref(), Some("trace"));
        assert_eq!(f.log_format, None, "not given is not the default");
        assert!(Cli::try_parse_from(["lxcri", "--lxc-log-level", "loud", "list"]).is_err());
    }
}
