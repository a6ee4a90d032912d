//! `GET /healthz` (config `health_addr`) of a running bot: 200 with the shards connected, the
//! database reachable and the tip scheduler ticking; 503 naming what is wrong while a shard is
//! reconnecting or the database is unreachable; back to 200 after.

mod support;

use serde_json::Value;
use std::net::SocketAddr;
use std::time::Duration;
use support::db_proxy::{server_of, DbProxy};
use support::process::{SharedDb, POSTGRES_URL_ENV};
use support::*;

/// A port nothing listens on right now.
fn free_addr() -> SocketAddr {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap()
}

async fn health(addr: SocketAddr, path: &str) -> (u16, Value) {
    let response = reqwest::get(format!("http://{addr}{path}"))
        .await
        .expect("the health endpoint answers");
    let status = response.status().as_u16();
    let text = response.text().await.unwrap_or_default();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

/// Polls until the endpoint answers `status`; returns that report.
async fn until_status(addr: SocketAddr, status: u16, within: Duration) -> Value {
    let deadline = tokio::time::Instant::now() + within;
    loop {
        let (got, report) = health(addr, "/healthz").await;
        if got == status {
            return report;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "no {status} within {within:?}; last: {got} {report}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn healthz_reports_shards_database_and_tips_and_turns_503_while_a_shard_reconnects() {
    within(Duration::from_secs(60), async {
        let fake = FakeDiscord::start().await;
        let (_dir, db) = temp_db();
        let addr = free_addr();
        let config = hingebot::config::Config {
            health_addr: Some(addr),
            ..config(&fake, &db, settings())
        };
        let bot = RunningBot::start_with_config(&fake, config).await;

        let report = until_status(addr, 200, TIMEOUT).await;
        assert_eq!(report["status"], "ok");
        assert_eq!(report["shards"]["connected"], 1);
        assert_eq!(report["shards"]["list"][0]["stage"], "connected");
        assert_eq!(report["database"]["backend"], "sqlite");
        assert_eq!(report["database"]["reachable"], true);
        assert!(
            report["tips"]["seconds_ago"].as_i64().unwrap() < 60,
            "{report}"
        );
        assert!(report["tips"]["last_tick"].is_string(), "{report}");

        // After INVALID_SESSION the shard identifies again, and Discord is slow to answer: not
        // healthy meanwhile.
        fake.delay_next_ready(Duration::from_secs(3));
        assert!(fake.invalidate_session(0));
        let report = until_status(addr, 503, Duration::from_secs(10)).await;
        assert_eq!(report["status"], "unhealthy");
        assert_eq!(report["shards"]["connected"], 0, "{report}");
        assert_eq!(report["database"]["reachable"], true);
        until_status(addr, 200, Duration::from_secs(20)).await;

        let (status, _) = health(addr, "/metrics").await;
        assert_eq!(status, 404);
        bot.stop().await.unwrap();
        assert!(
            tokio::net::TcpStream::connect(addr).await.is_err(),
            "the endpoint stops with the bot"
        );
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn healthz_says_the_database_is_unreachable_with_503_and_recovers() {
    if std::env::var(POSTGRES_URL_ENV).map_or(true, |v| v.trim().is_empty()) {
        // The SQLite variant above covers the rest; CI always has the server.
        assert!(
            std::env::var("CI").map_or(true, |v| v.is_empty() || v == "0" || v == "false"),
            "{POSTGRES_URL_ENV} is not set, but CI is: run the tests through scripts/test-postgres"
        );
        eprintln!("skipped: healthz with PostgreSQL down (set {POSTGRES_URL_ENV} or run scripts/test-postgres)");
        return;
    }
    within(Duration::from_secs(60), async {
        let fake = FakeDiscord::start().await;
        let db = SharedDb::new().await;
        let proxy = DbProxy::start(server_of(&db.url)).await;
        let addr = free_addr();
        let config = hingebot::config::Config {
            health_addr: Some(addr),
            database: Some(proxy.url_for(&db.url).into()),
            ..config(&fake, std::path::Path::new("unused"), settings())
        };
        let bot = RunningBot::start_with_config(&fake, config).await;
        let report = until_status(addr, 200, TIMEOUT).await;
        assert_eq!(report["database"]["backend"], "postgres");

        proxy.down();
        let report = until_status(addr, 503, TIMEOUT).await;
        assert_eq!(report["database"]["reachable"], false);
        let error = report["database"]["error"].as_str().unwrap();
        assert!(!error.is_empty());
        assert!(
            !error.contains(&password(&db.url)),
            "no password in {error}"
        );
        assert_eq!(report["shards"]["connected"], 1, "the gateway is fine");

        proxy.up().await;
        until_status(addr, 200, TIMEOUT).await;
        bot.stop().await.unwrap();
        db.remove().await;
    })
    .await;
}

/// The password part of a `postgres://user:password@…` URL.
fn password(url: &str) -> String {
    let rest = url.split_once("://").unwrap().1;
    let userinfo = &rest[..rest.rfind('@').unwrap()];
    userinfo.split_once(':').unwrap().1.to_string()
}
