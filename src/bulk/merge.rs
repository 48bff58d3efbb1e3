//! Matching a shard's elements against the entries listed for it (pure):
//! both sides as sorted keys, walked together once.
//!
//! Sorting beats hashing here: a 62.5k-element shard is matched without a
//! random memory access per entry, and an IPv4 key (one word) is sorted by
//! radix, in a pass per digit of the bits in which the keys differ (two
//! for a shard of a family's addresses), so the work is linear whatever
//! the input. A shard's IPv4 elements are held as keys (8 bytes each).

use std::net::IpAddr;

use crate::addr::Entry;

/// What the walk finds, by positions: `j` among the shard's elements, `i`
/// in the list (as the caller gave them, flags included).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Match {
    /// The shard holds this element twice (a kernel never lists one twice;
    /// counted once).
    Twin(u32),
    /// Element `j` is listed, last by line `i`, `duplicates` more times.
    Listed { j: u32, i: u32, duplicates: usize },
    /// A new element, last listed by line `i`, `duplicates` more times.
    New { i: u32, duplicates: usize },
}

/// An IPv4 entry as one word that sorts like it: address, then prefix.
fn v4_key(e: &Entry) -> Option<u64> {
    match e.addr {
        IpAddr::V4(a) => Some(u64::from(u32::from(a)) << 8 | u64::from(e.prefix)),
        IpAddr::V6(_) => None,
    }
}

fn v4_entry(key: u64) -> Entry {
    Entry {
        addr: IpAddr::V4(((key >> 8) as u32).into()),
        prefix: key as u8,
    }
}

/// Any entry as a key (the family first: a family never mixes them).
fn key(e: &Entry) -> (bool, u128, u8) {
    (e.addr.is_ipv6(), e.bits(), e.prefix)
}

/// A shard's elements: IPv4 ones as keys, until one is not IPv4.
#[derive(Debug, Clone)]
pub enum Elements {
    V4(Vec<u64>),
    Any(Vec<Entry>),
}

impl Default for Elements {
    fn default() -> Elements {
        Elements::V4(Vec::new())
    }
}

impl Elements {
    pub fn push(&mut self, entry: Entry) {
        match (&mut *self, v4_key(&entry)) {
            (Elements::V4(keys), Some(key)) => keys.push(key),
            (Elements::V4(keys), None) => {
                let mut all: Vec<Entry> = keys.iter().map(|&k| v4_entry(k)).collect();
                all.push(entry);
                *self = Elements::Any(all);
            }
            (Elements::Any(all), _) => all.push(entry),
        }
    }

