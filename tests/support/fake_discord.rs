//! A fake Discord on 127.0.0.1 for end-to-end tests: REST (HTTP/1.1) plus the websocket gateway.
//!
//! The real serenity/poise client talks to it as to Discord. It records every request (method,
//! path, JSON body and the JSON it answered; for a multipart upload, `payload_json` as the body and
//! the files beside it), withholds guild messages, DMs and message content unless IDENTIFY asked
//! for the matching intents, refuses to answer one interaction twice (400, code 40060), and
//! answers a message sent again with the same nonce and `enforce_nonce` with the first one instead
//! of creating another, like Discord. [`payload`] builds dispatch payloads from a few arguments.

use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use std::collections::{HashMap, HashSet};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::Message as WsMessage;

/// The bot's user id.
pub const BOT_ID: u64 = 900_000_000_000_000_001;
/// The bot's application id.
pub const APP_ID: u64 = 900_000_000_000_000_002;
/// The application owner.
pub const OWNER_ID: u64 = 900_000_000_000_000_003;
/// The guild most tests use.
pub const GUILD_ID: u64 = 900_000_000_000_000_010;

/// Gateway intent bits (Discord's documented values).
pub mod intents {
    pub const GUILDS: u64 = 1 << 0;
    pub const GUILD_MESSAGES: u64 = 1 << 9;
    pub const DIRECT_MESSAGES: u64 = 1 << 12;
    pub const MESSAGE_CONTENT: u64 = 1 << 15;
}

/// Permission bits (Discord's documented values).
pub mod permissions {
    pub const MANAGE_CHANNELS: u64 = 1 << 4;
    pub const VIEW_CHANNEL: u64 = 1 << 10;
    pub const SEND_MESSAGES: u64 = 1 << 11;
    pub const USE_APPLICATION_COMMANDS: u64 = 1 << 31;
    /// What an ordinary member has.
    pub const MEMBER: u64 = VIEW_CHANNEL | SEND_MESSAGES | USE_APPLICATION_COMMANDS;
}

/// One thing the bot sent: an HTTP request, or a gateway op (method `WS`, path the op's name).
#[derive(Debug, Clone)]
pub struct Recorded {
    pub method: String,
    /// The path without `/api/v10` and without the query string.
    pub path: String,
    /// The JSON body (`Value::Null` when there was none).
    pub body: Value,
    /// The status the fake answered with.
    pub status: u16,
    /// The JSON the fake answered with (`Value::Null` for 204).
    pub response: Value,
    /// When the request was complete.
    pub at: Instant,
    /// The files of a multipart upload (`files[0]` …), in order.
    pub files: Vec<RecordedFile>,
}

/// One file of a multipart upload.
#[derive(Debug, Clone)]
pub struct RecordedFile {
    /// The form field (`files[0]`).
    pub field: String,
    pub filename: String,
    pub content_type: String,
    pub bytes: Vec<u8>,
}

impl Recorded {
    /// `method` matches and `path` starts with `prefix`.
    pub fn is(&self, method: &str, prefix: &str) -> bool {
        self.method == method && self.path.starts_with(prefix)
    }

    /// A message the bot posted to a channel (`POST /channels/{id}/messages`).
    pub fn is_channel_message(&self) -> bool {
        self.method == "POST"
            && self.path.starts_with("/channels/")
            && self.path.ends_with("/messages")
    }

    /// A message the bot posted in this channel.
    pub fn is_message_in(&self, channel: u64) -> bool {
        self.method == "POST" && self.path == format!("/channels/{channel}/messages")
    }

    /// An interaction callback (`POST /interactions/{id}/{token}/callback`), optionally for one interaction id.
    pub fn is_callback(&self, interaction_id: Option<u64>) -> bool {
        self.method == "POST"
            && self.path.starts_with("/interactions/")
            && self.path.ends_with("/callback")
            && interaction_id
                .is_none_or(|id| self.path.starts_with(&format!("/interactions/{id}/")))
    }

    /// The first embed's title in the body (channel messages or interaction callbacks).
    pub fn embed_title(&self) -> Option<&str> {
        self.message_body()["embeds"][0]["title"].as_str()
    }

    /// The message part of the body: the body itself for messages, `data` for interaction callbacks.
    pub fn message_body(&self) -> &Value {
        if self.is_callback(None) {
            &self.body["data"]
        } else {
            &self.body
        }
    }

