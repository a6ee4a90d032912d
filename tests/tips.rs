//! Daily tips as a specification: when each post goes out (time zones, daylight saving, weekends),
//! which tip it carries (per-channel rotation without repeats), and that the scheduler posts
//! exactly once per channel and local day across restarts, failures and late starts.

use hingebot::daily_tips::{
    Clock, PostError, PostOutcome, SchedulerOptions, TipPost, TipPoster, TipScheduler, TokioClock,
};
use hingebot::knowledge::Tip;
use hingebot::store::{tip_post_nonce, ClaimOutcome, LeaseOwner, Store, TipClaimRequest};
use hingebot::tips::rotation::{cycle_order, record, remaining};
use hingebot::tips::{
    due_now, next_post, next_tip, previous_post, Due, RotationState, TipSchedule,
};
use jiff::civil::Date;
use jiff::{SignedDuration, Timestamp};
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::Notify;

fn at(s: &str) -> Timestamp {
    s.parse()
        .unwrap_or_else(|e| panic!("bad timestamp {s}: {e}"))
}

fn day(s: &str) -> Date {
    s.parse().unwrap_or_else(|e| panic!("bad date {s}: {e}"))
}

fn schedule(time: &str, tz: &str, days: &str) -> TipSchedule {
    TipSchedule::parse(time, tz, days).unwrap()
}

fn tips(n: usize) -> Vec<Tip> {
    (0..n).map(|i| tip(&format!("tip-{i:03}"))).collect()
}

fn tip(id: &str) -> Tip {
    Tip {
        id: id.to_string(),
        text: format!("Text of {id}."),
        entry: "what-is-a-hip-hinge".to_string(),
    }
}

// ---------------------------------------------------------------------------------------------
// When: the pure next-post function
// ---------------------------------------------------------------------------------------------

struct NextPostCase {
    what: &'static str,
    time: &'static str,
    tz: &'static str,
    days: &'static str,
    after: &'static str,
    date: &'static str,
    posts_at: &'static str,
}