    pub fn len(&self) -> usize {
        match self {
            Elements::V4(keys) => keys.len(),
            Elements::Any(all) => all.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Element `j`.
    pub fn get(&self, j: usize) -> Entry {
        match self {
            Elements::V4(keys) => v4_entry(keys[j]),
            Elements::Any(all) => all[j],
        }
    }
}

/// The entries listed for one shard, in list order, each with a payload
/// (its position in the list, and what else the caller packs in): keyed
/// as they are routed, in one pass over the list, so matching never goes
/// back to the list for an IPv4 entry.
#[derive(Debug, Clone, Default)]
pub struct Incoming {
    /// IPv4 entries: key and payload.
    v4: Vec<(u64, u32)>,
    /// Other entries: payload only.
    other: Vec<u32>,
}

impl Incoming {
    pub fn push(&mut self, entry: &Entry, payload: u32) {
        match v4_key(entry) {
            Some(key) => self.v4.push((key, payload)),
            None => self.other.push(payload),
        }
    }

    pub fn len(&self) -> usize {
        self.v4.len() + self.other.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Match `current` (a shard's elements) against `incoming`, calling `on`
/// for every finding; `entry_of(payload)` is the entry of a listed
/// non-IPv4 entry. Elements of the shard that are not listed get no call.
/// With `reorder`, `current` may come back sorted, and a `j` then indexes
/// the new order; without it, `current` keeps its order.
pub(crate) fn matches(
    current: &mut Elements,
    reorder: bool,
    incoming: Incoming,
    entry_of: impl Fn(u32) -> Entry,
    on: impl FnMut(Match),
) {
    if let (Elements::V4(keys), true) = (&mut *current, incoming.other.is_empty()) {
        let mut lines = incoming.v4;
        radix_sort(&mut lines, |k| k.0);
        if reorder {
            radix_sort(keys, |k| *k);
            return walk(keys, |k| *k, |j, _| j as u32, &lines, on);
        }
        let mut keys: Vec<(u64, u32)> = keys.iter().copied().zip(0..).collect();
        radix_sort(&mut keys, |k| k.0);
        return walk(&keys, |k| k.0, |_, k| k.1, &lines, on);
    }
    let mut keys: Vec<_> = (0..current.len())
        .map(|j| (key(&current.get(j)), j as u32))
        .collect();
    let v4 = incoming.v4.into_iter().map(|(k, p)| (key(&v4_entry(k)), p));
    let other = incoming.other.into_iter().map(|p| (key(&entry_of(p)), p));
    let mut lines: Vec<_> = v4.chain(other).collect();
    keys.sort_unstable();
    // Equal keys in list order.
    lines.sort_unstable_by_key(|k| (k.0, k.1 & !FLAG));
    walk(&keys, |k| k.0, |_, k| k.1, &lines, on)
}

/// A payload bit left to the caller: the rest is the list position.
pub(crate) const FLAG: u32 = 1 << 31;

/// The walk over both sorted sides: `current` by `key`, its elements'
/// positions by `j`.
fn walk<C, K: Ord + Copy>(
    current: &[C],
    key: impl Fn(&C) -> K,
    j: impl Fn(usize, &C) -> u32,
    incoming: &[(K, u32)],
    mut on: impl FnMut(Match),
) {
    let mut c = 0;
    let mut last = None;
    let mut rest = incoming;
    loop {
        let next = rest.first().map(|k| k.0);
        // The shard's elements before the next listed key are not listed.
        while let Some(element) = current.get(c) {
            let k = key(element);
            if next.is_some_and(|next| k >= next) {
                break;
            }
            if last == Some(k) {
                on(Match::Twin(j(c, element)));
            }
            (last, c) = (Some(k), c + 1);
        }
        let Some(next) = next else {
            return;
        };
        let n = rest.iter().take_while(|k| k.0 == next).count();
        let (i, duplicates) = (rest[n - 1].1, n - 1);
        rest = &rest[n..];
        match current.get(c) {
            Some(element) if key(element) == next => {
                on(Match::Listed {
                    j: j(c, element),
                    i,
                    duplicates,
                });
                (last, c) = (Some(next), c + 1);
            }
            _ => on(Match::New { i, duplicates }),
        }
    }
}

/// Sort by key, stably: least significant digit first, over only the bits
/// in which the keys differ, in digits of up to 14 bits and fewer for
/// fewer items (two passes for a 62.5k-element shard of IPv4 addresses).
fn radix_sort<T: Copy + Default>(items: &mut Vec<T>, key: impl Fn(&T) -> u64) {
    if items.len() < 64 {
        items.sort_by_key(&key);
        return;
    }
    let (all, any) = items.iter().fold((u64::MAX, 0), |(all, any), item| {
        let k = key(item);
        (all & k, any | k)
    });
    let differ = all ^ any;
    if differ == 0 {
        return;
    }
    let (low, high) = (differ.trailing_zeros(), 64 - differ.leading_zeros());
    let digit = (usize::BITS - items.len().leading_zeros()).clamp(10, 16) - 2;
    let passes = (high - low).div_ceil(digit);
    let width = (high - low).div_ceil(passes);
    let mask = (1u64 << width) - 1;
    let mut other = vec![T::default(); items.len()];
    let mut next = vec![0usize; 1 << width];
    for pass in 0..passes {
        let shift = low + pass * width;
        next.fill(0);
        for item in items.iter() {
            next[(key(item) >> shift & mask) as usize] += 1;
        }
        let mut sum = 0;
        for slot in next.iter_mut() {
            (*slot, sum) = (sum, sum + *slot);
        }
        for item in items.iter() {
            let slot = &mut next[(key(item) >> shift & mask) as usize];
            other[*slot] = *item;
            *slot += 1;
        }
        std::mem::swap(items, &mut other);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::addr::{parse_entry, AddrFamily, SetType};
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn radix_sorts_stably(keys in proptest::collection::vec(0u64..5000, 0..300), high in any::<u64>()) {
            let mut items: Vec<(u64, u32)> =
                keys.iter().enumerate().map(|(p, &k)| (k ^ (high & 0xff00_0000), p as u32)).collect();
            let mut expected = items.clone();
            expected.sort_by_key(|k| k.0);
            radix_sort(&mut items, |k| k.0);
            prop_assert_eq!(items, expected);
        }
    }

    /// What matching finds, with each element named rather than numbered.
    fn run(current: &[&str], listed: &[&str], family: AddrFamily, reorder: bool) -> Vec<String> {
        let e = |t: &&str| parse_entry(t, SetType::HashNet, family).unwrap();
        let mut elements = Elements::default();
        for t in current {
            elements.push(e(t));
        }
        let listed: Vec<Entry> = listed.iter().map(e).collect();
        let mut incoming = Incoming::default();
        for (i, entry) in listed.iter().enumerate() {
            incoming.push(entry, i as u32);
        }
        let mut found = Vec::new();
        matches(
            &mut elements,
            reorder,
            incoming,
            |p| listed[p as usize],
            |m| found.push(m),
        );
        let mut shown: Vec<String> = found
            .into_iter()
            .map(|m| match m {
                Match::Twin(j) => format!("twin {}", elements.get(j as usize)),
                Match::Listed { j, i, duplicates } => {
                    format!("listed {} by {i} +{duplicates}", elements.get(j as usize))
                }
                Match::New { i, duplicates } => {
                    format!("new {} by {i} +{duplicates}", listed[i as usize])
                }
            })
            .collect();
        shown.sort();
        shown
    }

    #[test]
    fn finds_listed_new_duplicate_and_twin_elements() {
        for (family, a, b, c) in [
            (AddrFamily::Inet, "10.0.0.1", "10.0.0.0/24", "10.0.0.9"),
            (
                AddrFamily::Inet6,
                "2001:db8::1",
                "2001:db8::/64",
                "2001:db8::9",
            ),
        ] {
            for reorder in [false, true] {
                let found = run(&[a, b, c, b], &[c, a, c, c, b], family, reorder);
                let mut want = [
                    format!("listed {a} by 1 +0"),
                    format!("listed {b} by 4 +0"),
                    format!("listed {c} by 3 +2"),
                    format!("twin {b}"),
                ];
                want.sort();
                assert_eq!(found, want, "{family} {reorder}");
                let found = run(&[a], &[c, c], family, reorder);
                assert_eq!(found, [format!("new {c} by 1 +1")], "{family} {reorder}");
            }
        }
    }

    #[test]
    fn a_shard_turns_general_at_its_first_ipv6_element() {
        let mut elements = Elements::default();
        let v4 = parse_entry("10.0.0.0/8", SetType::HashNet, AddrFamily::Inet).unwrap();
        let v6 = parse_entry("2001:db8::/32", SetType::HashNet, AddrFamily::Inet6).unwrap();
        elements.push(v4);
        elements.push(v6);
        assert_eq!((elements.get(0), elements.get(1)), (v4, v6));
    }
}
