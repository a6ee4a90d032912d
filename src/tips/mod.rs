//! Daily tips: which tip a day gets, each channel's rotation, and when the next post is due.

pub mod rotation;
pub mod schedule;
pub mod scheduler;

pub use rotation::{next_tip, RotationState};
pub use schedule::{
    due_now, next_post, previous_post, Days, Due, ScheduleError, ScheduledPost, TipSchedule,
};
pub use scheduler::{
    Clock, PostError, PostOutcome, SchedulerHandle, SchedulerOptions, SystemClock, TipPost,
    TipPoster, TipScheduler, TokioClock,
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
