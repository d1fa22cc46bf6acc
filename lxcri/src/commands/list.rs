//! `lxcri list`: the state of every container under `--root`.

use std::io::Write;

use tracing::debug;

use crate::error::Error;
use crate::id::ContainerId;
use crate::runtime::Runtime;
use crate::state::OciState;

impl Runtime {
    pub fn list(&self) -> Result<Vec<OciState>, Error> {
        let entries = match std::fs::read_dir(&self.root) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(vec![]),
            Err(e) => return Err(Error::io(format!("cannot read {}", self.root.display()), e)),
        };
        let mut out = Vec::new();
        for entry in entries.flatten() {
            if !entry.file_type().map(|t| t.is_dir()).unwrap_or(false) {
                continue;
            }
            let Some(name) = entry.file_name().to_str().map(str::to_string) else {
                continue;
            };
            let Ok(id) = ContainerId::new(&name) else {
                continue;
            };
            match self.state(&id) {
                Ok(s) => out.push(s),
                Err(e) => debug!("skipping {name}: {e}"),
            }
        }
        out.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(out)
    }
}

/// `lxcri list [--format table|json] [--quiet]`.
#[derive(clap::Args, Debug)]
pub struct Args {
    #[arg(short, long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// Print only the ids.
    #[arg(short, long)]
    pub quiet: bool,
}

/// How `list` and `ps` print.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Table,
    Json,
}

pub fn run(rt: &Runtime, a: &Args, out: &mut dyn Write) -> Result<u8, Error> {
    let list = rt.list()?;
    let w = |e| Error::io("stdout", e);
    if a.quiet {
        for s in &list {
            writeln!(out, "{}", s.id).map_err(w)?;
        }
    } else if a.format == Format::Json {
        let json = serde_json::to_string(&list).map_err(|e| Error::io("list", e.into()))?;
        writeln!(out, "{json}").map_err(w)?;
    } else {
        writeln!(
            out,
            "{:<20} {:<10} {:<10} {:<40} {:<32} OWNER",
            "ID", "PID", "STATUS", "BUNDLE", "CREATED"
        )
        .map_err(w)?;
        for s in &list {
            writeln!(
                out,
                "{:<20} {:<10} {:<10} {:<40} {:<32} root",
                s.id,
                s.pid,
                s.status.to_string(),
                s.bundle.display(),
                s.created
            )
            .map_err(w)?;
        }
    }
    Ok(0)
}
