//! Names of the kernel sets that make up a family.
//!
//! A family `web` is the umbrella list:set `web` plus shards `web-s0` ..
//! `web-s{N-1}`. The kernel limits set names to 31 bytes
//! (IPSET_MAXNAMELEN 32 including the NUL), so a family name may use at most
//! 31 - len("-s1023") = 25 bytes. Suffixes `-tN` are reserved for the
//! temporary sets of atomic replacement.

use crate::addr::quoted;

/// The kernel's longest set name, in bytes.
pub const MAX_SET_NAME_LEN: usize = 31;
/// The longest suffix mipset appends: `-s1023` for the largest family.
pub const LONGEST_SUFFIX: &str = "-s1023";
/// The longest family name that leaves room for every shard suffix.
pub const MAX_FAMILY_NAME_LEN: usize = MAX_SET_NAME_LEN - LONGEST_SUFFIX.len();

/// [`validate_family_name`] as mipset's error: a usage error (exit 2),
/// found before the kernel is touched.
pub fn check_family_name(name: &str) -> crate::error::Result<()> {
    validate_family_name(name).map_err(crate::error::Error::Usage)
}

/// Check a family name: 1 to 25 bytes of `[A-Za-z0-9_.-]`, not starting with
/// `-` or `.` (ipset would read a leading `-` as an option).
pub fn validate_family_name(name: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err("family name is empty".to_string());
    }
    if let Some(bad) = name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-')))
    {
        return Err(format!(
            "family name {} contains {:?}; use only letters, digits, '_', '.' and '-'",
            quoted(name),
            bad
        ));
    }
    if name.starts_with('-') || name.starts_with('.') {
        return Err(format!(
            "family name {} must start with a letter, digit or '_'",
            quoted(name)
        ));
    }
    if let Some((_, suffix)) = name.rsplit_once('-') {
        let reserved = suffix.len() > 1
            && (suffix.starts_with('s') || suffix.starts_with('t'))
            && suffix[1..].bytes().all(|b| b.is_ascii_digit());
        if reserved {
            return Err(format!(
                "family name {} ends in '-{suffix}', which mipset reserves for shards (-sN) and temporary sets (-tN)",
                quoted(name)
            ));
        }
    }
    if name.len() > MAX_FAMILY_NAME_LEN {
        return Err(format!(
            "family name {} is {} characters; the limit is {MAX_FAMILY_NAME_LEN} (the kernel allows {MAX_SET_NAME_LEN} per set name and mipset appends up to '{LONGEST_SUFFIX}')",
            quoted(name),
            name.len()
        ));
    }
    Ok(())
}

/// The name of the temporary set that replaces shard `index` of `family`.
pub fn temp_name(family: &str, index: u32) -> String {
    format!("{family}-t{index}")
}

/// The name of shard `index` of `family`.
pub fn shard_name(family: &str, index: u32) -> String {
    format!("{family}-s{index}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limit_leaves_room_for_every_suffix() {
        assert_eq!(MAX_FAMILY_NAME_LEN, 25);
        let longest = "a".repeat(MAX_FAMILY_NAME_LEN);
        assert!(validate_family_name(&longest).is_ok());
        assert_eq!(shard_name(&longest, 1023).len(), MAX_SET_NAME_LEN);
        let e = validate_family_name(&"a".repeat(26)).unwrap_err();
        assert!(e.contains("the limit is 25"), "{e}");
    }

    #[test]
    fn bad_names_are_refused() {
        for bad in [
            "", "-x", ".x", "a b", "a/b", "a\"b", "é", "a\nb", "web-s1", "web-t12",
        ] {
            assert!(validate_family_name(bad).is_err(), "{bad:?}");
        }
        for good in [
            "web",
            "Web_1",
            "k8s.pods-v4",
            "_x",
            "9",
            "web-s",
            "web-sx1",
            "web-v4",
        ] {
            assert!(validate_family_name(good).is_ok(), "{good:?}");
        }
    }

    #[test]
    fn shard_names() {
        assert_eq!(shard_name("web", 0), "web-s0");
        assert_eq!(shard_name("web", 15), "web-s15");
    }
}