    /// Every component custom id in the body, row by row.
    pub fn custom_ids(&self) -> Vec<String> {
        let rows = self.message_body()["components"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        rows.iter()
            .flat_map(|r| r["components"].as_array().cloned().unwrap_or_default())
            .filter_map(|c| c["custom_id"].as_str().map(str::to_string))
            .collect()
    }
}

/// Behaviour switches.
#[derive(Debug, Clone, Default)]
pub struct FakeOptions {
    /// Close the gateway with 4014 (disallowed intents) when IDENTIFY asks for message content,
    /// as Discord does when the intent is not enabled in the developer portal.
    pub message_content_disallowed: bool,
    /// The heartbeat interval HELLO announces, in milliseconds (default 1000). Paused-time tests
    /// that let days pass set it high, so the clock is not stepped through a heartbeat a second.
    pub heartbeat_interval_ms: Option<u64>,
}

struct Shared {
    options: FakeOptions,
    requests: Mutex<Vec<Recorded>>,
    version: watch::Sender<u64>,
    dispatch_tx: mpsc::UnboundedSender<(String, Value)>,
    dispatch_rx: tokio::sync::Mutex<mpsc::UnboundedReceiver<(String, Value)>>,
    seq: AtomicU64,
    intents: AtomicU64,
    next_id: AtomicU64,
    answered: Mutex<HashSet<String>>,
    /// Messages created with `enforce_nonce`, by (channel, nonce): what a repeat gets back.
    nonces: Mutex<HashMap<(u64, String), Value>>,
    /// Channels whose next message is created but never answered (the sender sees a hang).
    stall: Mutex<HashSet<u64>>,
    /// When each dispatch was written to the socket, by event name.
    sent: Mutex<Vec<(String, Instant)>>,
    gateway_url: String,
}

impl Shared {
    fn record(&self, r: Recorded) {
        self.requests.lock().unwrap().push(r);
        self.version.send_modify(|v| *v += 1);
    }

    fn id(&self) -> u64 {
        self.next_id.fetch_add(1, Ordering::SeqCst)
    }
}

/// A running fake Discord. Dropping it stops its tasks.
pub struct FakeDiscord {
    shared: Arc<Shared>,
    rest: SocketAddr,
    tasks: Vec<JoinHandle<()>>,
}

impl Drop for FakeDiscord {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
    }
}

impl FakeDiscord {
    /// Starts REST and gateway listeners on 127.0.0.1 (ephemeral ports).
    pub async fn start() -> FakeDiscord {
        FakeDiscord::start_with(FakeOptions::default()).await
    }

    /// Starts with behaviour switches.
    pub async fn start_with(options: FakeOptions) -> FakeDiscord {
        let rest_listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let gateway_listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let rest = rest_listener.local_addr().unwrap();
        let gateway = gateway_listener.local_addr().unwrap();
        let (dispatch_tx, dispatch_rx) = mpsc::unbounded_channel();
        let shared = Arc::new(Shared {
            options,
            requests: Mutex::new(Vec::new()),
            version: watch::channel(0).0,
            dispatch_tx,
            dispatch_rx: tokio::sync::Mutex::new(dispatch_rx),
            seq: AtomicU64::new(0),
            intents: AtomicU64::new(0),
            next_id: AtomicU64::new(1_100_000_000_000_000_000),
            answered: Mutex::new(HashSet::new()),
            nonces: Mutex::new(HashMap::new()),
            stall: Mutex::new(HashSet::new()),
            sent: Mutex::new(Vec::new()),
            gateway_url: format!("ws://{gateway}"),
        });
        let rest_task = tokio::spawn(accept_rest(rest_listener, Arc::clone(&shared)));
        let gateway_task = tokio::spawn(accept_gateway(gateway_listener, Arc::clone(&shared)));
        FakeDiscord {
            shared,
            rest,
            tasks: vec![rest_task, gateway_task],
        }
    }

    /// The base URL to give the bot as `discord.api_base`.
    pub fn api_base(&self) -> String {
        format!("http://{}", self.rest)
    }

    /// Queues a gateway dispatch (op 0). It is sent once a session is identified, filtered by the
    /// session's intents like Discord does.
    pub fn push_dispatch(&self, event: &str, data: Value) {
        self.shared
            .dispatch_tx
            .send((event.to_string(), data))
            .expect("the fake's dispatch queue is open while the fake lives");
    }