const NEXT_POST_CASES: &[NextPostCase] = &[
    NextPostCase {
        what: "New York spring forward: 02:30 does not exist, posts at 03:00 EDT",
        time: "02:30",
        tz: "America/New_York",
        days: "everyday",
        after: "2025-03-09T00:00:00-05:00",
        date: "2025-03-09",
        posts_at: "2025-03-09T03:00:00-04:00",
    },
    NextPostCase {
        what: "New York, the day after spring forward: back to 02:30",
        time: "02:30",
        tz: "America/New_York",
        days: "everyday",
        after: "2025-03-09T03:00:00-04:00",
        date: "2025-03-10",
        posts_at: "2025-03-10T02:30:00-04:00",
    },
    NextPostCase {
        what: "New York fall back: 01:30 happens twice, posts at the first (EDT)",
        time: "01:30",
        tz: "America/New_York",
        days: "everyday",
        after: "2025-11-02T00:00:00-04:00",
        date: "2025-11-02",
        posts_at: "2025-11-02T01:30:00-04:00",
    },
    NextPostCase {
        what: "New York fall back: after the first 01:30, the second one is not another post",
        time: "01:30",
        tz: "America/New_York",
        days: "everyday",
        after: "2025-11-02T01:30:00-04:00",
        date: "2025-11-03",
        posts_at: "2025-11-03T01:30:00-05:00",
    },
    NextPostCase {
        what: "New York fall back: between the two 01:30s, still the next day",
        time: "01:30",
        tz: "America/New_York",
        days: "everyday",
        after: "2025-11-02T01:15:00-05:00",
        date: "2025-11-03",
        posts_at: "2025-11-03T01:30:00-05:00",
    },
    NextPostCase {
        what: "New York: an ordinary 08:30 workday post in winter",
        time: "08:30",
        tz: "America/New_York",
        days: "workdays",
        after: "2025-01-06T00:00:00Z",
        date: "2025-01-06",
        posts_at: "2025-01-06T13:30:00Z",
    },
    NextPostCase {
        what: "London spring forward: 01:30 does not exist, posts at 02:00 BST",
        time: "01:30",
        tz: "Europe/London",
        days: "everyday",
        after: "2025-03-30T00:00:00Z",
        date: "2025-03-30",
        posts_at: "2025-03-30T02:00:00+01:00",
    },
    NextPostCase {
        what: "London fall back: 01:30 happens twice, posts at the first (BST)",
        time: "01:30",
        tz: "Europe/London",
        days: "everyday",
        after: "2025-10-26T00:00:00+01:00",
        date: "2025-10-26",
        posts_at: "2025-10-26T01:30:00+01:00",
    },
    NextPostCase {
        what: "London fall back: after the first 01:30, the next day",
        time: "01:30",
        tz: "Europe/London",
        days: "everyday",
        after: "2025-10-26T01:30:00+01:00",
        date: "2025-10-27",
        posts_at: "2025-10-27T01:30:00+00:00",
    },
    NextPostCase {
        what: "London 08:30 keeps its local time across spring forward (07:30Z, then 07:30Z BST)",
        time: "08:30",
        tz: "Europe/London",
        days: "everyday",
        after: "2025-03-30T00:00:00Z",
        date: "2025-03-30",
        posts_at: "2025-03-30T07:30:00Z",
    },
    NextPostCase {
        what:
            "Lord Howe: a 30-minute spring forward, 02:15 does not exist, posts at 02:30 (+11:00)",
        time: "02:15",
        tz: "Australia/Lord_Howe",
        days: "everyday",
        after: "2025-10-05T00:00:00+10:30",
        date: "2025-10-05",
        posts_at: "2025-10-05T02:30:00+11:00",
    },
    NextPostCase {
        what: "Lord Howe: the 30-minute fall back repeats 01:45, posts at the first (+11:00)",
        time: "01:45",
        tz: "Australia/Lord_Howe",
        days: "everyday",
        after: "2026-04-05T00:00:00+11:00",
        date: "2026-04-05",
        posts_at: "2026-04-05T01:45:00+11:00",
    },
    NextPostCase {
        what: "Lord Howe: after the first 01:45, the next day at +10:30",
        time: "01:45",
        tz: "Australia/Lord_Howe",
        days: "everyday",
        after: "2026-04-05T01:45:00+11:00",
        date: "2026-04-06",
        posts_at: "2026-04-06T01:45:00+10:30",
    },
    NextPostCase {
        what: "Kolkata's +05:30: 08:30 IST is 03:00 UTC",
        time: "08:30",
        tz: "Asia/Kolkata",
        days: "workdays",
        after: "2025-01-06T00:00:00Z",
        date: "2025-01-06",
        posts_at: "2025-01-06T03:00:00Z",
    },
    NextPostCase {
        what: "Kolkata: exactly at post time, the next post is tomorrow (strictly after)",
        time: "08:30",
        tz: "Asia/Kolkata",
        days: "workdays",
        after: "2025-01-06T03:00:00Z",
        date: "2025-01-07",
        posts_at: "2025-01-07T03:00:00Z",
    },
    NextPostCase {
        what: "Kolkata: late evening UTC is already the next local date",
        time: "08:30",
        tz: "Asia/Kolkata",
        days: "everyday",
        after: "2025-01-06T20:00:00Z",
        date: "2025-01-07",
        posts_at: "2025-01-07T08:30:00+05:30",
    },
    NextPostCase {
        what: "midnight: 00:00 belongs to the new date",
        time: "00:00",
        tz: "Europe/Berlin",
        days: "everyday",
        after: "2025-01-06T23:30:00+01:00",
        date: "2025-01-07",
        posts_at: "2025-01-07T00:00:00+01:00",
    },
    NextPostCase {
        what: "midnight: exactly at midnight, the next one is a day later",
        time: "00:00",
        tz: "Europe/Berlin",
        days: "everyday",
        after: "2025-01-07T00:00:00+01:00",
        date: "2025-01-08",
        posts_at: "2025-01-08T00:00:00+01:00",
    },
    NextPostCase {
        what: "midnight on workdays: Friday after midnight waits for Monday's midnight",
        time: "00:00",
        tz: "UTC",
        days: "workdays",
        after: "2025-01-10T00:00:00Z",
        date: "2025-01-13",
        posts_at: "2025-01-13T00:00:00Z",
    },
    NextPostCase {
        what: "leap day: 2028-02-29 gets its post",
        time: "08:30",
        tz: "UTC",
        days: "everyday",
        after: "2028-02-28T09:00:00Z",
        date: "2028-02-29",
        posts_at: "2028-02-29T08:30:00Z",
    },
    NextPostCase {
        what: "leap day is a Tuesday, so a workday",
        time: "08:30",
        tz: "America/New_York",
        days: "workdays",
        after: "2028-02-28T23:00:00Z",
        date: "2028-02-29",
        posts_at: "2028-02-29T08:30:00-05:00",
    },
    NextPostCase {
        what: "after leap day comes March 1st",
        time: "08:30",
        tz: "UTC",
        days: "everyday",
        after: "2028-02-29T08:30:00Z",
        date: "2028-03-01",
        posts_at: "2028-03-01T08:30:00Z",
    },
    NextPostCase {
        what: "workdays: Friday after post time waits for Monday",
        time: "08:30",
        tz: "Europe/Berlin",
        days: "workdays",
        after: "2025-01-10T09:00:00+01:00",
        date: "2025-01-13",
        posts_at: "2025-01-13T08:30:00+01:00",
    },
    NextPostCase {
        what: "workdays: Saturday waits for Monday",
        time: "08:30",
        tz: "Europe/Berlin",
        days: "workdays",
        after: "2025-01-11T12:00:00+01:00",
        date: "2025-01-13",
        posts_at: "2025-01-13T08:30:00+01:00",
    },
    NextPostCase {
        what: "workdays: Friday before post time posts that Friday",
        time: "08:30",
        tz: "Europe/Berlin",
        days: "workdays",
        after: "2025-01-10T08:29:00+01:00",
        date: "2025-01-10",
        posts_at: "2025-01-10T08:30:00+01:00",
    },
    NextPostCase {
        what: "workdays over a weekend with a DST change (Berlin, 30 March 2025)",
        time: "08:30",
        tz: "Europe/Berlin",
        days: "workdays",
        after: "2025-03-28T09:00:00+01:00",
        date: "2025-03-31",
        posts_at: "2025-03-31T08:30:00+02:00",
    },
    NextPostCase {
        what: "an explicit list: Wednesday after post time waits for Friday",
        time: "07:00",
        tz: "Asia/Kolkata",
        days: "mon,wed,fri",
        after: "2025-01-08T07:30:00+05:30",
        date: "2025-01-10",
        posts_at: "2025-01-10T07:00:00+05:30",
    },
];

