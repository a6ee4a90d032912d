//! The built `hingebot` binary as a child process, for multi-process tests: its stderr is
//! collected while it runs (so a test can wait for a log line), and it can be stopped with SIGTERM
//! or killed with SIGKILL. A database shared by several processes: PostgreSQL (a fresh schema on
//! the server of `scripts/test-postgres`) when there is one, else a SQLite file.

use hingebot::store::{DatabaseLocation, Store};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The variable `scripts/test-postgres` sets.
pub const POSTGRES_URL_ENV: &str = "HINGEBOT_TEST_POSTGRES_URL";

/// A running `hingebot run`.
pub struct BotProcess {
    child: Option<Child>,
    stderr: Arc<Mutex<String>>,
    reader: Option<std::thread::JoinHandle<()>>,
    pub name: String,
}

impl BotProcess {
    /// `hingebot run ARGS` with `HINGEBOT_CONFIG=config` and the fake as its REST proxy.
    pub fn spawn(
        name: &str,
        config: &Path,
        api_base: &str,
        args: &[&str],
        env: &[(&str, &str)],
    ) -> BotProcess {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_hingebot"));
        cmd.arg("run")
            .args(args)
            .env("HINGEBOT_CONFIG", config)
            .env("HINGEBOT_DISCORD_API_BASE", api_base)
            .env("DISCORD_TOKEN", super::TOKEN)
            .env("RUST_LOG", "hingebot=info,warn")
            .env_remove("HINGEBOT_DATABASE_URL")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().expect("the hingebot binary starts");
        let mut pipe = child.stderr.take().expect("piped stderr");
        let stderr = Arc::new(Mutex::new(String::new()));
        let sink = Arc::clone(&stderr);
        let reader = std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n) = pipe.read(&mut buf) {
                if n == 0 {
                    break;
                }
                sink.lock()
                    .unwrap()
                    .push_str(&String::from_utf8_lossy(&buf[..n]));
            }
        });
        BotProcess {
            child: Some(child),
            stderr,
            reader: Some(reader),
            name: name.to_string(),
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.as_ref().expect("running").id()
    }

    /// Everything it logged so far.
    pub fn stderr(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    /// The lines of its log containing `text`.
    pub fn lines_with(&self, text: &str) -> Vec<String> {
        self.stderr()
            .lines()
            .filter(|l| l.contains(text))
            .map(str::to_string)
            .collect()
    }

    /// Waits until it logged a line containing `text`.
    pub async fn wait_for_log(&self, text: &str, timeout: Duration) -> String {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            if let Some(line) = self.lines_with(text).pop() {
                return line;
            }
            if tokio::time::Instant::now() >= deadline {
                panic!(
                    "{} did not log {text:?} within {timeout:?}; it logged:\n{}",
                    self.name,
                    self.stderr()
                );
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// SIGKILL: no shutdown, no flush, as a crash or the OOM killer.
    pub fn kill9(&mut self) {
        if let Some(child) = &mut self.child {
            child.kill().expect("SIGKILL");
            let _ = child.wait();
        }
    }

    /// SIGTERM, then waits for the exit; returns whether it exited cleanly (status 0).
    pub async fn terminate(mut self, timeout: Duration) -> (bool, String) {
        let mut child = self.child.take().expect("running");
        let pid = child.id().to_string();
        let _ = Command::new("kill").args(["-TERM", &pid]).status();
        let waited = tokio::task::spawn_blocking(move || {
            let status = child.wait();
            (status, child)
        });
        let (status, _child) = match tokio::time::timeout(timeout, waited).await {
            Ok(done) => done.expect("waiting for the process"),
            Err(_) => {
                let _ = Command::new("kill").args(["-KILL", &pid]).status();
                panic!("{} did not exit within {timeout:?} of SIGTERM", self.name);
            }
        };
        if let Some(reader) = self.reader.take() {
            let _ = reader.join();
        }
        (status.is_ok_and(|s| s.success()), self.stderr())
    }
}

impl Drop for BotProcess {
    fn drop(&mut self) {
        if let Some(child) = &mut self.child {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// One database for several bot processes.
pub struct SharedDb {
    /// What the processes get as `HINGEBOT_DATABASE_URL`.
    pub url: String,
    _dir: tempfile::TempDir,
    postgres: Option<(String, String)>,
}

impl SharedDb {
    /// PostgreSQL when `HINGEBOT_TEST_POSTGRES_URL` names a server (always in CI), else a SQLite
    /// file in `dir`.
    pub async fn new() -> SharedDb {
        let dir = tempfile::tempdir().expect("a temp dir");
        match std::env::var(POSTGRES_URL_ENV) {
            Ok(base) if !base.trim().is_empty() => {
                let base = base.trim().to_string();
                let schema = unique_schema();
                raw_postgres(&base)
                    .await
                    .batch_execute(&format!("CREATE SCHEMA {schema}"))
                    .await
                    .expect("creating the test schema");
                let separator = if base.contains('?') { '&' } else { '?' };
                SharedDb {
                    url: format!("{base}{separator}options=-csearch_path%3D{schema}"),
                    _dir: dir,
                    postgres: Some((base, schema)),
                }
            }
            _ if in_ci() => panic!(
                "{POSTGRES_URL_ENV} is not set, but CI is: run the tests through scripts/test-postgres"
            ),
            _ => SharedDb {
                url: dir.path().join("hingebot.sqlite3").display().to_string(),
                _dir: dir,
                postgres: None,
            },
        }
    }

    pub fn backend(&self) -> &'static str {
        if self.postgres.is_some() {
            "postgres"
        } else {
            "sqlite"
        }
    }

    /// A store on it (another "process").
    pub async fn open(&self) -> std::sync::Arc<Store> {
        Store::connect(&DatabaseLocation::parse(&self.url).expect("a database setting"))
            .await
            .expect("opening the shared database")
    }

    /// A folder for config files.
    pub fn dir(&self) -> &Path {
        self._dir.path()
    }

    /// Drops the PostgreSQL schema (every process must have stopped).
    pub async fn remove(self) {
        if let Some((base, schema)) = &self.postgres {
            let _ = raw_postgres(base)
                .await
                .batch_execute(&format!("DROP SCHEMA {schema} CASCADE"))
                .await;
        }
    }
}

/// A config file for a bot process: the repository's knowledge base, no cooldown, short leases.
pub fn write_config(dir: &Path, name: &str, extra: &str) -> PathBuf {
    let path = dir.join(format!("{name}.toml"));
    let text = format!(
        "knowledge_dir = {:?}\n{extra}\n[discord]\ncooldown_seconds = 0\n\n[tips]\nlease_seconds = 4\n",
        super::knowledge_dir().display().to_string(),
    );
    std::fs::write(&path, text).expect("writing a config");
    path
}

fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "0" && v != "false")
}

fn unique_schema() -> String {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!(
        "hb_proc_{}_{}_{nanos}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::SeqCst)
    )
}

/// A plain connection to the test server.
pub async fn raw_postgres(url: &str) -> tokio_postgres::Client {
    let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls)
        .await
        .expect("connecting to the test PostgreSQL server");
    tokio::spawn(connection);
    client
}