    /// The next message posted in `channel` is created (and recorded, and its nonce remembered)
    /// but never answered, as if Discord accepted it and the connection then died.
    pub fn stall_next_message_in(&self, channel: u64) {
        self.shared.stall.lock().unwrap().insert(channel);
    }

    /// The ids of the distinct messages the bot created in `channel` (a repeat with the same
    /// nonce and `enforce_nonce` creates none).
    pub fn created_messages(&self, channel: u64) -> Vec<String> {
        let mut ids: Vec<String> = Vec::new();
        for r in self.matching(|r| r.is_message_in(channel) && r.status == 200) {
            if let Some(id) = r.response["id"].as_str() {
                if !ids.iter().any(|i| i == id) {
                    ids.push(id.to_string());
                }
            }
        }
        ids
    }

    /// Everything recorded so far, in order.
    pub fn requests(&self) -> Vec<Recorded> {
        self.shared.requests.lock().unwrap().clone()
    }

    /// The requests matching `pred`.
    pub fn matching(&self, pred: impl Fn(&Recorded) -> bool) -> Vec<Recorded> {
        self.requests().into_iter().filter(|r| pred(r)).collect()
    }

    /// The intents of the latest IDENTIFY.
    pub fn intents(&self) -> u64 {
        self.shared.intents.load(Ordering::SeqCst)
    }

    /// When the latest dispatch of `event` was written to the gateway socket.
    pub fn last_sent(&self, event: &str) -> Option<Instant> {
        let sent = self.shared.sent.lock().unwrap();
        sent.iter()
            .rev()
            .find(|(e, _)| e == event)
            .map(|(_, at)| *at)
    }

    /// Waits until `n` recorded requests after the first `skip` match `pred`; `None` on timeout.
    async fn wait_n(
        &self,
        skip: usize,
        n: usize,
        pred: &(dyn Fn(&Recorded) -> bool + Sync),
        timeout: Duration,
    ) -> Option<Vec<Recorded>> {
        let mut rx = self.shared.version.subscribe();
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let found: Vec<Recorded> = self
                .shared
                .requests
                .lock()
                .unwrap()
                .get(skip..)
                .unwrap_or(&[])
                .iter()
                .filter(|r| pred(r))
                .cloned()
                .collect();
            if found.len() >= n {
                return Some(found);
            }
            if tokio::time::timeout_at(deadline, rx.changed())
                .await
                .is_err()
            {
                return None;
            }
        }
    }

    /// The first request matching `pred`, waiting up to `timeout`.
    pub async fn wait_for_request(
        &self,
        pred: impl Fn(&Recorded) -> bool + Sync,
        timeout: Duration,
    ) -> Option<Recorded> {
        self.wait_n(0, 1, &pred, timeout)
            .await
            .map(|mut v| v.remove(0))
    }

    /// Like [`Self::wait_for_request`], but panics with everything recorded when nothing matches.
    pub async fn expect_request(
        &self,
        what: &str,
        pred: impl Fn(&Recorded) -> bool + Sync,
        timeout: Duration,
    ) -> Recorded {
        match self.wait_for_request(pred, timeout).await {
            Some(r) => r,
            None => panic!(
                "timed out after {timeout:?} waiting for {what}; recorded:\n{}",
                self.describe()
            ),
        }
    }

    /// Waits for `n` requests matching `pred` among those recorded after the first `after`.
    pub async fn expect_requests_after(
        &self,
        after: usize,
        what: &str,
        n: usize,
        pred: impl Fn(&Recorded) -> bool + Sync,
        timeout: Duration,
    ) -> Vec<Recorded> {
        match self.wait_n(after, n, &pred, timeout).await {
            Some(r) => r,
            None => {
                let got = self.requests()[after..].iter().filter(|r| pred(r)).count();
                panic!("timed out after {timeout:?} waiting for {n} × {what} (got {got}); recorded:\n{}", self.describe())
            }
        }
    }

    /// How many requests have been recorded (a mark for [`Self::expect_requests_after`]).
    pub fn mark(&self) -> usize {
        self.shared.requests.lock().unwrap().len()
    }

    /// Waits until the bot has identified and (re)registered its commands in that session: from
    /// then on the framework is set up and events are handled at once.
    pub async fn wait_until_ready(&self, timeout: Duration) {
        let deadline = tokio::time::Instant::now() + timeout;
        let identify = self
            .expect_request("IDENTIFY", |r| r.is("WS", "IDENTIFY"), timeout)
            .await;
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        let after = self
            .requests()
            .iter()
            .rposition(|r| r.is("WS", "IDENTIFY"))
            .unwrap_or(0);
        let _ = identify;
        self.expect_requests_after(
            after,
            "command registration",
            1,
            |r| r.method == "PUT" && r.path.ends_with("/commands"),
            left,
        )
        .await;
    }

    /// Asserts that nothing matching `pred` is recorded during `quiet` (from now).
    pub async fn assert_no_request(
        &self,
        what: &str,
        pred: impl Fn(&Recorded) -> bool + Sync,
        quiet: Duration,
    ) {
        let mark = self.mark();
        if let Some(found) = self.wait_n(mark, 1, &pred, quiet).await {
            panic!("expected no {what}, got {:?}", found[0]);
        }
    }

    /// A readable list of everything recorded, for failure messages.
    pub fn describe(&self) -> String {
        self.requests()
            .iter()
            .map(|r| {
                format!(
                    "  {} {} -> {} {}",
                    r.method,
                    r.path,
                    r.status,
                    truncate(&r.body.to_string(), 300)
                )
            })
            .collect::<Vec<_>>()
            .join("\n")
    }
}

