//! Which gateway shards a process runs, and which shard a guild belongs to: Discord's formula,
//! shared by the bot (what to connect) and the tip scheduler (which channels to post in).

use std::fmt;
use std::str::FromStr;

/// The shard of a guild among `total`: Discord's `(guild_id >> 22) % total_shards`. Direct
/// messages (no guild) belong to shard 0.
pub fn shard_of(guild_id: Option<u64>, total: u32) -> u32 {
    match guild_id {
        Some(guild) if total > 0 => ((guild >> 22) % u64::from(total)) as u32,
        _ => 0,
    }
}

/// The shards this process runs: `first..=last` of `total`. Built from `--shards 0-3
/// --total-shards 8` (or `discord.shards` / `discord.total_shards`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ShardRange {
    first: u32,
    last: u32,
    total: u32,
}

/// Why a shard setting cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ShardError {
    #[error("`{0}` is not a shard range: write FIRST-LAST (e.g. 0-3) or one shard number")]
    Syntax(String),
    #[error("the total number of shards must be at least 1")]
    NoShards,
    #[error("shards {0} of how many? Give the total number of shards too (--total-shards / discord.total_shards)")]
    TotalMissing(ShardSpan),
    #[error("shard range {first}-{last} runs backwards: write the lower shard first")]
    Backwards { first: u32, last: u32 },
    #[error("shard range {first}-{last} does not fit in {total} shards (shards are numbered 0 to {})", total.saturating_sub(1))]
    OutOfRange { first: u32, last: u32, total: u32 },
}

/// A `FIRST-LAST` (or single `N`) range as written, before the total is known.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ShardSpan {
    pub first: u32,
    pub last: u32,
}

impl FromStr for ShardSpan {
    type Err = ShardError;

    fn from_str(text: &str) -> Result<ShardSpan, ShardError> {
        let syntax = || ShardError::Syntax(text.to_string());
        let number = |s: &str| s.trim().parse::<u32>().map_err(|_| syntax());
        let (first, last) = match text.split_once('-') {
            Some((a, b)) => (number(a)?, number(b)?),
            None => {
                let n = number(text)?;
                (n, n)
            }
        };
        if first > last {
            return Err(ShardError::Backwards { first, last });
        }
        Ok(ShardSpan { first, last })
    }
}

impl fmt::Display for ShardSpan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.first, self.last)
    }
}

impl ShardRange {
    /// `span` of `total`, checked: `total` ≥ 1 and the span inside `0..total`.
    pub fn new(span: ShardSpan, total: u32) -> Result<ShardRange, ShardError> {
        if total == 0 {
            return Err(ShardError::NoShards);
        }
        if span.first > span.last {
            return Err(ShardError::Backwards {
                first: span.first,
                last: span.last,
            });
        }
        if span.last >= total {
            return Err(ShardError::OutOfRange {
                first: span.first,
                last: span.last,
                total,
            });
        }
        Ok(ShardRange {
            first: span.first,
            last: span.last,
            total,
        })
    }

    /// Every shard of `total`, in one process.
    pub fn all(total: u32) -> Result<ShardRange, ShardError> {
        ShardRange::new(
            ShardSpan {
                first: 0,
                last: total.saturating_sub(1),
            },
            total,
        )
    }

    pub fn first(&self) -> u32 {
        self.first
    }

    /// The last shard of the range (inclusive).
    pub fn last(&self) -> u32 {
        self.last
    }

    pub fn total(&self) -> u32 {
        self.total
    }

    /// How many shards this process runs.
    pub fn len(&self) -> u32 {
        self.last - self.first + 1
    }

    /// Never true: a range holds at least one shard.
    pub fn is_empty(&self) -> bool {
        false
    }

    /// Whether this process runs `shard`.
    pub fn contains(&self, shard: u32) -> bool {
        (self.first..=self.last).contains(&shard)
    }

    /// Whether a guild (or, for `None`, direct messages) is on one of this process's shards.
    pub fn owns_guild(&self, guild_id: Option<u64>) -> bool {
        self.contains(shard_of(guild_id, self.total))
    }
}

impl fmt::Display for ShardRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "shards {}-{} of {}", self.first, self.last, self.total)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn discords_formula_and_dms_on_shard_zero() {
        // The shard comes from the snowflake's timestamp bits, not its low bits.
        let guild = 41_771_983_423_143_937_u64;
        assert_eq!(guild >> 22, 9_959_216_934);
        assert_eq!(shard_of(Some(guild), 4), 2);
        assert_eq!(shard_of(Some(guild + 1), 4), 2);
        assert_eq!(shard_of(Some(guild), 1), 0);
        assert_eq!(shard_of(None, 8), 0);
        let spread: std::collections::HashSet<u32> =
            (0..64u64).map(|i| shard_of(Some(i << 22), 8)).collect();
        assert_eq!(spread.len(), 8);
    }

    #[test]
    fn ranges_are_checked_against_the_total() {
        let span: ShardSpan = "0-3".parse().unwrap();
        let range = ShardRange::new(span, 8).unwrap();
        assert_eq!((range.first(), range.last(), range.len()), (0, 3, 4));
        assert!(range.contains(3) && !range.contains(4));
        assert_eq!(
            "5".parse::<ShardSpan>().unwrap(),
            ShardSpan { first: 5, last: 5 }
        );
        assert_eq!(
            ShardRange::new(span, 3),
            Err(ShardError::OutOfRange {
                first: 0,
                last: 3,
                total: 3
            })
        );
        assert_eq!(ShardRange::new(span, 0), Err(ShardError::NoShards));
        assert!(matches!(
            "3-1".parse::<ShardSpan>(),
            Err(ShardError::Backwards { .. })
        ));
        for bad in ["", "a-b", "1-", "-1", "1-2-3", "0..3"] {
            assert!(bad.parse::<ShardSpan>().is_err(), "{bad}");
        }
        let all = ShardRange::all(2).unwrap();
        assert!(all.owns_guild(None) && all.owns_guild(Some(1 << 22)));
        let second = ShardRange::new("1".parse().unwrap(), 2).unwrap();
        assert!(!second.owns_guild(None), "DMs are shard 0's");
        assert!(second.owns_guild(Some(1 << 22)));
    }
}
