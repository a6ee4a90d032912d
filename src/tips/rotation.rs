//! Which tip a channel gets next: each channel walks its own shuffled order of every tip, with no
//! repeat until all have been posted, and survives edits to tips.toml.
//!
//! The order of a cycle is not a stored list: it is recomputed from a key per tip,
//! `mix(seed(channel, cycle), hash(tip id))`, sorted ascending. That is a uniform shuffle that is
//! the same on every platform and release (the hash and mixer are written here, not borrowed from
//! `std` or `rand`), and adding a tip only inserts it somewhere in the order without moving the
//! others, so a previewed week stays true. The persisted state is the cycle number and the ids
//! already posted in it: added tips join the remaining ones, removed tips are simply never chosen.

use crate::knowledge::Tip;
use std::collections::HashSet;

/// A channel's position in its rotation, as persisted.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RotationState {
    /// Which shuffled order the channel is walking (0 for its first).
    pub cycle: u64,
    /// Ids posted in this cycle, oldest first (the last one is the latest post).
    pub posted: Vec<String>,
}

impl RotationState {
    fn has_posted(&self, id: &str) -> bool {
        self.posted.iter().any(|p| p == id)
    }
}

/// The order in which `channel_id` sees every tip during `cycle`.
pub fn cycle_order(tips: &[Tip], channel_id: u64, cycle: u64) -> Vec<&Tip> {
    let seed = mix64(mix64(channel_id) ^ mix64(cycle.wrapping_add(0x7469_7073)));
    let mut keyed: Vec<(u64, &Tip)> = tips
        .iter()
        .map(|t| (mix64(seed ^ fnv1a64(t.id.as_bytes())), t))
        .collect();
    keyed.sort_by(|a, b| a.0.cmp(&b.0).then_with(|| a.1.id.cmp(&b.1.id)));
    keyed.into_iter().map(|(_, t)| t).collect()
}

/// The tip `channel_id` gets next, and the state once it has been posted. `None` if there are no tips.
///
/// When every current tip has been posted the channel starts its next cycle, whose order is new;
/// if that order happens to begin with the tip posted last, the second one goes first so no tip
/// shows twice in a row across the seam.
pub fn next_tip<'a>(
    tips: &'a [Tip],
    channel_id: u64,
    state: &RotationState,
) -> Option<(&'a Tip, RotationState)> {
    let tip = if cycle_complete(tips, state) {
        let order = cycle_order(tips, channel_id, state.cycle.wrapping_add(1));
        let last = state.posted.last();
        order
            .iter()
            .find(|t| Some(&t.id) != last)
            .or_else(|| order.first())
            .copied()?
    } else {
        cycle_order(tips, channel_id, state.cycle)
            .into_iter()
            .find(|t| !state.has_posted(&t.id))?
    };
    Some((tip, record(tips, state, &tip.id)))
}

/// The state after `tip_id` was posted (the same transition [`next_tip`] makes). Used when a post
/// claimed before a restart is finally sent, even if tips.toml changed in between.
pub fn record(tips: &[Tip], state: &RotationState, tip_id: &str) -> RotationState {
    if cycle_complete(tips, state) {
        RotationState {
            cycle: state.cycle.wrapping_add(1),
            posted: vec![tip_id.to_string()],
        }
    } else {
        let mut posted = state.posted.clone();
        if !state.has_posted(tip_id) {
            posted.push(tip_id.to_string());
        }
        RotationState {
            cycle: state.cycle,
            posted,
        }
    }
}

/// How many current tips the channel has not seen yet this cycle.
pub fn remaining(tips: &[Tip], state: &RotationState) -> usize {
    let posted: HashSet<&str> = state.posted.iter().map(String::as_str).collect();
    tips.iter()
        .filter(|t| !posted.contains(t.id.as_str()))
        .count()
}

fn cycle_complete(tips: &[Tip], state: &RotationState) -> bool {
    remaining(tips, state) == 0
}

/// splitmix64's output function: a fixed, well-distributed 64-bit mixer.
fn mix64(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// FNV-1a over bytes: a stable string hash (unlike `std`'s, which may change between releases).
fn fnv1a64(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// A short, stable number for a (channel, date) pair: the Discord nonce that lets the API drop a
/// duplicate send after a restart.
pub(crate) fn stable_hash(channel_id: u64, text: &str) -> u64 {
    mix64(channel_id ^ fnv1a64(text.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tips(n: usize) -> Vec<Tip> {
        (0..n)
            .map(|i| Tip {
                id: format!("tip-{i:03}"),
                text: format!("Tip number {i}."),
                entry: "what-is-a-hip-hinge".into(),
            })
            .collect()
    }

    #[test]
    fn mixers_are_pinned_so_orders_never_change_between_releases() {
        assert_eq!(fnv1a64(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a64(b"a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(mix64(0), 0xe220_a839_7b1d_cdaf);
        let five = tips(5);
        let order: Vec<&str> = cycle_order(&five, 42, 0)
            .iter()
            .map(|t| t.id.as_str())
            .collect();
        assert_eq!(order, PINNED_ORDER);
    }

    // The cycle-0 order of five tips for channel 42. If this changes, every channel's rotation
    // changes on upgrade: don't.
    const PINNED_ORDER: [&str; 5] = ["tip-002", "tip-004", "tip-001", "tip-003", "tip-000"];

    #[test]
    fn a_single_tip_repeats_every_day() {
        let tips = tips(1);
        let (first, state) = next_tip(&tips, 1, &RotationState::default()).unwrap();
        let (second, state) = next_tip(&tips, 1, &state).unwrap();
        assert_eq!(first.id, second.id);
        assert_eq!(state.cycle, 1);
    }

    #[test]
    fn no_tips_means_no_tip() {
        assert!(next_tip(&[], 1, &RotationState::default()).is_none());
    }

    #[test]
    fn the_seam_between_cycles_never_shows_a_tip_twice_in_a_row() {
        let tips = tips(3);
        for channel in 0..200 {
            let mut state = RotationState::default();
            let mut last = String::new();
            for _ in 0..12 {
                let (tip, next) = next_tip(&tips, channel, &state).unwrap();
                assert_ne!(tip.id, last, "channel {channel}");
                last = tip.id.clone();
                state = next;
            }
        }
    }

    #[test]
    fn recording_a_removed_tip_keeps_the_cycle() {
        let tips = tips(3);
        let state = record(&tips, &RotationState::default(), "gone-tip");
        assert_eq!(state.cycle, 0);
        assert_eq!(remaining(&tips, &state), 3);
    }
}
