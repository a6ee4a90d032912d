//! When a channel's daily tip is due: a validated local time, IANA time zone and weekdays, and the
//! pure, daylight-saving-correct arithmetic from "now" to the next post.

use jiff::civil::{Date, Time, Weekday};
use jiff::tz::{AmbiguousOffset, TimeZone};
use jiff::{SignedDuration, Timestamp};
use std::fmt;
use std::str::FromStr;

/// How many consecutive local dates to scan for a post day. Any 7 contain one; the rest is margin
/// for the day before `after` and zones that skipped a whole calendar day (Pacific/Apia, 2011).
const SCAN_DAYS: usize = 16;

/// Why a schedule could not be built from what someone typed. Each names the bad value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScheduleError {
    #[error("time `{value}` is not a 24-hour HH:MM time; write it like 08:30 or 17:05")]
    Time { value: String },
    #[error(
        "time zone `{value}` is not an IANA time zone name; use a name like Europe/Berlin, \
         America/New_York or Asia/Kolkata (abbreviations such as CEST, PST or IST are not time zones)"
    )]
    TimeZone { value: String },
    #[error(
        "days `{value}` not understood; use `workdays` (Mon–Fri), `everyday`, or a list of days \
         like `mon,wed,fri` or `mon-thu`"
    )]
    Days { value: String },
    #[error(
        "time zone `{value}` is a legacy zone named like an abbreviation or offset, not a place \
         (`EST` never switches to summer time, `Etc/GMT+2` is two hours *behind* UTC); use the \
         zone of a city, like America/New_York or Europe/Berlin, or UTC"
    )]
    NotALocation { value: String },
}

/// A set of weekdays (bit 0 is Monday).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct WeekdaySet(u8);

impl WeekdaySet {
    const MONDAY_TO_FRIDAY: WeekdaySet = WeekdaySet(0b001_1111);
    const ALL: WeekdaySet = WeekdaySet(0b111_1111);

    /// Whether `day` is in the set.
    pub fn contains(self, day: Weekday) -> bool {
        self.0 & bit(day) != 0
    }

    fn insert(&mut self, day: Weekday) {
        self.0 |= bit(day);
    }

    fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The days in the set, Monday first.
    pub fn iter(self) -> impl Iterator<Item = Weekday> {
        WEEK.into_iter().filter(move |d| self.contains(*d))
    }
}

fn bit(day: Weekday) -> u8 {
    1 << day.to_monday_zero_offset()
}

const WEEK: [Weekday; 7] = [
    Weekday::Monday,
    Weekday::Tuesday,
    Weekday::Wednesday,
    Weekday::Thursday,
    Weekday::Friday,
    Weekday::Saturday,
    Weekday::Sunday,
];

fn short_name(day: Weekday) -> &'static str {
    match day {
        Weekday::Monday => "mon",
        Weekday::Tuesday => "tue",
        Weekday::Wednesday => "wed",
        Weekday::Thursday => "thu",
        Weekday::Friday => "fri",
        Weekday::Saturday => "sat",
        Weekday::Sunday => "sun",
    }
}

fn parse_weekday(word: &str) -> Option<Weekday> {
    let day = match word {
        "mon" | "monday" => Weekday::Monday,
        "tue" | "tues" | "tuesday" => Weekday::Tuesday,
        "wed" | "wednesday" => Weekday::Wednesday,
        "thu" | "thur" | "thurs" | "thursday" => Weekday::Thursday,
        "fri" | "friday" => Weekday::Friday,
        "sat" | "saturday" => Weekday::Saturday,
        "sun" | "sunday" => Weekday::Sunday,
        _ => return None,
    };
    Some(day)
}

/// On which local weekdays a channel gets its tip.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Days {
    /// Every day of the week.
    Everyday,
    /// Monday to Friday: the default, since the tip is for the start of a shift.
    #[default]
    Workdays,
    /// An explicit set that is neither of the above (`mon,wed,fri`).
    Only(WeekdaySet),
}

