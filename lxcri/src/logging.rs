//! `--log FILE --log-format text|json`, as runc: JSON lines carry `level`, `msg` and `time`.
//! Nothing is ever written to stdout, which belongs to the container or the command's result.

use std::fmt;
use std::fs::OpenOptions;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;
use std::sync::Mutex;

use tracing::{Event, Level, Subscriber};
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields};
use tracing_subscriber::registry::LookupSpan;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LogFormat {
    #[default]
    Text,
    Json,
}

/// Set up logging to `file` (created 0600, appended), or to stderr at warning level when no file
/// is given. Called before argument parsing finishes, so the file exists even for bad arguments.
pub fn init(file: Option<&Path>, format: LogFormat, debug: bool) -> std::io::Result<()> {
    let level = if debug {
        Level::DEBUG
    } else if file.is_some() {
        Level::INFO
    } else {
        Level::WARN
    };
    init_level(file, format, level)
}

/// [`init`] at an explicit level (the configuration's `log_level`).
pub fn init_level(file: Option<&Path>, format: LogFormat, level: Level) -> std::io::Result<()> {
    let fmt = LineFormat { format };
    let builder = tracing_subscriber::fmt()
        .with_max_level(level)
        .event_format(fmt);
    match file {
        Some(path) => {
            let f = OpenOptions::new()
                .create(true)
                .append(true)
                .mode(0o600)
                .custom_flags(libc::O_CLOEXEC)
                .open(path)?;
            let _ = builder.with_writer(Mutex::new(f)).try_init();
        }
        None => {
            let _ = builder.with_writer(std::io::stderr).try_init();
        }
    }
    Ok(())
}

struct LineFormat {
    format: LogFormat,
}

/// Collects the event's message and fields into one string.
#[derive(Default)]
struct Fields {
    msg: String,
    extra: String,
}

impl tracing::field::Visit for Fields {
    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn fmt::Debug) {
        if field.name() == "message" {
            self.msg = format!("{value:?}");
        } else {
            self.extra.push_str(&format!(" {}={value:?}", field.name()));
        }
    }
    fn record_str(&mut self, field: &tracing::field::Field, value: &str) {
        if field.name() == "message" {
            self.msg = value.to_string();
        } else {
            self.extra.push_str(&format!(" {}={value}", field.name()));
        }
    }
}

fn level_name(l: &Level) -> &'static str {
    match *l {
        Level::ERROR => "error",
        Level::WARN => "warning",
        Level::INFO => "info",
        Level::DEBUG => "debug",
        Level::TRACE => "trace",
    }
}

impl<S, N> FormatEvent<S, N> for LineFormat
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        _ctx: &FmtContext<'_, S, N>,
        mut w: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        let mut fields = Fields::default();
        event.record(&mut fields);
        let time = crate::time::now_rfc3339();
        let level = level_name(event.metadata().level());
        let msg = format!("{}{}", fields.msg, fields.extra);
        match self.format {
            LogFormat::Text => writeln!(w, "{time} {level} {msg}"),
            LogFormat::Json => {
                let line = serde_json::json!({ "level": level, "msg": msg, "time": time });
                writeln!(w, "{line}")
            }
        }
    }
}

/// Times the steps of one command for `--debug`: each [`Steps::step`] logs one line
/// `COMMAND: step=NAME took=DURATION` with the time since the previous step (or the start), and
/// [`Steps::done`] the whole. Costs two clock reads per step when debug logging is off.
pub struct Steps {
    command: &'static str,
    id: String,
    start: std::time::Instant,
    last: std::time::Instant,
}

impl Steps {
    pub fn new(command: &'static str, id: &impl fmt::Display) -> Steps {
        let now = std::time::Instant::now();
        Steps {
            command,
            id: id.to_string(),
            start: now,
            last: now,
        }
    }

    /// The step that just ended.
    pub fn step(&mut self, name: &str) {
        let now = std::time::Instant::now();
        tracing::debug!(
            target: "lxcri::steps",
            id = %self.id,
            "{}: step={name} took={}",
            self.command,
            took(now - self.last)
        );
        self.last = now;
    }

    /// The whole command, from [`Steps::new`].
    pub fn done(&self, ok: bool) {
        tracing::debug!(
            target: "lxcri::steps",
            id = %self.id,
            ok,
            "{}: took={}",
            self.command,
            took(self.start.elapsed())
        );
    }
}

/// A duration as `3.2ms` (or `1.25s` from a second on).
pub fn took(d: std::time::Duration) -> String {
    let ms = d.as_secs_f64() * 1000.0;
    if ms >= 1000.0 {
        format!("{:.2}s", ms / 1000.0)
    } else {
        format!("{ms:.1}ms")
    }
}

#[cfg(test)]
mod tests {
    use super::took;
    use std::time::Duration;

    #[test]
    fn durations_read_as_ms_or_s() {
        assert_eq!(took(Duration::from_micros(3200)), "3.2ms");
        assert_eq!(took(Duration::from_micros(40)), "0.0ms");
        assert_eq!(took(Duration::from_millis(999)), "999.0ms");
        assert_eq!(took(Duration::from_millis(1250)), "1.25s");
    }
}
