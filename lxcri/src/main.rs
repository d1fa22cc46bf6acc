//! The OCI command line. Thin: every command is one call into the library.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
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
    /// Directory for the state of containers.
    #[arg(long, global = true, env = "LXCRI_ROOT")]
    root: Option<PathBuf>,
    /// Log file (default: warnings to stderr).
    #[arg(long, global = true)]
    log: Option<PathBuf>,
    /// Log format.
    #[arg(long = "log-format", global = true, value_enum, default_value_t = Format::Text)]
    log_format: Format,
    /// Log debug output.
    #[arg(long, global = true)]
    debug: bool,
    /// Accepted for compatibility: cgroupsPath in the slice:prefix:name form is honoured
    /// without systemd.
    #[arg(long = "systemd-cgroup", global = true)]
    systemd_cgroup: bool,
    /// Accepted for compatibility with runc (true|false|auto).
    #[arg(long, global = true, num_args = 0..=1, default_missing_value = "true")]
    rootless: Option<String>,
    /// Directory holding lxcri-start, lxcri-init and lxcri-hook.
    #[arg(long, global = true, env = "LXCRI_LIBEXEC")]
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

fn main() -> ExitCode {
    // The log file must exist even when the arguments are bad, so look for --log by hand first.
    let args: Vec<String> = std::env::args().collect();
    let (log, format, debug) = early_log_args(&args);
    let to_file = log.is_some();
    if let Err(e) = logging::init(log.as_deref(), format, debug) {
        eprintln!("lxcri: cannot open log file: {e}");
        return ExitCode::from(1);
    }
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
    match run(cli) {
        Ok(code) => ExitCode::from(code),
        Err(Failure(msg)) => {
            // Without --log, tracing already writes to stderr; say it once.
            if to_file {
                tracing::error!("{msg}");
            }
            eprintln!("lxcri: {msg}");
            ExitCode::from(1)
        }
    }
}

fn early_log_args(args: &[String]) -> (Option<PathBuf>, LogFormat, bool) {
    let mut log = None;
    let mut format = LogFormat::Text;
    let mut debug = false;
    let mut it = args.iter().skip(1);
    while let Some(a) = it.next() {
        match a.as_str() {
            "--log" => log = it.next().map(PathBuf::from),
            "--log-format" => {
                if it.next().map(String::as_str) == Some("json") {
                    format = LogFormat::Json;
                }
            }
            "--debug" => debug = true,
            _ => {
                if let Some(v) = a.strip_prefix("--log=") {
                    log = Some(PathBuf::from(v));
                } else if let Some(v) = a.strip_prefix("--log-format=") {
                    if v == "json" {
                        format = LogFormat::Json;
                    }
                }
            }
        }
    }
    (log, format, debug)
}

fn default_root() -> PathBuf {
    if nix::unistd::geteuid().is_root() {
        return PathBuf::from("/run/lxcri");
    }
    match std::env::var_os("XDG_RUNTIME_DIR") {
        Some(d) => Path::new(&d).join("lxcri"),
        None => PathBuf::from("/run/lxcri"),
    }
}

/// Helpers live in `<prefix>/libexec/lxcri` next to `<prefix>/bin/lxcri`.
fn default_libexec() -> PathBuf {
    let exe = std::env::current_exe().unwrap_or_default();
    let dir = exe.parent().unwrap_or(Path::new("/usr/bin"));
    let installed = dir.join("../libexec/lxcri");
    if installed.is_dir() {
        installed
    } else {
        dir.to_path_buf()
    }
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

fn run(cli: Cli) -> Result<u8, Failure> {
    if cli.version {
        let libexec = cli.libexec.clone().unwrap_or_else(default_libexec);
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
        root: std::path::absolute(cli.root.clone().unwrap_or_else(default_root))?,
        libexec: cli.libexec.clone().unwrap_or_else(default_libexec),
        systemd_cgroup: cli.systemd_cgroup,
        debug: cli.debug,
    };
    let Some(cmd) = cli.command else {
        return Err(Failure("no command given; see lxcri --help".into()));
    };
    let mut out = std::io::stdout().lock();
    match cmd {
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
        Cmd::Exec(a) => return exec(&rt, a, cli.log.is_some()),
        // --- spec and features ---
        Cmd::Spec { bundle } => {
            let config = if spec_rootless(cli.rootless.as_deref()) {
                lxcri::default_spec::rootless_config(
                    nix::unistd::getuid().as_raw(),
                    nix::unistd::getgid().as_raw(),
                )?
            } else {
                lxcri::default_spec::default_config()?
            };
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
            eprintln!("lxcri: {e}");
            Ok(e.exit_code())
        }
        Err(e) => Err(Failure(e.to_string())),
    }
}