impl Days {
    /// Whether a post is due on `day`.
    pub fn contains(self, day: Weekday) -> bool {
        self.set().contains(day)
    }

    fn set(self) -> WeekdaySet {
        match self {
            Days::Everyday => WeekdaySet::ALL,
            Days::Workdays => WeekdaySet::MONDAY_TO_FRIDAY,
            Days::Only(set) => set,
        }
    }

    fn from_set(set: WeekdaySet) -> Days {
        match set {
            WeekdaySet::ALL => Days::Everyday,
            WeekdaySet::MONDAY_TO_FRIDAY => Days::Workdays,
            other => Days::Only(other),
        }
    }

    /// A phrase for people: "every day", "workdays (Mon–Fri)", "Mon, Wed, Fri".
    pub fn describe(self) -> String {
        match self {
            Days::Everyday => "every day".to_string(),
            Days::Workdays => "workdays (Mon–Fri)".to_string(),
            Days::Only(set) => set
                .iter()
                .map(|d| {
                    let s = short_name(d);
                    let mut c = s.chars();
                    c.next()
                        .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
                        .unwrap_or_default()
                })
                .collect::<Vec<_>>()
                .join(", "),
        }
    }
}

/// The canonical form stored in the database and accepted back by [`FromStr`].
impl fmt::Display for Days {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Days::Everyday => f.write_str("everyday"),
            Days::Workdays => f.write_str("workdays"),
            Days::Only(set) => {
                let names: Vec<&str> = set.iter().map(short_name).collect();
                f.write_str(&names.join(","))
            }
        }
    }
}

/// Accepts `everyday`/`daily`, `workdays`/`weekdays`, and lists or ranges of day names
/// (`mon,wed,fri`, `mon-thu`, `sat sun`), case-insensitively.
impl FromStr for Days {
    type Err = ScheduleError;

    fn from_str(s: &str) -> Result<Days, ScheduleError> {
        let err = || ScheduleError::Days {
            value: s.to_string(),
        };
        let text = s.trim().to_ascii_lowercase();
        match text.as_str() {
            "everyday" | "every day" | "daily" | "all" => return Ok(Days::Everyday),
            "workdays" | "work days" | "weekdays" => return Ok(Days::Workdays),
            _ => {}
        }
        let mut set = WeekdaySet(0);
        for item in text
            .split(|c: char| c == ',' || c.is_whitespace())
            .filter(|w| !w.is_empty())
        {
            match item.split_once('-') {
                Some((from, to)) => {
                    let from = parse_weekday(from.trim()).ok_or_else(err)?;
                    let to = parse_weekday(to.trim()).ok_or_else(err)?;
                    let mut day = from;
                    set.insert(day);
                    while day != to {
                        day = day.next();
                        set.insert(day);
                    }
                }
                None => set.insert(parse_weekday(item).ok_or_else(err)?),
            }
        }
        if set.is_empty() {
            return Err(err());
        }
        Ok(Days::from_set(set))
    }
}

/// Parses a 24-hour `HH:MM` (or `H:MM`) local time.
pub fn parse_time(s: &str) -> Result<Time, ScheduleError> {
    let err = || ScheduleError::Time {
        value: s.to_string(),
    };
    let (h, m) = s.trim().split_once(':').ok_or_else(err)?;
    let digits = |p: &str, max_len: usize| {
        !p.is_empty() && p.len() <= max_len && p.bytes().all(|b| b.is_ascii_digit())
    };
    if !digits(h, 2) || !digits(m, 2) || m.len() != 2 {
        return Err(err());
    }
    let hour: i8 = h.parse().map_err(|_| err())?;
    let minute: i8 = m.parse().map_err(|_| err())?;
    Time::new(hour, minute, 0, 0).map_err(|_| err())
}

