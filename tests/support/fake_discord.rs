//! A fake Discord on 127.0.0.1 for end-to-end tests: REST (HTTP/1.1, plain and, as `discord.com`,
//! over TLS) plus the websocket gateway, with shards, RESUME and injected faults.
//!
//! The real serenity/poise client talks to it as to Discord. It records every request (method,
//! path, JSON body and the JSON it answered; for a multipart upload, `payload_json` as the body and
//! the files beside it), withholds guild messages, DMs and message content
//! unless IDENTIFY asked for the matching intents, and refuses to answer one interaction twice
//! (400, code 40060), like Discord. Beyond the happy path it behaves as Discord documents:
//!
//! - **Shards**: `GET /gateway/bot` recommends [`FakeOptions::shards`]; each IDENTIFY names its
//!   shard (`[id, total]`) and a total other than the fake's is refused with close code 4010
//!   (Invalid shard). A dispatch goes to the session of its guild's shard,
//!   `(guild_id >> 22) % total`, DMs to shard 0, and waits for that shard to connect.
//! - **Sessions**: a RESUME of a known session replays the dispatches after the client's sequence
//!   number, then sends `RESUMED`; an unknown or invalidated session gets op 9 (INVALID_SESSION,
//!   not resumable). Tests can drop a connection without a close frame (what a client sees as
//!   1006), close it with a code, or invalidate the session.
//! - **Nonces**: `POST /channels/{id}/messages` with `enforce_nonce` and a nonce already used
//!   in that channel returns the message made with it instead of making another;
//!   [`FakeDiscord::stall_next_message_in`] makes a message but never answers.
//! - **Rate limits**: with [`FakeOptions::channel_message_limit`], channel messages carry the
//!   `X-RateLimit-*` headers of a per-channel bucket and the request over the limit gets a 429 with
//!   `Retry-After`; [`FakeDiscord::inject`] adds one-off 429s (per route or global), server errors,
//!   slow answers (after the message was made) and answers held until released.
//!
//! [`payload`] builds dispatch payloads from a few arguments.

use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use std::collections::{HashMap, HashSet, VecDeque};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufReader};
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

    /// The id of the message the fake answered with (for a channel message: the one created, or
    /// for a repeated nonce, the one returned again).
    pub fn message_id(&self) -> Option<u64> {
        self.response["id"].as_str().and_then(|id| id.parse().ok())
    }

    /// The shard an IDENTIFY or RESUME named (`[id, total]`); IDENTIFY without one is shard 0 of 1.
    pub fn shard(&self) -> Option<(u32, u32)> {
        let shard = &self.body["shard"];
        match (shard[0].as_u64(), shard[1].as_u64()) {
            (Some(id), Some(total)) => Some((id as u32, total as u32)),
            _ => None,
        }
    }
}

/// Behaviour switches.
#[derive(Debug, Clone, Default)]
pub struct FakeOptions {
    /// Close the gateway with 4014 (disallowed intents) when IDENTIFY asks for message content,
    /// as Discord does when the intent is not enabled in the developer portal.
    pub message_content_disallowed: bool,
    /// How many shards the bot must use (recommended by `GET /gateway/bot`, checked at IDENTIFY);
    /// 0 means 1.
    pub shards: u32,
    /// Also serve REST over TLS, as `discord.com` (see [`FakeDiscord::discord_client`]).
    pub tls: bool,
    /// Discord's per-channel bucket for sending messages: at most this many per window per
    /// channel, with `X-RateLimit-*` headers on every answer and a 429 past the limit. `None`: no
    /// limit and no headers.
    pub channel_message_limit: Option<(u32, Duration)>,
    /// The heartbeat interval HELLO announces, in milliseconds (default 1000). Paused-time tests
    /// that let days pass set it high, so the clock is not stepped through a heartbeat a second.
    pub heartbeat_interval_ms: Option<u64>,
}

impl FakeOptions {
    fn total_shards(&self) -> u32 {
        self.shards.max(1)
    }
}

