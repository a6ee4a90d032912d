//! `GET /healthz` on a local port (`health_addr`): whether this process's gateway shards are
//! connected, the database answers and the daily tip scheduler is ticking. 200 when all three hold,
//! 503 otherwise, with the details as JSON; what systemd, compose or a load balancer probes.

use crate::daily_tips::SchedulerHandle;
use crate::shards::ShardRange;
use crate::store::Store;
use jiff::Timestamp;
use poise::serenity_prelude as serenity;
use serde_json::{json, Value};
use std::net::SocketAddr;
use std::sync::{Arc, OnceLock, RwLock};
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

/// The scheduler wakes at least every few minutes ([`crate::daily_tips::SchedulerOptions`]'s
/// `max_sleep`); a last tick older than this means it is stuck.
pub const TIP_TICK_STALE_AFTER: Duration = Duration::from_secs(15 * 60);
/// How long the database may take to answer `SELECT 1`.
const PING_TIMEOUT: Duration = Duration::from_secs(2);
/// How long a client may take to send its request.
const READ_TIMEOUT: Duration = Duration::from_secs(2);

/// What `/healthz` looks at; filled in as the bot starts.
pub struct Health {
    store: Arc<Store>,
    shards: Option<ShardRange>,
    manager: RwLock<Option<Arc<serenity::ShardManager>>>,
    scheduler: OnceLock<SchedulerHandle>,
}

impl Health {
    /// Health of a bot on `store`, expected to run `shards` (`None`: as many as Discord recommends).
    pub fn new(store: Arc<Store>, shards: Option<ShardRange>) -> Arc<Health> {
        Arc::new(Health {
            store,
            shards,
            manager: RwLock::new(None),
            scheduler: OnceLock::new(),
        })
    }

    pub(crate) fn set_shard_manager(&self, manager: Arc<serenity::ShardManager>) {
        *self.manager.write().unwrap_or_else(|p| p.into_inner()) = Some(manager);
    }

    pub(crate) fn set_tip_scheduler(&self, handle: SchedulerHandle) {
        let _ = self.scheduler.set(handle);
    }

    /// The report, and whether everything is healthy.
    pub async fn report(&self) -> (bool, Value) {
        let manager = self
            .manager
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        let mut shards = Vec::new();
        if let Some(manager) = manager {
            let runners = manager.runners.lock().await;
            for (id, info) in runners.iter() {
                shards.push((id.0, info.stage, info.latency));
            }
        }
        shards.sort_by_key(|(id, _, _)| *id);
        let connected = shards
            .iter()
            .filter(|(_, stage, _)| *stage == serenity::ConnectionStage::Connected)
            .count();
        let expected = self.shards.map(|s| s.len() as usize);
        let shards_ok = connected > 0 && connected == expected.unwrap_or(shards.len());

        let ping = tokio::time::timeout(PING_TIMEOUT, self.store.ping()).await;
        let database_error = match ping {
            Ok(Ok(())) => None,
            Ok(Err(e)) => Some(e.to_string()),
            Err(_) => Some(format!("no answer within {} s", PING_TIMEOUT.as_secs())),
        };

        let last_tick = self.scheduler.get().and_then(SchedulerHandle::last_tick);
        let tick_age = last_tick.map(|t| Timestamp::now().duration_since(t).as_secs().max(0));
        let tips_ok =
            tick_age.is_some_and(|age| age.unsigned_abs() <= TIP_TICK_STALE_AFTER.as_secs());

        let healthy = shards_ok && database_error.is_none() && tips_ok;
        let report = json!({
            "status": if healthy { "ok" } else { "unhealthy" },
            "shards": {
                "expected": expected,
                "connected": connected,
                "list": shards.iter().map(|(id, stage, latency)| json!({
                    "id": id,
                    "stage": stage.to_string(),
                    "latency_ms": latency.map(|l| l.as_millis() as u64),
                })).collect::<Vec<_>>(),
            },
            "database": {
                "backend": self.store.backend_name(),
                "reachable": database_error.is_none(),
                "error": database_error,
            },
            "tips": {
                "last_tick": last_tick.map(|t| t.to_string()),
                "seconds_ago": tick_age,
            },
        });
        (healthy, report)
    }
}

/// Listens on `addr` and answers `GET /healthz` until the task is aborted.
pub async fn serve(
    addr: SocketAddr,
    health: Arc<Health>,
) -> anyhow::Result<tokio::task::JoinHandle<()>> {
    let listener = TcpListener::bind(addr)
        .await
        .map_err(|e| anyhow::anyhow!("health_addr {addr}: cannot listen there: {e}"))?;
    let bound = listener.local_addr().unwrap_or(addr);
    tracing::info!("health endpoint: http://{bound}/healthz");
    Ok(tokio::spawn(async move {
        loop {
            match listener.accept().await {
                Ok((stream, _)) => {
                    tokio::spawn(answer(stream, Arc::clone(&health)));
                }
                Err(e) => {
                    tracing::warn!("health endpoint: accepting a connection failed: {e}");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            }
        }
    }))
}

/// Answers one request (HTTP/1.0 or 1.1, then closes).
async fn answer(stream: TcpStream, health: Arc<Health>) {
    let (read, mut write) = stream.into_split();
    let mut reader = BufReader::new(read).take(8 * 1024);
    let mut request_line = String::new();
    let read_head = async {
        reader.read_line(&mut request_line).await?;
        // The headers are not needed; read up to the blank line so the client sees a clean close.
        loop {
            let mut header = String::new();
            if reader.read_line(&mut header).await? == 0 || header.trim().is_empty() {
                return Ok::<(), std::io::Error>(());
            }
        }
    };
    if !matches!(
        tokio::time::timeout(READ_TIMEOUT, read_head).await,
        Ok(Ok(()))
    ) {
        return;
    }
    let mut parts = request_line.split_whitespace();
    let (method, path) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    let path = path.split('?').next().unwrap_or("");
    let (status, body) = match (method, path) {
        ("GET", "/healthz") => {
            let (healthy, report) = health.report().await;
            let status = if healthy {
                "200 OK"
            } else {
                "503 Service Unavailable"
            };
            (status, report.to_string())
        }
        ("GET", _) => ("404 Not Found", json!({"error": "not found"}).to_string()),
        _ => (
            "405 Method Not Allowed",
            json!({"error": "only GET"}).to_string(),
        ),
    };
    let response = format!(
        "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\ncache-control: no-store\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = write.write_all(response.as_bytes()).await;
    let _ = write.shutdown().await;
}