/// Looks up an IANA time zone name in the bundled database (never the machine's
/// `/usr/share/zoneinfo`), case-insensitively. Abbreviations, offsets and `Etc/Unknown` are refused.
pub fn parse_time_zone(s: &str) -> Result<TimeZone, ScheduleError> {
    let err = || ScheduleError::TimeZone {
        value: s.to_string(),
    };
    let name = s.trim();
    if name.is_empty() {
        return Err(err());
    }
    let tz = TimeZone::get(name).map_err(|_| err())?;
    // `Etc/Unknown` resolves to jiff's "unknown" zone, which has no IANA name.
    let Some(canonical) = tz.iana_name() else {
        return Err(err());
    };
    // The tz database keeps old names like `CET`, `EST` or `Etc/GMT+2` for compatibility. They
    // are real, but a person typing them is guessing, and their rules surprise (no daylight
    // saving, inverted signs), so only places (`Area/City`) and UTC itself are accepted.
    let lower = canonical.to_ascii_lowercase();
    let is_place = lower.contains('/') && !lower.starts_with("etc/");
    if !is_place && !is_utc_name(&lower) {
        return Err(ScheduleError::NotALocation {
            value: s.to_string(),
        });
    }
    Ok(tz)
}

fn is_utc_name(lower: &str) -> bool {
    let bare = lower.strip_prefix("etc/").unwrap_or(lower);
    matches!(
        bare,
        "utc" | "uct" | "universal" | "zulu" | "gmt" | "gmt0" | "gmt+0" | "gmt-0" | "greenwich"
    )
}

/// A validated daily schedule: a local wall-clock time in an IANA time zone, on some weekdays.
#[derive(Debug, Clone, PartialEq)]
pub struct TipSchedule {
    time: Time,
    tz: TimeZone,
    tz_name: String,
    days: Days,
}

impl TipSchedule {
    /// Builds a schedule from a time zone found by [`parse_time_zone`] (or any IANA zone).
    /// Seconds and sub-seconds of `time` are dropped: posts go out on the minute.
    pub fn new(time: Time, tz: TimeZone, days: Days) -> Result<TipSchedule, ScheduleError> {
        let tz_name = tz
            .iana_name()
            .ok_or_else(|| ScheduleError::TimeZone {
                value: format!("{tz:?}"),
            })?
            .to_string();
        let time = Time::new(time.hour(), time.minute(), 0, 0).unwrap_or(time);
        Ok(TipSchedule {
            time,
            tz,
            tz_name,
            days,
        })
    }

    /// Parses what a person typed: `08:30`, `Europe/Berlin`, `workdays`.
    pub fn parse(time: &str, timezone: &str, days: &str) -> Result<TipSchedule, ScheduleError> {
        let time = parse_time(time)?;
        let tz = parse_time_zone(timezone)?;
        let days = days.parse()?;
        TipSchedule::new(time, tz, days)
    }

    /// The local posting time.
    pub fn time(&self) -> Time {
        self.time
    }

    /// The posting time as `HH:MM`.
    pub fn time_hhmm(&self) -> String {
        format!("{:02}:{:02}", self.time.hour(), self.time.minute())
    }

    /// The time zone.
    pub fn time_zone(&self) -> &TimeZone {
        &self.tz
    }

    /// The canonical IANA name of the time zone (`Europe/Berlin`, whatever case was typed).
    pub fn timezone_name(&self) -> &str {
        &self.tz_name
    }

    /// The posting days.
    pub fn days(&self) -> Days {
        self.days
    }

    /// "08:30 Europe/Berlin, workdays (Mon–Fri)".
    pub fn describe(&self) -> String {
        format!(
            "{} {}, {}",
            self.time_hhmm(),
            self.tz_name,
            self.days.describe()
        )
    }

    /// Whether `date` (local) is a posting day.
    pub fn is_post_day(&self, date: Date) -> bool {
        self.days.contains(date.weekday())
    }

