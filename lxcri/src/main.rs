//! The OCI command line: the global flags, one clap parser, the configuration resolved once,
//! then one call into the command's file (lxcri/src/commands/<command>.rs), whose clap
//! arguments it parses. Errors reach the caller as one line on stderr and exit status 1.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches, Parser, Subcommand, ValueEnum};
use lxcri::commands;
use lxcri::config::{self, Config, ConfigFile, Flags};
use lxcri::error::Error;
use lxcri::id::ContainerId;
use lxcri::logging::{self, LogFormat};
use lxcri::runtime::Runtime;

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

#[derive(Subcommand, Debug)]
enum Cmd {
    /// Create a container (its process waits for `start`).
    Create(commands::create::Args),
    /// Run the created container's process.
    Start(commands::start::Args),
    /// Print the state of a container as JSON.
    State(commands::state::Args),
    /// Send a signal to the container's init (default SIGTERM).
    Kill(commands::kill::Args),
    /// Delete a container and everything it holds.
    Delete(commands::delete::Args),
    /// List containers.
    List(commands::list::Args),
    /// Create and start a container, wait for it and return its exit status.
    Run(commands::run::Args),
    /// Run a process in a running container.
    Exec(commands::exec::Args),
    /// Freeze every process of the container.
    Pause(commands::pause::Args),
    /// Thaw a paused container.
    Resume(commands::resume::Args),
    /// List the container's processes (`ps -ef`, or the given ps arguments).
    Ps(commands::ps::Args),
    /// Change the cgroup limits of a container.
    Update(commands::update::Args),
    /// Print the container's resource usage (once with --stats, else every --interval).
    Events(commands::events::Args),
    /// Write a default config.json into the bundle (as `runc spec`). `--rootless` (the global
    /// flag, as runc's `spec --rootless`) writes one an unprivileged user can run.
    Spec(commands::spec::Args),
    /// Print the runtime-spec features document of this build (JSON).
    Features,
    /// Print the effective configuration (flag > LXCRI_* environment > /etc/lxcri/lxcri.toml or
    /// $LXCRI_CONFIG > default) with the source of every value.
    Config(commands::config::Args),
    /// Write the man pages (DIR/man8) and shell completions (DIR/completions) generated from
    /// these definitions; used by `make build`.
    #[command(name = "__generate-docs", hide = true)]
    GenerateDocs { dir: PathBuf },
}