fn truncate(s: &str, n: usize) -> String {
    s.chars().take(n).collect()
}

// ---------------------------------------------------------------- REST

async fn accept_rest(listener: TcpListener, shared: Arc<Shared>) {
    while let Ok((stream, _)) = listener.accept().await {
        let _ = stream.set_nodelay(true);
        tokio::spawn(serve_http(stream, Arc::clone(&shared)));
    }
}

/// Serves one keep-alive HTTP/1.1 connection: Content-Length or chunked bodies, JSON answers.
async fn serve_http(stream: TcpStream, shared: Arc<Shared>) {
    let (read, mut write) = stream.into_split();
    let mut reader = BufReader::new(read);
    loop {
        let mut line = String::new();
        match reader.read_line(&mut line).await {
            Ok(0) | Err(_) => return,
            Ok(_) => {}
        }
        let mut parts = line.split_whitespace();
        let (Some(method), Some(target)) = (parts.next(), parts.next()) else {
            return;
        };
        let (method, target) = (method.to_string(), target.to_string());
        let mut content_length = 0usize;
        let mut chunked = false;
        let mut close = false;
        let mut content_type = String::new();
        loop {
            let mut header = String::new();
            match reader.read_line(&mut header).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
            let header = header.trim_end();
            if header.is_empty() {
                break;
            }
            if let Some((name, value)) = header.split_once(':') {
                let name = name.trim().to_ascii_lowercase();
                let value = value.trim();
                if name == "content-length" {
                    content_length = value.parse().unwrap_or(0);
                } else if name == "transfer-encoding" && value.eq_ignore_ascii_case("chunked") {
                    chunked = true;
                } else if name == "connection" && value.eq_ignore_ascii_case("close") {
                    close = true;
                } else if name == "content-type" {
                    content_type = value.to_string();
                }
            }
        }
        let body = if chunked {
            let mut body = Vec::new();
            loop {
                let mut size = String::new();
                if reader.read_line(&mut size).await.unwrap_or(0) == 0 {
                    return;
                }
                let size = usize::from_str_radix(size.trim().split(';').next().unwrap_or("0"), 16)
                    .unwrap_or(0);
                let mut chunk = vec![0; size + 2];
                if reader.read_exact(&mut chunk).await.is_err() {
                    return;
                }
                if size == 0 {
                    break;
                }
                body.extend_from_slice(&chunk[..size]);
            }
            body
        } else {
            let mut body = vec![0; content_length];
            if reader.read_exact(&mut body).await.is_err() {
                return;
            }
            body
        };
        let (body, files) = match multipart_boundary(&content_type) {
            Some(boundary) => parse_multipart(&body, &boundary),
            None => (
                serde_json::from_slice(&body).unwrap_or(Value::Null),
                Vec::new(),
            ),
        };
        let path = target.split('?').next().unwrap_or("").to_string();
        let path = path.strip_prefix("/api/v10").unwrap_or(&path).to_string();
        let (status, response) = route(&shared, &method, &path, &body);
        let stalled = status == 200
            && method == "POST"
            && path.starts_with("/channels/")
            && path.ends_with("/messages")
            && path
                .split('/')
                .nth(2)
                .and_then(|c| c.parse::<u64>().ok())
                .is_some_and(|c| shared.stall.lock().unwrap().remove(&c));
        shared.record(Recorded {
            method,
            path,
            body,
            status,
            response: response.clone(),
            at: Instant::now(),
            files,
        });
        if stalled {
            // Created, never answered: the client waits until it gives up.
            std::future::pending::<()>().await;
        }
        let reason = match status {
            200 => "OK",
            204 => "No Content",
            400 => "Bad Request",
            _ => "Not Found",
        };
        let out = if status == 204 {
            format!("HTTP/1.1 204 {reason}\r\n\r\n").into_bytes()
        } else {
            let text = response.to_string();
            format!(
                "HTTP/1.1 {status} {reason}\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{text}",
                text.len()
            )
            .into_bytes()
        };
        if write.write_all(&out).await.is_err() || close {
            return;
        }
    }
}