    /// The instant of the post for local `date`, whatever its weekday.
    ///
    /// A time that does not exist that day (skipped by a spring-forward change) posts at the first
    /// instant after the gap: 02:30 in New York on the spring-forward day posts at 03:00. (jiff's
    /// "compatible" disambiguation would shift by the gap's length, to 03:30.) A time that occurs
    /// twice (fall back) posts at the earlier occurrence. `None` only near the end of time.
    pub fn post_at(&self, date: Date) -> Option<Timestamp> {
        let dt = date.to_datetime(self.time);
        match self.tz.to_ambiguous_timestamp(dt).offset() {
            AmbiguousOffset::Unambiguous { offset } => offset.to_timestamp(dt).ok(),
            AmbiguousOffset::Fold { before, .. } => before.to_timestamp(dt).ok(),
            AmbiguousOffset::Gap { before, after } => {
                // Read with the later (larger) offset, `dt` names an instant just before the
                // transition; the transition itself is the first instant whose local time is past
                // the gap.
                let just_before = after.to_timestamp(dt).ok()?;
                match self.tz.following(just_before).next() {
                    Some(transition) => Some(transition.timestamp()),
                    None => before.to_timestamp(dt).ok(),
                }
            }
        }
    }

    /// The local date of an instant in this schedule's zone.
    pub fn local_date(&self, at: Timestamp) -> Date {
        self.tz.to_datetime(at).date()
    }

    /// The local wall-clock time of an instant in this schedule's zone, as `HH:MM`.
    pub fn local_hhmm(&self, at: Timestamp) -> String {
        let t = self.tz.to_datetime(at).time();
        format!("{:02}:{:02}", t.hour(), t.minute())
    }
}

/// One day's post: the local date it belongs to and the instant it goes out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ScheduledPost {
    pub date: Date,
    pub at: Timestamp,
}

/// The first post strictly after `after`. Each posting day yields exactly one instant (see
/// [`TipSchedule::post_at`]), so a repeated hour never posts twice. `None` only near the end of time.
pub fn next_post(schedule: &TipSchedule, after: Timestamp) -> Option<ScheduledPost> {
    // Start a day early: on days with a gap the post instant can fall on the next local date.
    let local = schedule.local_date(after);
    let mut date = local.yesterday().unwrap_or(local);
    for _ in 0..SCAN_DAYS {
        if schedule.is_post_day(date) {
            if let Some(at) = schedule.post_at(date) {
                if at > after {
                    return Some(ScheduledPost { date, at });
                }
            }
        }
        date = date.tomorrow().ok()?;
    }
    None
}

/// The latest post at or before `at_or_before`.
pub fn previous_post(schedule: &TipSchedule, at_or_before: Timestamp) -> Option<ScheduledPost> {
    let local = schedule.local_date(at_or_before);
    let mut date = local.tomorrow().unwrap_or(local);
    for _ in 0..SCAN_DAYS {
        if schedule.is_post_day(date) {
            if let Some(at) = schedule.post_at(date) {
                if at <= at_or_before {
                    return Some(ScheduledPost { date, at });
                }
            }
        }
        date = date.yesterday().ok()?;
    }
    None
}

/// What a channel should do at `now`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Due {
    /// Post `post` now; `late_by` is zero when on time, positive when the bot was down or busy.
    Now {
        post: ScheduledPost,
        late_by: SignedDuration,
    },
    /// `missed` was not posted and is now past the grace window: skip it (and log why).
    Missed {
        missed: ScheduledPost,
        late_by: SignedDuration,
        next: Option<ScheduledPost>,
    },
    /// Nothing to do before `next`.
    Wait { next: Option<ScheduledPost> },
}

