//! The log lines of the code under test, for end-to-end tests run in-process: a global tracing
//! subscriber writing into memory (installed once per test binary). Tests find their own lines by
//! something only they use (a channel id).

use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock};

static LINES: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();

struct Writer(Arc<Mutex<Vec<u8>>>);

impl Write for Writer {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Starts capturing (hingebot at debug, serenity's gateway at info, the rest at warn).
pub fn capture() {
    LINES.get_or_init(|| {
        let buffer = Arc::new(Mutex::new(Vec::new()));
        let sink = Arc::clone(&buffer);
        let _ = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::new(
                "hingebot=debug,serenity::gateway=info,warn",
            ))
            .with_ansi(false)
            .with_writer(move || Writer(Arc::clone(&sink)))
            .try_init();
        buffer
    });
}

/// Every captured line containing all of `parts`.
pub fn lines_with(parts: &[&str]) -> Vec<String> {
    let Some(buffer) = LINES.get() else {
        return Vec::new();
    };
    let text = String::from_utf8_lossy(&buffer.lock().unwrap()).into_owned();
    text.lines()
        .filter(|line| parts.iter().all(|p| line.contains(p)))
        .map(str::to_string)
        .collect()
}