/// The boundary of a `multipart/form-data` content type.
fn multipart_boundary(content_type: &str) -> Option<String> {
    let (kind, params) = content_type.split_once(';')?;
    if !kind.trim().eq_ignore_ascii_case("multipart/form-data") {
        return None;
    }
    params.split(';').find_map(|p| {
        let (name, value) = p.trim().split_once('=')?;
        name.eq_ignore_ascii_case("boundary")
            .then(|| value.trim_matches('"').to_string())
    })
}

/// A multipart body as Discord reads it: `payload_json` is the message, the other parts are files.
fn parse_multipart(body: &[u8], boundary: &str) -> (Value, Vec<RecordedFile>) {
    let delimiter = format!("--{boundary}").into_bytes();
    let mut payload = Value::Null;
    let mut files = Vec::new();
    let mut starts = Vec::new();
    let mut i = 0;
    while i + delimiter.len() <= body.len() {
        if body[i..].starts_with(&delimiter) {
            starts.push(i);
            i += delimiter.len();
        } else {
            i += 1;
        }
    }
    for pair in starts.windows(2) {
        // A part: CRLF, headers, a blank line, the content, CRLF before the next delimiter.
        let part = &body[pair[0] + delimiter.len()..pair[1]];
        let part = part.strip_prefix(b"\r\n").unwrap_or(part);
        let part = part.strip_suffix(b"\r\n").unwrap_or(part);
        let Some(split) = part.windows(4).position(|w| w == b"\r\n\r\n") else {
            continue;
        };
        let headers = String::from_utf8_lossy(&part[..split]).to_string();
        let content = &part[split + 4..];
        let header = |name: &str| {
            headers.lines().find_map(|l| {
                let (n, v) = l.split_once(':')?;
                n.trim()
                    .eq_ignore_ascii_case(name)
                    .then(|| v.trim().to_string())
            })
        };
        let disposition = header("content-disposition").unwrap_or_default();
        let param = |key: &str| {
            disposition.split(';').find_map(|p| {
                let (k, v) = p.trim().split_once('=')?;
                (k == key).then(|| v.trim_matches('"').to_string())
            })
        };
        let field = param("name").unwrap_or_default();
        if field == "payload_json" {
            payload = serde_json::from_slice(content).unwrap_or(Value::Null);
        } else {
            files.push(RecordedFile {
                field,
                filename: param("filename").unwrap_or_default(),
                content_type: header("content-type").unwrap_or_default(),
                bytes: content.to_vec(),
            });
        }
    }
    (payload, files)
}

