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