#[test]
fn next_post_is_the_first_local_post_strictly_after_an_instant() {
    let mut failures = Vec::new();
    for c in NEXT_POST_CASES {
        let s = schedule(c.time, c.tz, c.days);
        let got = next_post(&s, at(c.after)).expect("a next post");
        let want = (day(c.date), at(c.posts_at));
        if (got.date, got.at) != want {
            failures.push(format!(
                "{}: got {} at {}, want {} at {}",
                c.what, got.date, got.at, want.0, want.1
            ));
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

#[test]
fn previous_post_is_the_latest_at_or_before_an_instant() {
    let s = schedule("08:30", "Europe/Berlin", "workdays");
    // Monday morning before the post: the latest was Friday.
    let p = previous_post(&s, at("2025-01-13T08:00:00+01:00")).unwrap();
    assert_eq!(
        (p.date, p.at),
        (day("2025-01-10"), at("2025-01-10T08:30:00+01:00"))
    );
    // Exactly at post time counts.
    let p = previous_post(&s, at("2025-01-13T08:30:00+01:00")).unwrap();
    assert_eq!(p.date, day("2025-01-13"));
}

#[test]
fn a_week_of_posts_never_repeats_the_fall_back_hour() {
    let s = schedule("01:30", "America/New_York", "everyday");
    let mut after = at("2025-10-30T00:00:00Z");
    let mut dates = Vec::new();
    for _ in 0..7 {
        let p = next_post(&s, after).unwrap();
        dates.push(p.date);
        after = p.at;
    }
    let distinct: HashSet<Date> = dates.iter().copied().collect();
    assert_eq!(distinct.len(), 7, "{dates:?}");
    assert_eq!(dates[0], day("2025-10-30"));
    assert_eq!(dates[6], day("2025-11-05"));
}

const GRACE: SignedDuration = SignedDuration::from_hours(2);

#[test]
fn a_post_is_due_on_time_and_late_within_the_grace_window() {
    let s = schedule("08:30", "UTC", "workdays");
    match due_now(
        &s,
        Some(day("2025-01-03")),
        at("2025-01-06T08:30:00Z"),
        GRACE,
    ) {
        Due::Now { post, late_by } => {
            assert_eq!(post.date, day("2025-01-06"));
            assert_eq!(late_by, SignedDuration::ZERO);
        }
        other => panic!("{other:?}"),
    }
    match due_now(
        &s,
        Some(day("2025-01-03")),
        at("2025-01-06T10:30:00Z"),
        GRACE,
    ) {
        Due::Now { late_by, .. } => assert_eq!(late_by, SignedDuration::from_hours(2)),
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_post_past_the_grace_window_is_missed_and_the_next_day_follows() {
    let s = schedule("08:30", "UTC", "workdays");
    match due_now(
        &s,
        Some(day("2025-01-03")),
        at("2025-01-06T10:31:00Z"),
        GRACE,
    ) {
        Due::Missed {
            missed,
            late_by,
            next,
        } => {
            assert_eq!(missed.date, day("2025-01-06"));
            assert_eq!(late_by, SignedDuration::from_mins(121));
            assert_eq!(next.unwrap().at, at("2025-01-07T08:30:00Z"));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_handled_day_is_not_due_again() {
    let s = schedule("08:30", "UTC", "workdays");
    let due = due_now(
        &s,
        Some(day("2025-01-06")),
        at("2025-01-06T08:31:00Z"),
        GRACE,
    );
    assert_eq!(
        due,
        Due::Wait {
            next: next_post(&s, at("2025-01-06T08:31:00Z"))
        }
    );
}

// ---------------------------------------------------------------------------------------------
// Which: per-channel rotation
// ---------------------------------------------------------------------------------------------

/// Posts `days` tips for a channel, persisting the rotation in `store` between days as the
/// scheduler does.
async fn post_days(store: &Store, all: &[Tip], channel: u64, days: usize) -> Vec<String> {
    let mut ids = Vec::new();
    for _ in 0..days {
        let state = store.tip_rotation(channel).await.unwrap();
        let (tip, next) = next_tip(all, channel, &state).unwrap();
        store.save_tip_rotation(channel, &next).await.unwrap();
        ids.push(tip.id.clone());
    }
    ids
}

#[tokio::test]
async fn sixty_tips_give_sixty_distinct_tips_in_sixty_days_per_channel() {
    let store = Store::open_in_memory().await.unwrap();
    let all = tips(60);
    for channel in [1, 2, 1_234_567_890_123_456_789] {
        let ids = post_days(&store, &all, channel, 60).await;
        let distinct: HashSet<&String> = ids.iter().collect();
        assert_eq!(distinct.len(), 60, "channel {channel}");
    }
}

#[test]
fn different_channels_walk_different_orders() {
    let all = tips(60);
    let order = |ch| -> Vec<String> {
        cycle_order(&all, ch, 0)
            .iter()
            .map(|t| t.id.clone())
            .collect()
    };
    assert_ne!(order(1), order(2));
    assert_ne!(
        order(1_100_000_000_000_000_001),
        order(1_100_000_000_000_000_002)
    );
    // Not just rotations of one another: the first tips differ.
    let firsts: HashSet<String> = (0..20).map(|ch| order(ch)[0].clone()).collect();
    assert!(firsts.len() > 10, "{firsts:?}");
}

#[tokio::test]
async fn the_next_cycle_is_a_new_order_without_repeats() {
    let store = Store::open_in_memory().await.unwrap();
    let all = tips(60);
    let first = post_days(&store, &all, 9, 60).await;
    let second = post_days(&store, &all, 9, 60).await;
    assert_eq!(store.tip_rotation(9).await.unwrap().cycle, 1);
    assert_eq!(second.iter().collect::<HashSet<_>>().len(), 60);
    assert_ne!(first, second);
    assert_ne!(first.last(), second.first());
}

#[tokio::test]
async fn rotation_is_stable_across_reloads() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("tips.sqlite3");
    let all = tips(60);
    // One run of 90 days...
    let continuous = post_days(&Store::open_in_memory().await.unwrap(), &all, 77, 90).await;
    // ...equals 90 days with the database closed and reopened every day.
    let mut reloaded = Vec::new();
    for _ in 0..90 {
        let store = Store::open(&path).await.unwrap();
        reloaded.extend(post_days(&store, &all, 77, 1).await);
    }
    assert_eq!(continuous, reloaded);
}

#[tokio::test]
async fn adding_tips_mid_cycle_keeps_no_repeat_and_keeps_the_remaining_order() {
    let store = Store::open_in_memory().await.unwrap();
    let old = tips(60);
    let mut first_half = post_days(&store, &old, 5, 30).await;

    let mut grown = old.clone();
    grown.extend((0..10).map(|i| tip(&format!("new-tip-{i}"))));
    let state = store.tip_rotation(5).await.unwrap();
    assert_eq!(state.cycle, 0, "adding tips must not reset the rotation");
    assert_eq!(remaining(&grown, &state), 40);

    // The old tips still to come keep their order; the new ones are slotted in between.
    let old_still_to_come: Vec<String> = cycle_order(&old, 5, 0)
        .iter()
        .filter(|t| !state.posted.contains(&t.id))
        .map(|t| t.id.clone())
        .collect();
    let rest = post_days(&store, &grown, 5, 40).await;
    let old_in_rest: Vec<String> = rest
        .iter()
        .filter(|id| id.starts_with("tip-"))
        .cloned()
        .collect();
    assert_eq!(old_in_rest, old_still_to_come);

    first_half.extend(rest);
    assert_eq!(first_half.iter().collect::<HashSet<_>>().len(), 70);
    assert_eq!(store.tip_rotation(5).await.unwrap().cycle, 0);
    // Day 71 starts the next cycle.
    post_days(&store, &grown, 5, 1).await;
    assert_eq!(store.tip_rotation(5).await.unwrap().cycle, 1);
}

#[tokio::test]
async fn removed_tips_are_skipped_and_the_cycle_still_ends() {
    let store = Store::open_in_memory().await.unwrap();
    let all = tips(10);
    let posted = post_days(&store, &all, 3, 4).await;
    let kept: Vec<Tip> = all
        .iter()
        .filter(|t| t.id != "tip-009" && t.id != posted[0])
        .cloned()
        .collect();
    let rest = post_days(&store, &kept, 3, 5).await;
    assert!(!rest.contains(&"tip-009".to_string()));
    let mut seen: Vec<&String> = posted.iter().chain(&rest).collect();
    seen.sort();
    seen.dedup();
    assert_eq!(seen.len(), 9);
    assert_eq!(store.tip_rotation(3).await.unwrap().cycle, 0);
    post_days(&store, &kept, 3, 1).await;
    assert_eq!(store.tip_rotation(3).await.unwrap().cycle, 1);
}

#[test]
fn recording_a_tip_is_what_next_tip_does() {
    let all = tips(5);
    let mut state = RotationState::default();
    for _ in 0..12 {
        let (tip, next) = next_tip(&all, 8, &state).unwrap();
        assert_eq!(record(&all, &state, &tip.id), next);
        state = next;
    }
}

// ---------------------------------------------------------------------------------------------
// Exactly once: the scheduler with paused tokio time and a fake poster
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone, PartialEq, Eq)]
struct Posted {
    channel: u64,
    date: Date,
    tip: String,
    at: Timestamp,
}

#[derive(Clone, Copy)]
enum Behaviour {
    /// Every post fails: the channel was deleted.
    Gone,
    /// The next `n` attempts fail transiently.
    FailTimes(u32),
    /// The post of this local date never completes (the bot is killed mid-post).
    HangOn(Date),
}

/// Records posts with the (paused) clock's time; misbehaves per channel on request.
struct FakePoster {
    clock: Arc<dyn Clock>,
    posts: Mutex<Vec<Posted>>,
    attempts: Mutex<Vec<(u64, Date)>>,
    behaviour: Mutex<HashMap<u64, Behaviour>>,
    hanging: Notify,
}

impl FakePoster {
    fn new(clock: Arc<dyn Clock>) -> Arc<FakePoster> {
        Arc::new(FakePoster {
            clock,
            posts: Mutex::default(),
            attempts: Mutex::default(),
            behaviour: Mutex::default(),
            hanging: Notify::new(),
        })
    }

    fn set(&self, channel: u64, b: Option<Behaviour>) {
        let mut map = self.behaviour.lock().unwrap();
        match b {
            Some(b) => map.insert(channel, b),
            None => map.remove(&channel),
        };
    }

    fn posts_to(&self, channel: u64) -> Vec<Posted> {
        let posts = self.posts.lock().unwrap();
        posts
            .iter()
            .filter(|p| p.channel == channel)
            .cloned()
            .collect()
    }

    fn attempts_to(&self, channel: u64) -> Vec<Date> {
        let attempts = self.attempts.lock().unwrap();
        attempts
            .iter()
            .filter(|a| a.0 == channel)
            .map(|a| a.1)
            .collect()
    }
}

impl TipPoster for FakePoster {
    async fn post(&self, post: TipPost) -> Result<PostOutcome, PostError> {
        self.attempts
            .lock()
            .unwrap()
            .push((post.channel_id, post.local_date));
        let behaviour = self
            .behaviour
            .lock()
            .unwrap()
            .get(&post.channel_id)
            .copied();
        match behaviour {
            Some(Behaviour::Gone) => {
                return Err(PostError::ChannelUnavailable(
                    "Unknown Channel (10003)".into(),
                ))
            }
            Some(Behaviour::FailTimes(n)) if n > 0 => {
                self.set(post.channel_id, Some(Behaviour::FailTimes(n - 1)));
                return Err(PostError::Transient("502 Bad Gateway".into()));
            }
            Some(Behaviour::HangOn(d)) if d == post.local_date => {
                self.hanging.notify_one();
                std::future::pending::<()>().await;
            }
            _ => {}
        }
        let mut posts = self.posts.lock().unwrap();
        posts.push(Posted {
            channel: post.channel_id,
            date: post.local_date,
            tip: post.tip.id.clone(),
            at: self.clock.now(),
        });
        Ok(PostOutcome {
            message_id: Some(posts.len() as u64),
        })
    }
}

const BERLIN: u64 = 1_001;
const NEW_YORK: u64 = 2_002;

struct World {
    store: Arc<Store>,
    clock: Arc<dyn Clock>,
    poster: Arc<FakePoster>,
    tips: Vec<Tip>,
}

impl World {
    /// An empty store, 60 tips, and a clock reading `start` that follows tokio's paused clock.
    async fn new(start: &str) -> World {
        let clock: Arc<dyn Clock> = Arc::new(TokioClock::starting_at(at(start)));
        World {
            store: Store::open_in_memory().await.unwrap(),
            poster: FakePoster::new(Arc::clone(&clock)),
            clock,
            tips: tips(60),
        }
    }

    async fn subscribe(&self, channel: u64, time: &str, tz: &str, days: &str, since: &str) {
        self.store
            .upsert_tip_subscription(channel, &schedule(time, tz, days), at(since))
            .await
            .unwrap();
    }

    fn scheduler(&self, options: SchedulerOptions) -> TipScheduler<Arc<FakePoster>> {
        TipScheduler::new(
            Arc::clone(&self.store),
            self.tips.clone(),
            Arc::clone(&self.poster),
            Arc::clone(&self.clock),
            options,
        )
    }

    async fn sleep_until(&self, when: &str) {
        let d = self.clock.now().duration_until(at(when));
        tokio::time::sleep(d.unsigned_abs()).await;
    }

    fn dates_and_instants(&self, channel: u64) -> Vec<(Date, Timestamp)> {
        self.poster
            .posts_to(channel)
            .iter()
            .map(|p| (p.date, p.at))
            .collect()
    }
}

fn expected(rows: &[(&str, &str)]) -> Vec<(Date, Timestamp)> {
    rows.iter().map(|(d, t)| (day(d), at(t))).collect()
}

fn assert_no_repeated_tip(posts: &[Posted]) {
    let distinct: HashSet<&String> = posts.iter().map(|p| &p.tip).collect();
    assert_eq!(distinct.len(), posts.len(), "{posts:#?}");
}

#[tokio::test(start_paused = true)]
async fn two_zones_over_a_week_with_a_restart_mid_post_post_exactly_once_per_due_day() {
    let w = World::new("2025-03-27T00:00:00Z").await;
    w.subscribe(
        BERLIN,
        "08:30",
        "Europe/Berlin",
        "workdays",
        "2025-03-26T12:00:00Z",
    )
    .await;
    w.subscribe(
        NEW_YORK,
        "07:00",
        "America/New_York",
        "everyday",
        "2025-03-26T12:00:00Z",
    )
    .await;
    // Saturday's New York post is in flight when the bot is killed.
    w.poster
        .set(NEW_YORK, Some(Behaviour::HangOn(day("2025-03-29"))));

    let first_run = w.scheduler(SchedulerOptions::default()).spawn();
    w.poster.hanging.notified().await;
    assert_eq!(w.clock.now(), at("2025-03-29T11:00:00Z"));
    first_run.abort();
    assert!(first_run.await.unwrap_err().is_cancelled());

    // Claimed, not sent.
    let pending = w.store.unsent_tip_claims().await.unwrap();
    assert_eq!(pending.len(), 1);
    assert_eq!(
        (pending[0].channel_id, pending[0].local_date),
        (NEW_YORK, day("2025-03-29"))
    );

    // The bot comes back 20 minutes later and finishes the week.
    w.poster.set(NEW_YORK, None);
    w.sleep_until("2025-03-29T11:20:00Z").await;
    let second_run = w.scheduler(SchedulerOptions::default());
    let handle = second_run.handle();
    let second_run = second_run.spawn();
    w.sleep_until("2025-04-03T00:00:00Z").await;
    handle.shutdown();
    second_run.await.unwrap();

    // Berlin: workdays only, 08:30 local, across the switch to summer time on Sunday 30 March.
    assert_eq!(
        w.dates_and_instants(BERLIN),
        expected(&[
            ("2025-03-27", "2025-03-27T08:30:00+01:00"),
            ("2025-03-28", "2025-03-28T08:30:00+01:00"),
            ("2025-03-31", "2025-03-31T08:30:00+02:00"),
            ("2025-04-01", "2025-04-01T08:30:00+02:00"),
            ("2025-04-02", "2025-04-02T08:30:00+02:00"),
        ])
    );
    // New York: every day at 07:00 EDT; Saturday's post goes out once, when the bot is back.
    assert_eq!(
        w.dates_and_instants(NEW_YORK),
        expected(&[
            ("2025-03-27", "2025-03-27T07:00:00-04:00"),
            ("2025-03-28", "2025-03-28T07:00:00-04:00"),
            ("2025-03-29", "2025-03-29T07:20:00-04:00"),
            ("2025-03-30", "2025-03-30T07:00:00-04:00"),
            ("2025-03-31", "2025-03-31T07:00:00-04:00"),
            ("2025-04-01", "2025-04-01T07:00:00-04:00"),
            ("2025-04-02", "2025-04-02T07:00:00-04:00"),
        ])
    );
    // The post interrupted by the restart carried the tip it was claimed with.
    let saturday = &w.poster.posts_to(NEW_YORK)[2];
    assert_eq!(saturday.tip, pending[0].tip_id);
    assert_eq!(
        w.poster.attempts_to(NEW_YORK).len(),
        8,
        "7 posts + the interrupted attempt"
    );
    assert_no_repeated_tip(&w.poster.posts_to(BERLIN));
    assert_no_repeated_tip(&w.poster.posts_to(NEW_YORK));
    assert!(w.store.unsent_tip_claims().await.unwrap().is_empty());
    assert_eq!(
        w.store.tip_rotation(NEW_YORK).await.unwrap().posted.len(),
        7
    );
}

#[tokio::test(start_paused = true)]
async fn a_channel_that_is_gone_is_paused_and_not_retried_while_others_keep_posting() {
    let w = World::new("2025-01-06T00:00:00Z").await;
    w.subscribe(
        BERLIN,
        "08:30",
        "Europe/Berlin",
        "everyday",
        "2025-01-05T00:00:00Z",
    )
    .await;
    w.subscribe(
        NEW_YORK,
        "07:00",
        "America/New_York",
        "everyday",
        "2025-01-05T00:00:00Z",
    )
    .await;
    w.poster.set(BERLIN, Some(Behaviour::Gone));

    let scheduler = w.scheduler(SchedulerOptions::default()).spawn();
    w.sleep_until("2025-01-11T00:00:00Z").await;
    scheduler.abort();

    assert_eq!(w.poster.attempts_to(BERLIN), [day("2025-01-06")]);
    let sub = w.store.tip_subscription(BERLIN).await.unwrap().unwrap();
    assert!(sub.paused_reason.unwrap().contains("Unknown Channel"));
    let claim = w.store.latest_tip_claim(BERLIN).await.unwrap().unwrap();
    assert!(claim.sent_at.is_none() && claim.skipped_reason.is_some());
    // New York kept its daily post.
    assert_eq!(w.poster.posts_to(NEW_YORK).len(), 5);
    assert!(w.poster.posts_to(BERLIN).is_empty());
}

#[tokio::test(start_paused = true)]
async fn a_transient_failure_is_retried_with_backoff_and_posts_once() {
    let w = World::new("2025-01-06T00:00:00Z").await;
    w.subscribe(BERLIN, "08:30", "UTC", "workdays", "2025-01-05T00:00:00Z")
        .await;
    w.poster.set(BERLIN, Some(Behaviour::FailTimes(2)));

    let scheduler = w.scheduler(SchedulerOptions::default()).spawn();
    w.sleep_until("2025-01-07T00:00:00Z").await;
    scheduler.abort();

    // Fails at 08:30, retries after 1 min (fails), then after 2 more minutes (posts).
    assert_eq!(w.poster.attempts_to(BERLIN).len(), 3);
    assert_eq!(
        w.dates_and_instants(BERLIN),
        expected(&[("2025-01-06", "2025-01-06T08:33:00Z")])
    );
}

#[tokio::test(start_paused = true)]
async fn a_bot_back_within_the_grace_window_posts_late_once() {
    // Down at 08:30, back at 10:15: 1 h 45 min late, within the 2-hour grace window.
    let w = World::new("2025-01-06T10:15:00Z").await;
    w.subscribe(BERLIN, "08:30", "UTC", "workdays", "2025-01-03T00:00:00Z")
        .await;

    let scheduler = w.scheduler(SchedulerOptions::default()).spawn();
    w.sleep_until("2025-01-08T00:00:00Z").await;
    scheduler.abort();

    assert_eq!(
        w.dates_and_instants(BERLIN),
        expected(&[
            ("2025-01-06", "2025-01-06T10:15:00Z"),
            ("2025-01-07", "2025-01-07T08:30:00Z"),
        ])
    );
}

#[tokio::test(start_paused = true)]
async fn a_bot_back_after_the_grace_window_skips_to_the_next_day() {
    // Back at 10:45: 2 h 15 min late, past the grace window.
    let w = World::new("2025-01-06T10:45:00Z").await;
    w.subscribe(BERLIN, "08:30", "UTC", "workdays", "2025-01-03T00:00:00Z")
        .await;

    let scheduler = w.scheduler(SchedulerOptions::default()).spawn();
    w.sleep_until("2025-01-08T00:00:00Z").await;
    scheduler.abort();

    assert_eq!(
        w.dates_and_instants(BERLIN),
        expected(&[("2025-01-07", "2025-01-07T08:30:00Z")])
    );
}

#[tokio::test(start_paused = true)]
async fn the_grace_window_comes_from_the_config() {
    let w = World::new("2025-01-06T09:00:00Z").await;
    w.subscribe(BERLIN, "08:30", "UTC", "workdays", "2025-01-03T00:00:00Z")
        .await;
    let settings = hingebot::config::TipsSettings {
        grace_minutes: 15,
        ..Default::default()
    };

    let scheduler = w
        .scheduler(SchedulerOptions::from_settings(&settings))
        .spawn();
    w.sleep_until("2025-01-07T00:00:00Z").await;
    scheduler.abort();

    assert!(w.poster.posts_to(BERLIN).is_empty());
}

#[tokio::test(start_paused = true)]
async fn a_claim_left_by_a_crash_past_the_grace_window_is_given_up_and_its_tip_comes_next() {
    let w = World::new("2025-01-06T11:00:00Z").await;
    w.subscribe(BERLIN, "08:30", "UTC", "workdays", "2025-01-03T00:00:00Z")
        .await;
    // The previous run claimed Monday's post at 08:30 and died before sending it.
    let (tip, _) = next_tip(&w.tips, BERLIN, &RotationState::default()).unwrap();
    let tip = tip.id.clone();
    let monday = day("2025-01-06");
    let request = TipClaimRequest {
        channel_id: BERLIN,
        local_date: monday,
        tip_id: tip.clone(),
    };
    let crashed = LeaseOwner::named("a-process-that-died");
    let claim = w
        .store
        .claim_tip_post(
            request,
            &crashed,
            at("2025-01-06T08:30:00Z"),
            SignedDuration::from_mins(2),
        )
        .await
        .unwrap();
    assert!(matches!(claim, ClaimOutcome::Granted(_)), "{claim:?}");

    let scheduler = w.scheduler(SchedulerOptions::default()).spawn();
    w.sleep_until("2025-01-08T00:00:00Z").await;
    scheduler.abort();

    let claims = w.store.tip_claims(BERLIN).await.unwrap();
    assert!(claims[0]
        .skipped_reason
        .as_deref()
        .unwrap()
        .contains("grace window"));
    // Nothing on Monday; Tuesday gets the tip Monday never showed.
    let posts = w.poster.posts_to(BERLIN);
    assert_eq!(posts.len(), 1);
    assert_eq!(
        (posts[0].date, posts[0].tip.as_str()),
        (day("2025-01-07"), tip.as_str())
    );
}

#[tokio::test(start_paused = true)]
async fn subscribing_after_todays_time_starts_tomorrow() {
    let w = World::new("2025-01-06T09:00:00Z").await;
    w.subscribe(BERLIN, "08:30", "UTC", "everyday", "2025-01-06T09:00:00Z")
        .await;

    let scheduler = w.scheduler(SchedulerOptions::default()).spawn();
    w.sleep_until("2025-01-08T00:00:00Z").await;
    scheduler.abort();

    assert_eq!(
        w.dates_and_instants(BERLIN),
        expected(&[("2025-01-07", "2025-01-07T08:30:00Z")])
    );
}

#[tokio::test(start_paused = true)]
async fn a_subscription_change_wakes_the_scheduler_early() {
    let w = World::new("2025-01-06T08:00:00Z").await;
    // Without a wake-up the scheduler would sleep a whole day.
    let options = SchedulerOptions {
        max_sleep: Duration::from_secs(24 * 3600),
        ..SchedulerOptions::default()
    };
    let scheduler = w.scheduler(options);
    let handle = scheduler.handle();
    let task = scheduler.spawn();

    w.sleep_until("2025-01-06T08:01:00Z").await;
    w.subscribe(BERLIN, "08:10", "UTC", "everyday", "2025-01-06T08:01:00Z")
        .await;
    handle.subscriptions_changed();
    w.sleep_until("2025-01-06T09:00:00Z").await;
    handle.shutdown();
    task.await.unwrap();

    assert_eq!(
        w.dates_and_instants(BERLIN),
        expected(&[("2025-01-06", "2025-01-06T08:10:00Z")])
    );
}

#[tokio::test(start_paused = true)]
async fn unsubscribing_stops_posts_and_resubscribing_continues_the_rotation() {
    let w = World::new("2025-01-06T00:00:00Z").await;
    w.subscribe(BERLIN, "08:30", "UTC", "everyday", "2025-01-05T00:00:00Z")
        .await;
    let scheduler = w.scheduler(SchedulerOptions::default());
    let handle = scheduler.handle();
    let task = scheduler.spawn();

    w.sleep_until("2025-01-08T00:00:00Z").await;
    assert!(w.store.remove_tip_subscription(BERLIN).await.unwrap());
    handle.subscriptions_changed();
    w.sleep_until("2025-01-10T00:00:00Z").await;
    w.subscribe(BERLIN, "08:30", "UTC", "everyday", "2025-01-10T00:00:00Z")
        .await;
    handle.subscriptions_changed();
    w.sleep_until("2025-01-12T00:00:00Z").await;
    handle.shutdown();
    task.await.unwrap();

    let dates: Vec<Date> = w.dates_and_instants(BERLIN).iter().map(|p| p.0).collect();
    assert_eq!(
        dates,
        [
            day("2025-01-06"),
            day("2025-01-07"),
            day("2025-01-10"),
            day("2025-01-11")
        ]
    );
    assert_no_repeated_tip(&w.poster.posts_to(BERLIN));
}

#[test]
fn the_nonce_is_stable_per_channel_and_day_and_fits_discord() {
    let nonce = |channel, d: &str| tip_post_nonce(channel, day(d));
    let a = nonce(1, "2025-01-06");
    assert_eq!(a, nonce(1, "2025-01-06"));
    assert_ne!(a, nonce(2, "2025-01-06"));
    assert_ne!(a, nonce(1, "2025-01-07"));
    assert!(
        a.len() <= 25 && a.bytes().all(|b| b.is_ascii_digit()),
        "{a}"
    );
}

#[test]
fn hingebot_tip_and_slash_tip_show_the_same_tip_as_midnight_passes_in_the_configured_zone() {
    let kb = hingebot::KnowledgeBase::load(
        &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("knowledge"),
    )
    .expect("the repository's knowledge base loads");
    let mut config = hingebot::config::Config::default();
    config.tips.default_timezone = "Europe/Berlin".into();
    // Midnight in Berlin is 23:00 UTC in January: one second before, at, and half an hour after.
    let mut shown = Vec::new();
    for (instant, berlin_date) in [
        ("2025-01-06T22:59:59Z", "2025-01-06"),
        ("2025-01-06T23:00:00Z", "2025-01-07"),
        ("2025-01-06T23:30:00Z", "2025-01-07"),
    ] {
        let now = at(instant);
        let mut out = Vec::new();
        let today = hingebot::cli::tips::today(&config, now).unwrap();
        hingebot::cli::tips::run_tip(&kb, today, &mut out).unwrap();
        let cli = String::from_utf8(out).unwrap();
        let card = hingebot::discord::commands::todays_tip_card(&kb, &config.tips, now)
            .unwrap()
            .expect("the knowledge base has tips");
        assert!(
            cli.starts_with(&format!(
                "Tip of the day ({berlin_date}): {}\n",
                card.description
            )),
            "at {instant}: `hingebot tip` said {cli:?}, /tip showed {:?}",
            card.description
        );
        shown.push(card.description);
    }
    assert_ne!(shown[0], shown[1], "the tip changes at Berlin's midnight");
    assert_eq!(shown[1], shown[2]);
}

/// A guild id on shard `shard` of `total` (Discord's `(guild_id >> 22) % total_shards`).
fn guild_on_shard(shard: u64, total: u64) -> u64 {
    (1_000 * total + shard) << 22
}

#[tokio::test(start_paused = true)]
async fn two_shard_processes_post_each_channel_once_each_in_its_own_guilds() {
    use hingebot::shards::ShardRange;
    use hingebot::store::NewTipSubscription;
    let w = World::new("2025-01-06T08:00:00Z").await;
    let utc = schedule("08:30", "UTC", "everyday");
    let (on_shard_0, on_shard_1, no_guild) = (3_001, 3_002, 3_003);
    let subscriptions = [
        (on_shard_0, Some(guild_on_shard(0, 2))),
        (on_shard_1, Some(guild_on_shard(1, 2))),
        (no_guild, None),
    ]
    .map(|(channel_id, guild_id)| NewTipSubscription {
        channel_id,
        guild_id,
        schedule: utc.clone(),
    });
    w.store
        .upsert_tip_subscriptions(&subscriptions, at("2025-01-05T00:00:00Z"))
        .await
        .unwrap();
    let process = |shards: &str| {
        w.scheduler(SchedulerOptions {
            shards: Some(ShardRange::new(shards.parse().unwrap(), 2).unwrap()),
            ..SchedulerOptions::default()
        })
    };
    let (first, second) = (process("0"), process("1"));
    let owners = [first.lease_owner().clone(), second.lease_owner().clone()];
    let (first, second) = (first.spawn(), second.spawn());
    w.sleep_until("2025-01-07T00:00:00Z").await;
    first.abort();
    second.abort();

    for (channel, poster) in [
        (on_shard_0, &owners[0]),
        (on_shard_1, &owners[1]),
        (no_guild, &owners[0]),
    ] {
        assert_eq!(w.poster.posts_to(channel).len(), 1, "channel {channel}");
        let claim = w.store.latest_tip_claim(channel).await.unwrap().unwrap();
        assert_eq!(
            claim.lease_owner.as_deref(),
            Some(poster.as_str()),
            "channel {channel} is posted by the process running its guild's shard (DMs and unknown guilds: shard 0)"
        );
    }
}

#[tokio::test(start_paused = true)]
async fn without_its_shard_process_a_guilds_tip_waits_and_goes_out_when_it_starts() {
    use hingebot::shards::ShardRange;
    use hingebot::store::NewTipSubscription;
    let w = World::new("2025-01-06T08:00:00Z").await;
    let channel = 3_011;
    w.store
        .upsert_tip_subscriptions(
            &[NewTipSubscription {
                channel_id: channel,
                guild_id: Some(guild_on_shard(1, 2)),
                schedule: schedule("08:30", "UTC", "everyday"),
            }],
            at("2025-01-05T00:00:00Z"),
        )
        .await
        .unwrap();
    let shard = |s: &str| SchedulerOptions {
        shards: Some(ShardRange::new(s.parse().unwrap(), 2).unwrap()),
        ..SchedulerOptions::default()
    };
    let only_shard_0 = w.scheduler(shard("0")).spawn();
    w.sleep_until("2025-01-06T09:00:00Z").await;
    assert!(w.poster.posts_to(channel).is_empty(), "not shard 0's guild");
    let shard_1 = w.scheduler(shard("1")).spawn();
    w.sleep_until("2025-01-06T09:01:00Z").await;
    only_shard_0.abort();
    shard_1.abort();
    assert_eq!(
        w.dates_and_instants(channel),
        expected(&[("2025-01-06", "2025-01-06T09:00:00Z")]),
        "late, within the grace window"
    );
}