fn route(shared: &Shared, method: &str, path: &str, body: &Value) -> (u16, Value) {
    let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    match (method, segments.as_slice()) {
        ("GET", ["gateway"]) => (200, json!({ "url": shared.gateway_url })),
        ("GET", ["gateway", "bot"]) => (
            200,
            json!({
                "url": shared.gateway_url,
                "shards": 1,
                "session_start_limit": {"total": 1000, "remaining": 1000, "reset_after": 0, "max_concurrency": 1}
            }),
        ),
        ("GET", ["oauth2", "applications", "@me"]) => (
            200,
            json!({
                "id": APP_ID.to_string(), "name": "hingebot", "icon": null, "description": "",
                "bot_public": false, "bot_require_code_grant": false, "verify_key": "00",
                "owner": payload::user(OWNER_ID, "owner", false), "team": null, "flags": 0
            }),
        ),
        ("GET", ["users", "@me"]) => (200, payload::bot_user()),
        ("PUT", ["applications", _, "commands"])
        | ("PUT", ["applications", _, "guilds", _, "commands"]) => {
            let guild = match segments.as_slice() {
                [_, _, "guilds", g, _] => json!(g),
                _ => Value::Null,
            };
            let commands = body.as_array().cloned().unwrap_or_default();
            let echoed: Vec<Value> = commands
                .into_iter()
                .map(|mut c| {
                    let obj = c.as_object_mut().expect("commands are objects");
                    obj.insert("id".into(), json!(shared.id().to_string()));
                    obj.insert("application_id".into(), json!(APP_ID.to_string()));
                    obj.insert("version".into(), json!(shared.id().to_string()));
                    obj.entry("type").or_insert(json!(1));
                    obj.insert("guild_id".into(), guild.clone());
                    c
                })
                .collect();
            (200, Value::Array(echoed))
        }
        ("POST", ["channels", channel, "messages"]) => {
            let channel: u64 = channel.parse().unwrap_or(0);
            let nonce = match (&body["nonce"], body["enforce_nonce"].as_bool()) {
                (Value::String(n), Some(true)) => Some(n.clone()),
                (Value::Number(n), Some(true)) => Some(n.to_string()),
                _ => None,
            };
            let Some(nonce) = nonce else {
                return (200, payload::sent_message(shared.id(), channel, body));
            };
            let mut nonces = shared.nonces.lock().unwrap();
            let message = nonces
                .entry((channel, nonce))
                .or_insert_with(|| payload::sent_message(shared.id(), channel, body));
            (200, message.clone())
        }
        ("POST", ["interactions", id, _token, "callback"]) => {
            if shared.answered.lock().unwrap().insert(id.to_string()) {
                (204, Value::Null)
            } else {
                (
                    400,
                    json!({"code": 40060, "message": "Interaction has already been acknowledged."}),
                )
            }
        }
        ("GET" | "PATCH", ["webhooks", _, _, "messages", _]) | ("POST", ["webhooks", _, _]) => {
            (200, payload::sent_message(shared.id(), 0, body))
        }
        _ => (404, json!({"code": 0, "message": "404: Not Found"})),
    }
}

// ---------------------------------------------------------------- gateway

async fn accept_gateway(listener: TcpListener, shared: Arc<Shared>) {
    while let Ok((stream, _)) = listener.accept().await {
        let _ = stream.set_nodelay(true);
        tokio::spawn(serve_gateway(stream, Arc::clone(&shared)));
    }
}

fn op(op: u8, d: Value) -> WsMessage {
    WsMessage::Text(json!({"op": op, "d": d, "s": null, "t": null}).to_string())
}

/// One gateway session: HELLO, IDENTIFY → READY, heartbeat acks, then queued dispatches.
async fn serve_gateway(stream: TcpStream, shared: Arc<Shared>) {
    let Ok(ws) = tokio_tungstenite::accept_async(stream).await else {
        return;
    };
    let (mut sink, mut source) = ws.split();
    if sink
        .send(op(
            10,
            json!({"heartbeat_interval": shared.options.heartbeat_interval_ms.unwrap_or(1000)}),
        ))
        .await
        .is_err()
    {
        return;
    }
    // Phase 1: until IDENTIFY.
    let identify = loop {
        let Some(Ok(msg)) = source.next().await else {
            return;
        };
        let WsMessage::Text(text) = msg else { continue };
        let Ok(v) = serde_json::from_str::<Value>(&text) else {
            continue;
        };
        let answer = match v["op"].as_u64() {
            Some(1) => op(11, Value::Null),
            Some(2) => break v["d"].clone(),
            // Resuming is not supported: ask for a fresh IDENTIFY.
            Some(6) => op(9, json!(false)),
            _ => continue,
        };
        if sink.send(answer).await.is_err() {
            return;
        }
    };
    let intents = identify["intents"].as_u64().unwrap_or(0);
    shared.intents.store(intents, Ordering::SeqCst);
    shared.record(Recorded {
        method: "WS".into(),
        path: "IDENTIFY".into(),
        body: identify,
        status: 0,
        response: Value::Null,
        at: Instant::now(),
        files: Vec::new(),
    });
    if shared.options.message_content_disallowed && intents & intents::MESSAGE_CONTENT != 0 {
        let frame = CloseFrame {
            code: CloseCode::Library(4014),
            reason: "Disallowed intent(s).".into(),
        };
        let _ = sink.send(WsMessage::Close(Some(frame))).await;
        return;
    }
    let ready = json!({
        "v": 10,
        "user": payload::bot_user(),
        "guilds": [],
        "session_id": format!("session-{}", shared.id()),
        "resume_gateway_url": shared.gateway_url,
        "shard": [0, 1],
        "application": {"id": APP_ID.to_string(), "flags": 0}
    });
    let s = shared.seq.fetch_add(1, Ordering::SeqCst) + 1;
    let ready = json!({"op": 0, "t": "READY", "s": s, "d": ready}).to_string();
    if sink.send(WsMessage::Text(ready)).await.is_err() {
        return;
    }
    // Phase 2: dispatches and heartbeats. One session at a time reads the queue.
    let mut queue = shared.dispatch_rx.lock().await;
    loop {
        tokio::select! {
            incoming = source.next() => {
                match incoming {
                    Some(Ok(WsMessage::Text(text))) => {
                        let v: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
                        if v["op"].as_u64() == Some(1) && sink.send(op(11, Value::Null)).await.is_err() {
                            return;
                        }
                    }
                    Some(Ok(WsMessage::Close(_))) | None | Some(Err(_)) => return,
                    Some(Ok(_)) => {}
                }
            }
            next = queue.recv() => {
                let Some((event, data)) = next else { return };
                let Some(data) = withhold(&event, data, intents) else { continue };
                let s = shared.seq.fetch_add(1, Ordering::SeqCst) + 1;
                let frame = json!({"op": 0, "t": event, "s": s, "d": data}).to_string();
                if sink.send(WsMessage::Text(frame)).await.is_err() {
                    return;
                }
                shared.sent.lock().unwrap().push((event, Instant::now()));
            }
        }
    }
}

