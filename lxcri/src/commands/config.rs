//! `lxcri config [--format toml|json]`: the effective configuration (flag > LXCRI_* environment
//! > file > default) with the source of every value.

use std::io::Write;

use crate::config::Config;
use crate::error::Error;

/// `lxcri config`'s arguments.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// toml: a file that gives the same values, sources as comments; json: value and source of
    /// every key.
    #[arg(short, long, value_enum, default_value_t = Format::Toml)]
    pub format: Format,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Toml,
    Json,
}

pub fn run(config: &Config, a: &Args, out: &mut dyn Write) -> Result<u8, Error> {
    let w = |e| Error::io("stdout", e);
    match a.format {
        Format::Toml => write!(out, "{}", config.to_toml()).map_err(w)?,
        Format::Json => {
            let json = serde_json::to_string_pretty(&config.to_json())
                .map_err(|e| Error::io("config", e.into()))?;
            writeln!(out, "{json}").map_err(w)?
        }
    }
    Ok(0)
}