/// Something to do to a REST request instead of (or besides) answering it at once.
#[derive(Debug, Clone)]
pub enum Fault {
    /// Answer 429 with `Retry-After`, `X-RateLimit-*` and Discord's JSON body; `global` marks the
    /// global limit (`X-RateLimit-Global`, scope `global`) rather than the route's.
    RateLimited { retry_after: Duration, global: bool },
    /// Answer with this status (500, 502, 503…) and do nothing.
    Status(u16),
    /// Do what was asked (a message is made), then answer only after this long: a client with a
    /// shorter timeout gives up on a request that did take effect.
    SlowAnswer(Duration),
    /// Do what was asked, then answer only once released ([`Release`]); never, if it is not.
    HoldAnswer(watch::Receiver<bool>),
}

/// Releases the answers held by [`FakeDiscord::hold`].
pub struct Release(watch::Sender<bool>);

impl Release {
    pub fn release(&self) {
        self.0.send_replace(true);
    }
}

type RequestPredicate = Box<dyn Fn(&str, &str) -> bool + Send + Sync>;

struct FaultRule {
    matches: RequestPredicate,
    fault: Fault,
    remaining: u32,
}

/// What a test can do to a live gateway connection.
#[derive(Debug, Clone, Copy)]
enum Control {
    /// End the TCP connection without a close frame (the client reports 1006).
    Drop,
    /// Send a close frame with this code.
    Close(u16),
    /// Send op 9 (not resumable) and forget the session.
    InvalidateSession,
}

/// A gateway session, kept across connections for RESUME.
struct Session {
    shard: u32,
    intents: u64,
    seq: u64,
    /// Every dispatch frame sent in this session, by sequence number.
    sent: Vec<(u64, String)>,
    valid: bool,
}

type Dispatch = (String, Value);

/// Dispatches waiting for a shard's session.
struct ShardQueue {
    tx: mpsc::UnboundedSender<Dispatch>,
    rx: tokio::sync::Mutex<mpsc::UnboundedReceiver<Dispatch>>,
}

struct Shared {
    options: FakeOptions,
    requests: Mutex<Vec<Recorded>>,
    version: watch::Sender<u64>,
    queues: Vec<ShardQueue>,
    sessions: Mutex<HashMap<String, Session>>,
    controls: Mutex<HashMap<u32, mpsc::UnboundedSender<Control>>>,
    intents: AtomicU64,
    next_id: AtomicU64,
    answered: Mutex<HashSet<String>>,
    /// Messages made with `enforce_nonce`, by (channel, nonce): what a repeat gets back.
    nonces: Mutex<HashMap<(u64, String), Value>>,
    /// Channels whose next message is created but never answered (the sender sees a hang).
    stall: Mutex<HashSet<u64>>,
    /// Recent channel message times per channel, for the rate-limit bucket.
    buckets: Mutex<HashMap<u64, VecDeque<Instant>>>,
    faults: Mutex<Vec<FaultRule>>,
    /// How long the next IDENTIFY waits for its READY.
    ready_delay: Mutex<Option<Duration>>,
    /// When each dispatch was written to the socket, by event name.
    sent: Mutex<Vec<(String, Instant)>>,
    /// When each dispatch was first written, by the `id` in its data (messages, interactions).
    sent_ids: Mutex<HashMap<String, Instant>>,
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

    /// The first matching fault with uses left, used once.
    fn take_fault(&self, method: &str, path: &str) -> Option<Fault> {
        let mut faults = self.faults.lock().unwrap();
        let rule = faults
            .iter_mut()
            .find(|r| r.remaining > 0 && (r.matches)(method, path))?;
        rule.remaining -= 1;
        Some(rule.fault.clone())
    }

    /// The shard a dispatch goes to: its guild's (`guild_id`, or `id` for guild events), DMs 0.
    fn shard_of(&self, event: &str, data: &Value) -> u32 {
        let guild = match event {
            "GUILD_CREATE" | "GUILD_UPDATE" | "GUILD_DELETE" => &data["id"],
            _ => &data["guild_id"],
        };
        let total = u64::from(self.options.total_shards());
        guild
            .as_str()
            .and_then(|g| g.parse::<u64>().ok())
            .map_or(0, |g| ((g >> 22) % total) as u32)
    }
}

