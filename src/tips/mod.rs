//! Daily tips as pure maths: which tip a day gets, each channel's rotation, and when the next post is
//! due. The task that posts them is [`crate::daily_tips`].

pub mod rotation;
pub mod schedule;

pub use rotation::{next_tip, RotationState};
pub use schedule::{
    due_now, next_post, previous_post, Days, Due, ScheduleError, ScheduledPost, TipSchedule,
};

use crate::config::TipsSettings;
use crate::knowledge::Tip;

/// The schedule of a channel that subscribed without choosing one (and what `tips preview`
/// shows for an unsubscribed channel): `tips.default_time` in `tips.default_timezone`, workdays.
pub fn default_schedule(settings: &TipsSettings) -> Result<TipSchedule, ScheduleError> {
    TipSchedule::parse(
        &settings.default_time,
        &settings.default_timezone,
        &Days::Workdays.to_string(),
    )
}

/// The tip everyone sees for `date` (the `/tip` command and `hingebot tip`): walks the list one tip a day.
pub fn tip_of_the_day(tips: &[Tip], date: jiff::civil::Date) -> Option<&Tip> {
    if tips.is_empty() {
        return None;
    }
    let epoch = jiff::civil::date(1970, 1, 1);
    let days = (date - epoch).get_days();
    let index = i64::from(days).rem_euclid(tips.len() as i64) as usize;
    tips.get(index)
}

/// Today's date where tips are read by default (`tips.default_time` in `tips.default_timezone`): the
/// day whose tip `/tip` and `hingebot tip` show, so both agree at every instant.
pub fn today(
    settings: &TipsSettings,
    now: jiff::Timestamp,
) -> Result<jiff::civil::Date, ScheduleError> {
    Ok(default_schedule(settings)?.local_date(now))
}
