//! `lxcri list`: the state of every container under `--root`.

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
