//! Questions the assistant could not answer, kept as normalized text without user ids, for curators.

/// How often one normalized question went unanswered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnansweredCount {
    pub text: String,
    pub count: u64,
    /// When it was last asked (Unix seconds).
    pub last_at: i64,
}
