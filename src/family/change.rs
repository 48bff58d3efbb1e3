//! What one add or del changed ([`Change`]), and the entries it was given
//! without repeats ([`dedup`]). Pure.

use std::collections::HashSet;

use serde::Serialize;

use crate::addr::Entry;

/// Counts of one add or del.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Change {
    /// Entries given (after removing duplicates).
    pub entries: usize,
    /// Kernel elements changed (a hash:net network stored in several shards
    /// counts once per shard).
    pub elements: usize,
    /// Entries that were already there (add) or already absent (del) and
    /// were accepted because of --exist.
    pub unchanged: usize,
    /// Entries given more than once (each counted once above).
    pub duplicates: usize,
}

pub(crate) fn dedup(entries: &[Entry]) -> Vec<Entry> {
    let mut seen = HashSet::new();
    entries
        .iter()
        .filter(|e| seen.insert(**e))
        .copied()
        .collect()
}
