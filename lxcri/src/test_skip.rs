//! Unit tests that do not apply here (not root, a controller not mounted) end through
//! [`skip!`]: the reason goes to stderr and, when `LXCRI_SKIP_LOG` names a file, is appended to
//! it, so `make unit` counts skips apart from passes (libtest has no skipped state), as
//! `make integration` does with tests/src/lib.rs's `skip!`.

/// Record a skip of the running test and why.
pub(crate) fn record(reason: &str) {
    let current = std::thread::current();
    let line = format!("SKIP {} (unit): {reason}\n", current.name().unwrap_or("?"));
    eprint!("{line}");
    if let Some(log) = std::env::var_os("LXCRI_SKIP_LOG") {
        use std::io::Write;
        let written = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log)
            .and_then(|mut f| f.write_all(line.as_bytes()));
        if let Err(e) = written {
            panic!("cannot record a skip in {}: {e}", log.to_string_lossy());
        }
    }
}

/// Skip the running test with a reason: `skip!("needs root")`.
macro_rules! skip {
    ($($reason:tt)+) => {{
        $crate::test_skip::record(&format!($($reason)+));
        return;
    }};
}