fn env(var: &str) -> Option<String> {
    std::env::var(var).ok()
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    if let Some(code) = fast_state(&args) {
        return code;
    }
    // One parser. When it rejects the arguments, the logging flags are read from the same
    // definition with errors ignored: the log file must exist and say why.
    let parsed = Cli::command()
        .try_get_matches_from(&args)
        .and_then(|m| Cli::from_arg_matches(&m));
    let flags = match &parsed {
        Ok(cli) => cli.flags(),
        Err(_) => lenient_flags(&args),
    };
    // The configuration, resolved once: flags > environment > file > defaults.
    let config = ConfigFile::load(&env).and_then(|file| {
        Config::resolve(&flags, &env, file.as_ref(), &config::Defaults::of_host())
    });
    let (log, format, level) = match &config {
        Ok(c) => (c.log.value.clone(), c.log_format.value, c.log_level.value),
        // A broken file or variable: log where the flags say, then fail.
        Err(_) => (
            flags.log.clone(),
            flags.log_format.unwrap_or_default(),
            if flags.debug {
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
    let config = match config {
        Ok(c) => c,
        Err(e) => return fail(&e, to_file),
    };
    let cli = match parsed {
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
    match run(cli, &config) {
        Ok(code) => ExitCode::from(code),
        // runc's exit status for an exec whose command could not run (127: not found, 126).
        Err(Failed::Exec(e)) if e.exit_code() != 1 => {
            let _ = fail(&e, to_file);
            ExitCode::from(e.exit_code())
        }
        Err(Failed::Exec(e)) => fail(&e, to_file),
        Err(Failed::Runtime(e)) => fail(&e, to_file),
    }
}

/// Why a command failed: the library's error, or exec's (which carries an exit status).
enum Failed {
    Runtime(Error),
    Exec(commands::exec::ExecError),
}

impl From<Error> for Failed {
    fn from(e: Error) -> Self {
        Failed::Runtime(e)
    }
}

/// Report `e` once (in the log file when there is one; without, tracing writes to stderr
/// already) and as one line on stderr; exit status 1.
fn fail(e: &dyn std::fmt::Display, to_file: bool) -> ExitCode {
    let msg = e.to_string();
    if to_file {
        tracing::error!("{msg}");
    }
    eprintln!("lxcri: {}", one_line(&msg));
    ExitCode::from(1)
}

/// The logging flags of arguments the parser rejected, read by the same parser with errors
/// ignored; nothing else is taken from them.
fn lenient_flags(args: &[String]) -> Flags {
    let Ok(m) = Cli::command()
        .ignore_errors(true)
        .try_get_matches_from(args)
    else {
        return Flags::default();
    };
    let get = |name: &str| m.try_get_one::<PathBuf>(name).ok().flatten().cloned();
    Flags {
        log: get("log"),
        log_format: m
            .try_get_one::<Format>("log_format")
            .ok()
            .flatten()
            .map(|f| (*f).into()),
        log_level: m
            .try_get_one::<Level>("log_level")
            .ok()
            .flatten()
            .map(|l| (*l).into()),
        debug: m.try_get_one::<bool>("debug").ok().flatten() == Some(&true),
        ..Flags::default()
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

/// lxcri(8), lxcri-<command>(8) for every visible command, and bash, zsh and fish completions.
fn generate_docs(dir: &Path) -> std::io::Result<()> {
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
    let page = |c: clap::Command, name: &str| -> std::io::Result<()> {
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

fn run(cli: Cli, config: &Config) -> Result<u8, Failed> {
    if cli.version {
        println!(
            "lxcri version {}\nliblxc version {}\nspec: {}",
            env!("CARGO_PKG_VERSION"),
            lxcri::runtime::liblxc_version(&config.libexec.value),
            lxcri::state::OCI_VERSION
        );
        return Ok(0);
    }
    let rt = Runtime {
        // liblxc keys its lock files on the lxcpath string: always hand it the absolute path.
        root: std::path::absolute(&config.root.value)
            .map_err(|e| Error::io(format!("root {}", config.root.value.display()), e))?,
        libexec: config.libexec.value.clone(),
        systemd_cgroup: config.systemd_cgroup.value,
        debug: config.log_level.value == config::LogLevel::Debug,
        lxc_log_level: config.lxc_log_level.value.clone(),
    };
    let Some(cmd) = cli.command else {
        return Err(Error::Usage("no command given; see lxcri --help".into()).into());
    };
    let out = &mut std::io::stdout().lock();
    Ok(match cmd {
        Cmd::Create(a) => commands::create::run(&rt, &a)?,
        Cmd::Start(a) => commands::start::run(&rt, &a)?,
        Cmd::State(a) => commands::state::run(&rt, &a, out)?,
        Cmd::Kill(a) => commands::kill::run(&rt, &a)?,
        Cmd::Delete(a) => commands::delete::run(&rt, &a)?,
        Cmd::List(a) => commands::list::run(&rt, &a, out)?,
        Cmd::Run(a) => commands::run::run(&rt, &a)?,
        Cmd::Exec(a) => commands::exec::run(&rt, a).map_err(Failed::Exec)?,
        Cmd::Pause(a) => commands::pause::run(&rt, &a)?,
        Cmd::Resume(a) => commands::resume::run(&rt, &a)?,
        Cmd::Ps(a) => commands::ps::run(&rt, &a, out)?,
        Cmd::Update(a) => commands::update::run(&rt, &a)?,
        Cmd::Events(a) => commands::events::run(&rt, &a, out)?,
        Cmd::Spec(a) => commands::spec::run(&a, cli.rootless.as_deref())?,
        Cmd::Features => commands::features::run(&rt.libexec, out)?,
        Cmd::Config(a) => commands::config::run(config, &a, out)?,
        Cmd::GenerateDocs { dir } => {
            generate_docs(&dir).map_err(|e| Error::io("generating the docs", e))?;
            0
        }
    })
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
    fn logging_flags_of_rejected_arguments() {
        let a = args(&[
            "--root",
            "/r",
            "--log=/tmp/l",
            "--log-format",
            "json",
            "--log-level=error",
            "create",
            "--no-such-flag",
            "x",
        ]);
        assert!(Cli::try_parse_from(&a).is_err());
        let f = lenient_flags(&a);
        assert_eq!(f.log, Some(PathBuf::from("/tmp/l")));
        assert_eq!(f.log_format, Some(LogFormat::Json));
        assert_eq!(f.log_level, Some(config::LogLevel::Error));
        assert!(!f.debug);
        // Only the logging flags.
        assert_eq!(f.root, None);
        let f = lenient_flags(&args(&[
            "--debug",
            "--log",
            "/tmp/m",
            "--log-format=text",
            "nope",
        ]));
        assert!(f.debug);
        assert_eq!(f.log, Some(PathBuf::from("/tmp/m")));
        assert_eq!(f.log_format, Some(LogFormat::Text));
        // A flag without its value: nothing to log to.
        assert_eq!(lenient_flags(&args(&["--log"])).log, None);
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