/// Decides what is due at `now`, given the latest local date already handled (claimed, posted or
/// deliberately skipped). A post whose time has passed goes out late while `now` is within `grace`
/// of it; after that it is skipped and the channel waits for its next day.
pub fn due_now(
    schedule: &TipSchedule,
    handled_through: Option<Date>,
    now: Timestamp,
    grace: SignedDuration,
) -> Due {
    let next = || next_post(schedule, now);
    match previous_post(schedule, now) {
        Some(post) if handled_through.is_none_or(|h| post.date > h) => {
            let late_by = now.duration_since(post.at);
            if late_by <= grace {
                Due::Now { post, late_by }
            } else {
                Due::Missed {
                    missed: post,
                    late_by,
                    next: next(),
                }
            }
        }
        _ => Due::Wait { next: next() },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_parse_names_lists_and_ranges() {
        assert_eq!("everyday".parse(), Ok(Days::Everyday));
        assert_eq!("Daily".parse(), Ok(Days::Everyday));
        assert_eq!("weekdays".parse(), Ok(Days::Workdays));
        assert_eq!("WORKDAYS".parse(), Ok(Days::Workdays));
        assert_eq!("mon-fri".parse(), Ok(Days::Workdays));
        assert_eq!("mon,tue,wed,thu,fri,sat,sun".parse(), Ok(Days::Everyday));
        let mwf: Days = "Mon, wed friday".parse().unwrap();
        assert_eq!(mwf.to_string(), "mon,wed,fri");
        assert_eq!(mwf.describe(), "Mon, Wed, Fri");
        let wrap: Days = "fri-mon".parse().unwrap();
        assert_eq!(wrap.to_string(), "mon,fri,sat,sun");
        assert_eq!(wrap.to_string().parse(), Ok(wrap));
    }

    #[test]
    fn bad_days_name_the_value() {
        for bad in ["", "funday", "mon-xyz", ",,"] {
            let err = bad.parse::<Days>().unwrap_err();
            assert_eq!(err, ScheduleError::Days { value: bad.into() });
            assert!(err.to_string().contains(&format!("`{bad}`")));
        }
    }

    #[test]
    fn times_are_24_hour_hh_mm() {
        assert_eq!(parse_time("08:30"), Ok(jiff::civil::time(8, 30, 0, 0)));
        assert_eq!(parse_time("8:05"), Ok(jiff::civil::time(8, 5, 0, 0)));
        assert_eq!(parse_time("00:00"), Ok(jiff::civil::time(0, 0, 0, 0)));
        assert_eq!(parse_time("23:59"), Ok(jiff::civil::time(23, 59, 0, 0)));
        for bad in [
            "24:00", "8", "08:3", "08:30:00", "8.30", "-1:30", "8am", "", "08:60",
        ] {
            let err = parse_time(bad).unwrap_err();
            assert!(err.to_string().contains(&format!("`{bad}`")), "{err}");
        }
    }

    #[test]
    fn time_zones_must_be_iana_names() {
        let tz = parse_time_zone("europe/berlin").unwrap();
        assert_eq!(tz.iana_name(), Some("Europe/Berlin"));
        assert!(parse_time_zone("UTC").is_ok());
        for bad in [
            "CEST",
            "PST",
            "IST",
            "BST",
            "GMT+2",
            "+02:00",
            "Etc/Unknown",
            "",
            "Berlin",
        ] {
            let err = parse_time_zone(bad).unwrap_err();
            assert_eq!(err, ScheduleError::TimeZone { value: bad.into() });
            assert!(err.to_string().contains(&format!("`{bad}`")), "{err}");
        }
    }

    #[test]
    fn legacy_abbreviation_zones_are_refused_even_though_the_database_has_them() {
        for legacy in [
            "CET",
            "EST",
            "EST5EDT",
            "MST",
            "Etc/GMT+2",
            "Japan",
            "Factory",
        ] {
            let err = parse_time_zone(legacy).unwrap_err();
            assert_eq!(
                err,
                ScheduleError::NotALocation {
                    value: legacy.into()
                }
            );
            assert!(err.to_string().contains("America/New_York"), "{err}");
        }
        for fine in [
            "UTC",
            "Etc/UTC",
            "GMT",
            "US/Eastern",
            "Asia/Calcutta",
            "America/Argentina/Buenos_Aires",
        ] {
            assert!(parse_time_zone(fine).is_ok(), "{fine}");
        }
    }

    #[test]
    fn schedule_keeps_the_canonical_zone_name() {
        let s = TipSchedule::parse("7:00", "america/new_york", "daily").unwrap();
        assert_eq!(s.timezone_name(), "America/New_York");
        assert_eq!(s.describe(), "07:00 America/New_York, every day");
    }
}