/// What Discord would deliver of a dispatch under `intents` (`None`: not delivered at all).
pub fn withhold(event: &str, mut data: Value, intents: u64) -> Option<Value> {
    match event {
        "MESSAGE_CREATE" | "MESSAGE_UPDATE" => {
            let in_guild = !data["guild_id"].is_null();
            let needed = if in_guild {
                intents::GUILD_MESSAGES
            } else {
                intents::DIRECT_MESSAGES
            };
            if intents & needed == 0 {
                return None;
            }
            let mentions_bot = data["mentions"]
                .as_array()
                .is_some_and(|m| m.iter().any(|u| u["id"] == json!(BOT_ID.to_string())));
            let own = data["author"]["id"] == json!(BOT_ID.to_string());
            if in_guild && intents & intents::MESSAGE_CONTENT == 0 && !mentions_bot && !own {
                data["content"] = json!("");
                data["embeds"] = json!([]);
                data["attachments"] = json!([]);
                data["components"] = json!([]);
            }
            Some(data)
        }
        "GUILD_CREATE" | "GUILD_UPDATE" | "GUILD_DELETE" | "CHANNEL_CREATE" => {
            (intents & intents::GUILDS != 0).then_some(data)
        }
        _ => Some(data),
    }
}

// ---------------------------------------------------------------- payloads

/// Builders for Discord's documented objects, with every field serenity insists on.
pub mod payload {
    use super::{permissions, APP_ID, BOT_ID};
    use serde_json::{json, Value};
    use std::sync::atomic::{AtomicU64, Ordering};

    static NEXT: AtomicU64 = AtomicU64::new(1_000_000_000_000_000_000);

    /// A fresh snowflake, unique within the test process.
    pub fn id() -> u64 {
        NEXT.fetch_add(1, Ordering::SeqCst)
    }

    const TIMESTAMP: &str = "2025-01-06T09:00:00.000000+00:00";

    /// A user object.
    pub fn user(id: u64, name: &str, bot: bool) -> Value {
        json!({
            "id": id.to_string(), "username": name, "discriminator": "0", "global_name": name,
            "avatar": null, "bot": bot, "public_flags": 0
        })
    }

    /// The bot's own user.
    pub fn bot_user() -> Value {
        user(BOT_ID, "hingebot", true)
    }

    /// A human user with a name derived from the id.
    pub fn human(id: u64) -> Value {
        user(id, &format!("worker{}", id % 1000), false)
    }

    /// A guild member (with `permissions`, as in interactions).
    pub fn member(user: Value, permissions: u64) -> Value {
        json!({
            "user": user, "nick": null, "avatar": null, "roles": [], "joined_at": TIMESTAMP,
            "premium_since": null, "deaf": false, "mute": false, "flags": 0, "pending": false,
            "permissions": permissions.to_string(), "communication_disabled_until": null
        })
    }