/// A running fake Discord. Dropping it stops its tasks.
pub struct FakeDiscord {
    shared: Arc<Shared>,
    rest: SocketAddr,
    tls: Option<(SocketAddr, String)>,
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
        let queues = (0..options.total_shards())
            .map(|_| {
                let (tx, rx) = mpsc::unbounded_channel();
                ShardQueue {
                    tx,
                    rx: tokio::sync::Mutex::new(rx),
                }
            })
            .collect();
        let tls = options.tls;
        let shared = Arc::new(Shared {
            options,
            requests: Mutex::new(Vec::new()),
            version: watch::channel(0).0,
            queues,
            sessions: Mutex::new(HashMap::new()),
            controls: Mutex::new(HashMap::new()),
            intents: AtomicU64::new(0),
            next_id: AtomicU64::new(1_100_000_000_000_000_000),
            answered: Mutex::new(HashSet::new()),
            nonces: Mutex::new(HashMap::new()),
            buckets: Mutex::new(HashMap::new()),
            faults: Mutex::new(Vec::new()),
            ready_delay: Mutex::new(None),
            stall: Mutex::new(HashSet::new()),
            sent: Mutex::new(Vec::new()),
            sent_ids: Mutex::new(HashMap::new()),
            gateway_url: format!("ws://{gateway}"),
        });
        let mut tasks = vec![
            tokio::spawn(accept_rest(rest_listener, Arc::clone(&shared))),
            tokio::spawn(accept_gateway(gateway_listener, Arc::clone(&shared))),
        ];
        let tls = if tls {
            let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
            let addr = listener.local_addr().unwrap();
            let (acceptor, ca_pem) = tls::acceptor();
            tasks.push(tokio::spawn(accept_tls(
                listener,
                acceptor,
                Arc::clone(&shared),
            )));
            Some((addr, ca_pem))
        } else {
            None
        };
        FakeDiscord {
            shared,
            rest,
            tls,
            tasks,
        }
    }

    /// The base URL to give the bot as `discord.api_base`.
    pub fn api_base(&self) -> String {
        format!("http://{}", self.rest)
    }

    /// An HTTP client that reaches this fake as `https://discord.com` (resolved to its TLS
    /// listener, trusting its throwaway CA, nothing else changed): handed to the bot without an
    /// `api_base`, serenity runs exactly as against Discord, ratelimiter included. Needs
    /// [`FakeOptions::tls`].
    pub fn discord_client(&self, timeout: Duration) -> reqwest::Client {
        let (addr, ca_pem) = self
            .tls
            .as_ref()
            .expect("the fake was started with FakeOptions { tls: true, .. }");
        let ca = reqwest::Certificate::from_pem(ca_pem.as_bytes()).expect("the fake's CA");
        reqwest::Client::builder()
            .use_rustls_tls()
            .add_root_certificate(ca)
            .resolve("discord.com", *addr)
            .timeout(timeout)
            .build()
            .expect("a client for the fake")
    }

    /// Queues a gateway dispatch (op 0) for its guild's shard (DMs: shard 0). It is sent once
    /// that shard's session is identified, filtered by the session's intents like Discord does.
    pub fn push_dispatch(&self, event: &str, data: Value) {
        let shard = self.shared.shard_of(event, &data) as usize;
        self.shared.queues[shard]
            .tx
            .send((event.to_string(), data))
            .expect("the fake's dispatch queue is open while the fake lives");
    }

    /// From now on, the next `times` REST requests for which `matches(method, path)` holds (path
    /// without `/api/v10`) get `fault`.
    pub fn inject(
        &self,
        times: u32,
        fault: Fault,
        matches: impl Fn(&str, &str) -> bool + Send + Sync + 'static,
    ) {
        self.shared.faults.lock().unwrap().push(FaultRule {
            matches: Box::new(matches),
            fault,
            remaining: times,
        });
    }

    /// Holds the answer to the next `times` matching requests (after doing what they ask) until
    /// the returned [`Release`] is released.
    pub fn hold(
        &self,
        times: u32,
        matches: impl Fn(&str, &str) -> bool + Send + Sync + 'static,
    ) -> Release {
        let (tx, rx) = watch::channel(false);
        self.inject(times, Fault::HoldAnswer(rx), matches);
        Release(tx)
    }

    /// Ends the live connection of `shard` without a close frame (a dropped connection: the
    /// client sees 1006). Returns whether there was one.
    pub fn drop_connection(&self, shard: u32) -> bool {
        self.control(shard, Control::Drop)
    }

    /// Closes the live connection of `shard` with a close frame of `code` (4000: unknown error,
    /// resumable). Returns whether there was one.
    pub fn close_connection(&self, shard: u32, code: u16) -> bool {
        self.control(shard, Control::Close(code))
    }

    /// Sends op 9 INVALID_SESSION (not resumable) on the live connection of `shard` and forgets
    /// its session. Returns whether there was one.
    pub fn invalidate_session(&self, shard: u32) -> bool {
        self.control(shard, Control::InvalidateSession)
    }

    /// Makes the next IDENTIFY wait this long for its READY (the shard stays "identifying").
    pub fn delay_next_ready(&self, delay: Duration) {
        *self.shared.ready_delay.lock().unwrap() = Some(delay);
    }

    fn control(&self, shard: u32, control: Control) -> bool {
        let controls = self.shared.controls.lock().unwrap();
        controls
            .get(&shard)
            .is_some_and(|tx| tx.send(control).is_ok())
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

    /// The requests recorded after the first `start` (copies only those: cheap to poll).
    pub fn requests_from(&self, start: usize) -> Vec<Recorded> {
        let requests = self.shared.requests.lock().unwrap();
        requests.get(start..).unwrap_or_default().to_vec()
    }

    /// The requests matching `pred`.
    pub fn matching(&self, pred: impl Fn(&Recorded) -> bool) -> Vec<Recorded> {
        self.shared
            .requests
            .lock()
            .unwrap()
            .iter()
            .filter(|r| pred(r))
            .cloned()
            .collect()
    }

    /// How many recorded requests match `pred` (without copying them).
    pub fn count(&self, pred: impl Fn(&Recorded) -> bool) -> usize {
        self.shared
            .requests
            .lock()
            .unwrap()
            .iter()
            .filter(|r| pred(r))
            .count()
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

    /// When the dispatch whose data has this `id` (a message, an interaction) was first written
    /// to a gateway socket.
    pub fn sent_at(&self, id: &str) -> Option<Instant> {
        self.shared.sent_ids.lock().unwrap().get(id).copied()
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

    /// Waits until `n` sessions have identified as the given shards (in any order) since `after`
    /// (a [`Self::mark`]).
    pub async fn wait_for_shards(&self, after: usize, shards: &[u32], timeout: Duration) {
        let wanted: HashSet<u32> = shards.iter().copied().collect();
        self.expect_requests_after(
            after,
            "IDENTIFY of the shards",
            shards.len(),
            |r| r.is("WS", "IDENTIFY") && r.shard().is_some_and(|(id, _)| wanted.contains(&id)),
            timeout,
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

// ---------------------------------------------------------------- TLS

/// A throwaway CA and a `discord.com` certificate it signed, made at start; trusted only by the
/// clients [`FakeDiscord::discord_client`] builds.
mod tls {
    use std::sync::Arc;
    use tokio_rustls::rustls;
    use tokio_rustls::rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};
    use tokio_rustls::TlsAcceptor;

    /// The acceptor, and the CA certificate as PEM.
    pub fn acceptor() -> (TlsAcceptor, String) {
        let ca_key = rcgen::KeyPair::generate().expect("a CA key");
        let mut ca = rcgen::CertificateParams::new(Vec::<String>::new()).expect("CA parameters");
        ca.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        ca.distinguished_name
            .push(rcgen::DnType::CommonName, "hingebot fake Discord test CA");
        let ca = ca.self_signed(&ca_key).expect("a self-signed CA");
        let key = rcgen::KeyPair::generate().expect("a server key");
        let leaf = rcgen::CertificateParams::new(vec!["discord.com".to_string()])
            .expect("server parameters")
            .signed_by(&key, &ca, &ca_key)
            .expect("a server certificate");
        let config = rustls::ServerConfig::builder()
            .with_no_client_auth()
            .with_single_cert(
                vec![leaf.der().clone()],
                PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
            )
            .expect("a TLS server configuration");
        (TlsAcceptor::from(Arc::new(config)), ca.pem())
    }
}

async fn accept_tls(
    listener: TcpListener,
    acceptor: tokio_rustls::TlsAcceptor,
    shared: Arc<Shared>,
) {
    while let Ok((stream, _)) = listener.accept().await {
        let _ = stream.set_nodelay(true);
        let acceptor = acceptor.clone();
        let shared = Arc::clone(&shared);
        tokio::spawn(async move {
            if let Ok(stream) = acceptor.accept(stream).await {
                serve_http(stream, shared).await;
            }
        });
    }
}

// ---------------------------------------------------------------- REST

async fn accept_rest(listener: TcpListener, shared: Arc<Shared>) {
    while let Ok((stream, _)) = listener.accept().await {
        let _ = stream.set_nodelay(true);
        tokio::spawn(serve_http(stream, Arc::clone(&shared)));
    }
}

/// An answer: status, JSON (`Null` for 204) and extra headers.
struct Answer {
    status: u16,
    body: Value,
    headers: Vec<(&'static str, String)>,
}

impl Answer {
    fn json(status: u16, body: Value) -> Answer {
        Answer {
            status,
            body,
            headers: Vec::new(),
        }
    }
}

/// Serves one keep-alive HTTP/1.1 connection: Content-Length or chunked bodies, JSON answers.
async fn serve_http<S>(stream: S, shared: Arc<Shared>)
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let (read, mut write) = tokio::io::split(stream);
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
        let fault = shared.take_fault(&method, &path);
        let answer = match &fault {
            Some(Fault::RateLimited {
                retry_after,
                global,
            }) => rate_limited(*retry_after, *global),
            Some(Fault::Status(status)) => Answer::json(
                *status,
                json!({"message": format!("{status}: fake server error"), "code": 0}),
            ),
            _ => route(&shared, &method, &path, &body),
        };
        let stalled = answer.status == 200
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
            status: answer.status,
            response: answer.body.clone(),
            at: Instant::now(),
            files,
        });
        match fault {
            Some(Fault::SlowAnswer(delay)) => tokio::time::sleep(delay).await,
            Some(Fault::HoldAnswer(mut released)) => {
                let _ = released.wait_for(|r| *r).await;
            }
            _ => {}
        }
        if stalled {
            // Created, never answered: the client waits until it gives up.
            std::future::pending::<()>().await;
        }
        if write.write_all(&http_response(&answer)).await.is_err() || close {
            return;
        }
    }
}

fn http_response(answer: &Answer) -> Vec<u8> {
    let reason = match answer.status {
        200 => "OK",
        204 => "No Content",
        400 => "Bad Request",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        _ => "Not Found",
    };
    let mut head = format!("HTTP/1.1 {} {reason}\r\n", answer.status);
    for (name, value) in &answer.headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    if answer.status == 204 {
        head.push_str("\r\n");
        return head.into_bytes();
    }
    let text = answer.body.to_string();
    head.push_str(&format!(
        "content-type: application/json\r\ncontent-length: {}\r\n\r\n{text}",
        text.len()
    ));
    head.into_bytes()
}

/// Discord's 429: `Retry-After` in whole seconds, the precise wait in the body and
/// `X-RateLimit-Reset-After`, the scope, and for the global limit `X-RateLimit-Global`.
fn rate_limited(retry_after: Duration, global: bool) -> Answer {
    let seconds = retry_after.as_secs_f64();
    let mut headers = vec![
        ("retry-after", format!("{}", seconds.ceil() as u64)),
        (
            "x-ratelimit-scope",
            if global { "global" } else { "user" }.to_string(),
        ),
    ];
    if global {
        headers.push(("x-ratelimit-global", "true".to_string()));
    } else {
        headers.extend([
            ("x-ratelimit-limit", "5".to_string()),
            ("x-ratelimit-remaining", "0".to_string()),
            ("x-ratelimit-reset-after", format!("{seconds:.3}")),
            ("x-ratelimit-bucket", "fake-bucket".to_string()),
        ]);
    }
    Answer {
        status: 429,
        body: json!({"message": "You are being rate limited.", "retry_after": seconds, "global": global}),
        headers,
    }
}

/// The per-channel message bucket: `None` when the limit allows this message now (with the
/// headers to send), else the 429.
fn channel_bucket(shared: &Shared, channel: u64) -> Result<Vec<(&'static str, String)>, Answer> {
    let Some((limit, window)) = shared.options.channel_message_limit else {
        return Ok(Vec::new());
    };
    let now = Instant::now();
    let mut buckets = shared.buckets.lock().unwrap();
    let times = buckets.entry(channel).or_default();
    while times
        .front()
        .is_some_and(|t| now.duration_since(*t) >= window)
    {
        times.pop_front();
    }
    let reset_after = |times: &VecDeque<Instant>| {
        times.front().map_or(window, |first| {
            window.saturating_sub(now.duration_since(*first))
        })
    };
    if times.len() >= limit as usize {
        return Err(rate_limited(reset_after(times), false));
    }
    times.push_back(now);
    Ok(vec![
        ("x-ratelimit-limit", limit.to_string()),
        (
            "x-ratelimit-remaining",
            (limit as usize - times.len()).to_string(),
        ),
        (
            "x-ratelimit-reset-after",
            format!("{:.3}", reset_after(times).as_secs_f64()),
        ),
        ("x-ratelimit-bucket", format!("channel-messages-{channel}")),
    ])
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

fn route(shared: &Shared, method: &str, path: &str, body: &Value) -> Answer {
    let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    match (method, segments.as_slice()) {
        ("GET", ["gateway"]) => Answer::json(200, json!({ "url": shared.gateway_url })),
        ("GET", ["gateway", "bot"]) => Answer::json(
            200,
            json!({
                "url": shared.gateway_url,
                "shards": shared.options.total_shards(),
                "session_start_limit": {"total": 1000, "remaining": 1000, "reset_after": 0, "max_concurrency": 1}
            }),
        ),
        ("GET", ["oauth2", "applications", "@me"]) => Answer::json(
            200,
            json!({
                "id": APP_ID.to_string(), "name": "hingebot", "icon": null, "description": "",
                "bot_public": false, "bot_require_code_grant": false, "verify_key": "00",
                "owner": payload::user(OWNER_ID, "owner", false), "team": null, "flags": 0
            }),
        ),
        ("GET", ["users", "@me"]) => Answer::json(200, payload::bot_user()),
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
            Answer::json(200, Value::Array(echoed))
        }
        ("POST", ["channels", channel, "messages"]) => {
            let channel: u64 = channel.parse().unwrap_or(0);
            let headers = match channel_bucket(shared, channel) {
                Ok(headers) => headers,
                Err(limited) => return limited,
            };
            let nonce = body["nonce"]
                .as_str()
                .map(str::to_string)
                .or_else(|| body["nonce"].as_u64().map(|n| n.to_string()));
            let enforced = body["enforce_nonce"] == json!(true);
            let mut nonces = shared.nonces.lock().unwrap();
            if let (Some(nonce), true) = (&nonce, enforced) {
                if let Some(first) = nonces.get(&(channel, nonce.clone())) {
                    return Answer {
                        status: 200,
                        body: first.clone(),
                        headers,
                    };
                }
            }
            let mut message = payload::sent_message(shared.id(), channel, body);
            message["nonce"] = json!(nonce);
            if let (Some(nonce), true) = (nonce, enforced) {
                nonces.insert((channel, nonce), message.clone());
            }
            Answer {
                status: 200,
                body: message,
                headers,
            }
        }
        ("POST", ["interactions", id, _token, "callback"]) => {
            if shared.answered.lock().unwrap().insert(id.to_string()) {
                Answer::json(204, Value::Null)
            } else {
                Answer::json(
                    400,
                    json!({"code": 40060, "message": "Interaction has already been acknowledged."}),
                )
            }
        }
        ("GET" | "PATCH", ["webhooks", _, _, "messages", _]) | ("POST", ["webhooks", _, _]) => {
            Answer::json(200, payload::sent_message(shared.id(), 0, body))
        }
        _ => Answer::json(404, json!({"code": 0, "message": "404: Not Found"})),
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

fn close(code: u16, reason: &str) -> WsMessage {
    WsMessage::Close(Some(CloseFrame {
        code: CloseCode::from(code),
        reason: reason.to_string().into(),
    }))
}

/// Sends a dispatch in a session: the next sequence number, kept for a RESUME.
fn dispatch_frame(shared: &Shared, session_id: &str, event: &str, data: &Value) -> Option<String> {
    let mut sessions = shared.sessions.lock().unwrap();
    let session = sessions.get_mut(session_id)?;
    session.seq += 1;
    let frame = json!({"op": 0, "t": event, "s": session.seq, "d": data}).to_string();
    session.sent.push((session.seq, frame.clone()));
    Some(frame)
}

/// One gateway connection: HELLO; IDENTIFY → READY, or RESUME → the missed dispatches and
/// RESUMED; then heartbeat acks and the shard's queued dispatches until the connection ends.
async fn serve_gateway(stream: TcpStream, shared: Arc<Shared>) {
    let Ok(ws) = tokio_tungstenite::accept_async(stream).await else {
        return;
    };
    let (mut sink, mut source) = ws.split();
    // Registered for the shard before READY or RESUMED goes out: from then on a test may act on it.
    let (control_tx, mut controls) = mpsc::unbounded_channel();
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
    // Phase 1: until IDENTIFY or a RESUME of a live session.
    let (session_id, shard, intents) = loop {
        let Some(Ok(msg)) = source.next().await else {
            return;
        };
        let WsMessage::Text(text) = msg else { continue };
        let Ok(v) = serde_json::from_str::<Value>(&text) else {
            continue;
        };
        match v["op"].as_u64() {
            Some(1) if sink.send(op(11, Value::Null)).await.is_err() => return,
            Some(1) => {}
            Some(2) => match identify(&shared, v["d"].clone(), &mut sink, &control_tx).await {
                Some(session) => break session,
                None => return,
            },
            Some(6) => {
                let d = &v["d"];
                shared.record(Recorded {
                    method: "WS".into(),
                    path: "RESUME".into(),
                    body: d.clone(),
                    status: 0,
                    response: Value::Null,
                    at: Instant::now(),
                    files: Vec::new(),
                });
                let session_id = d["session_id"].as_str().unwrap_or("").to_string();
                let after = d["seq"].as_u64().unwrap_or(0);
                let missed = {
                    let sessions = shared.sessions.lock().unwrap();
                    sessions.get(&session_id).filter(|s| s.valid).map(|s| {
                        let frames: Vec<String> = s
                            .sent
                            .iter()
                            .filter(|(seq, _)| *seq > after)
                            .map(|(_, f)| f.clone())
                            .collect();
                        (s.shard, s.intents, frames)
                    })
                };
                let Some((shard, intents, frames)) = missed else {
                    // Unknown or invalidated: not resumable, IDENTIFY again.
                    if sink.send(op(9, json!(false))).await.is_err() {
                        return;
                    }
                    continue;
                };
                shared
                    .controls
                    .lock()
                    .unwrap()
                    .insert(shard, control_tx.clone());
                for frame in frames {
                    if sink.send(WsMessage::Text(frame)).await.is_err() {
                        return;
                    }
                }
                let Some(resumed) = dispatch_frame(&shared, &session_id, "RESUMED", &json!({}))
                else {
                    return;
                };
                if sink.send(WsMessage::Text(resumed)).await.is_err() {
                    return;
                }
                break (session_id, shard, intents);
            }
            _ => {}
        }
    };
    // Phase 2: dispatches, heartbeats and test controls. One connection per shard reads its queue.
    drop(control_tx);
    let mut queue = shared.queues[shard as usize].rx.lock().await;
    // After INVALID_SESSION Discord sends nothing more on the connection; queued dispatches wait
    // for the next session.
    let mut invalidated = false;
    loop {
        // Test controls first: what a test did before queueing a dispatch happens before it.
        tokio::select! {
            biased;
            control = controls.recv() => {
                match control {
                    Some(Control::Drop) | None => return,
                    Some(Control::Close(code)) => {
                        let _ = sink.send(close(code, "Unknown error.")).await;
                        return;
                    }
                    Some(Control::InvalidateSession) => {
                        if let Some(s) = shared.sessions.lock().unwrap().get_mut(&session_id) {
                            s.valid = false;
                        }
                        if sink.send(op(9, json!(false))).await.is_err() {
                            return;
                        }
                        invalidated = true;
                    }
                }
            }
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
            next = queue.recv(), if !invalidated => {
                let Some((event, data)) = next else { return };
                let Some(data) = withhold(&event, data, intents) else { continue };
                let Some(frame) = dispatch_frame(&shared, &session_id, &event, &data) else {
                    return;
                };
                if sink.send(WsMessage::Text(frame)).await.is_err() {
                    return;
                }
                let now = Instant::now();
                if let Some(id) = data["id"].as_str() {
                    shared.sent_ids.lock().unwrap().entry(id.to_string()).or_insert(now);
                }
                shared.sent.lock().unwrap().push((event, now));
            }
        }
    }
}

/// Handles an IDENTIFY: checks the shard, records it, answers READY and starts a session.
/// `None` when the connection was closed instead.
async fn identify<S>(
    shared: &Shared,
    identify: Value,
    sink: &mut S,
    control: &mpsc::UnboundedSender<Control>,
) -> Option<(String, u32, u64)>
where
    S: futures_util::Sink<WsMessage> + Unpin,
{
    let intents = identify["intents"].as_u64().unwrap_or(0);
    shared.intents.store(intents, Ordering::SeqCst);
    let (shard, total) = match (identify["shard"][0].as_u64(), identify["shard"][1].as_u64()) {
        (Some(id), Some(total)) => (id as u32, total as u32),
        _ => (0, 1),
    };
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
        let _ = sink.send(close(4014, "Disallowed intent(s).")).await;
        return None;
    }
    if total != shared.options.total_shards() || shard >= total {
        let _ = sink.send(close(4010, "Invalid shard.")).await;
        return None;
    }
    let session_id = format!("session-{}", shared.id());
    shared.sessions.lock().unwrap().insert(
        session_id.clone(),
        Session {
            shard,
            intents,
            seq: 0,
            sent: Vec::new(),
            valid: true,
        },
    );
    let ready = json!({
        "v": 10,
        "user": payload::bot_user(),
        "guilds": [],
        "session_id": session_id,
        "resume_gateway_url": shared.gateway_url,
        "shard": [shard, total],
        "application": {"id": APP_ID.to_string(), "flags": 0}
    });
    shared
        .controls
        .lock()
        .unwrap()
        .insert(shard, control.clone());
    let delay = shared.ready_delay.lock().unwrap().take();
    if let Some(delay) = delay {
        tokio::time::sleep(delay).await;
    }
    let frame = dispatch_frame(shared, &session_id, "READY", &ready)?;
    sink.send(WsMessage::Text(frame)).await.ok()?;
    Some((session_id, shard, intents))
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