    /// A message someone sent. `guild: None` makes it a DM. `<@BOT_ID>` in the content mentions the bot.
    pub fn message(channel: u64, guild: Option<u64>, author: Value, content: &str) -> Value {
        let mentions: Vec<Value> = if content.contains(&format!("<@{BOT_ID}>"))
            || content.contains(&format!("<@!{BOT_ID}>"))
        {
            vec![bot_user()]
        } else {
            vec![]
        };
        let mut m = json!({
            "id": id().to_string(), "channel_id": channel.to_string(), "author": author,
            "content": content, "timestamp": TIMESTAMP, "edited_timestamp": null, "tts": false,
            "mention_everyone": content.contains("@everyone") || content.contains("@here"),
            "mentions": mentions, "mention_roles": [], "attachments": [], "embeds": [],
            "pinned": false, "type": 0, "flags": 0, "components": []
        });
        if let Some(g) = guild {
            m["guild_id"] = json!(g.to_string());
            m["member"] = json!({
                "roles": [], "joined_at": TIMESTAMP, "deaf": false, "mute": false, "flags": 0
            });
        }
        m
    }

    /// The bot's message as the fake returns it after `POST /channels/{id}/messages`.
    pub fn sent_message(id: u64, channel: u64, body: &Value) -> Value {
        json!({
            "id": id.to_string(), "channel_id": channel.to_string(), "author": bot_user(),
            "content": body["content"].as_str().unwrap_or(""), "timestamp": TIMESTAMP,
            "edited_timestamp": null, "tts": false, "mention_everyone": false, "mentions": [],
            "mention_roles": [], "attachments": [], "embeds": [], "pinned": false, "type": 0,
            "flags": body["flags"].as_u64().unwrap_or(0), "components": []
        })
    }

    fn interaction_base(
        kind: u8,
        channel: u64,
        guild: Option<u64>,
        user_id: u64,
        permissions: u64,
        data: Value,
    ) -> (u64, Value) {
        let iid = id();
        let mut i = json!({
            "id": iid.to_string(), "application_id": APP_ID.to_string(), "type": kind,
            "data": data, "channel_id": channel.to_string(),
            "token": format!("token-{iid}"), "version": 1, "locale": "en-GB", "guild_locale": "en-GB",
            "entitlements": [], "attachment_size_limit": 26_214_400,
            "app_permissions": (permissions::MEMBER | permissions::MANAGE_CHANNELS).to_string(),
        });
        match guild {
            Some(g) => {
                i["guild_id"] = json!(g.to_string());
                i["member"] = member(human(user_id), permissions);
                i["context"] = json!(0);
            }
            None => {
                i["user"] = human(user_id);
                i["context"] = json!(1);
            }
        }
        (iid, i)
    }

    /// A slash command interaction (type 2). `options` is the `data.options` array. Returns (interaction id, payload).
    pub fn slash_command(
        name: &str,
        options: Value,
        channel: u64,
        guild: Option<u64>,
        user_id: u64,
        permissions: u64,
    ) -> (u64, Value) {
        let data = json!({"id": id().to_string(), "name": name, "type": 1, "options": options});
        interaction_base(2, channel, guild, user_id, permissions, data)
    }

    /// `/ask question:...`
    pub fn ask(question: &str, channel: u64, user_id: u64) -> (u64, Value) {
        slash_command(
            "ask",
            json!([{"name": "question", "type": 3, "value": question}]),
            channel,
            Some(super::GUILD_ID),
            user_id,
            permissions::MEMBER,
        )
    }

    /// A click on a button (or a choice in a string select, with `values`) of the bot's message
    /// `message_id`. Returns (interaction id, payload).
    pub fn component(
        custom_id: &str,
        values: Option<&[&str]>,
        message_id: u64,
        channel: u64,
        guild: Option<u64>,
        user_id: u64,
    ) -> (u64, Value) {
        let data = match values {
            Some(v) => json!({"custom_id": custom_id, "component_type": 3, "values": v}),
            None => json!({"custom_id": custom_id, "component_type": 2}),
        };
        let (iid, mut i) = interaction_base(3, channel, guild, user_id, permissions::MEMBER, data);
        let mut message = sent_message(message_id, channel, &json!({}));
        if let Some(g) = guild {
            message["guild_id"] = json!(g.to_string());
        }
        i["message"] = message;
        (iid, i)
    }
}
