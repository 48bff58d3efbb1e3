//! What a family is asked to be ([`FamilyOptions`], from the command line or
//! a reconcile configuration), turned into a validated [`FamilySpec`]; the
//! kernel's limits on sizes, timeouts and comments. Pure: no kernel access,
//! so every mistake is reported before anything changes.

use std::time::Duration;

use crate::addr::{quoted, AddrFamily, SetType};
use crate::error::{Error, Result};
use crate::meta::FamilySpec;
use crate::naming;
use crate::prefix::levels::Reduce;
use crate::route::{self, Routing};

/// The kernel's largest timeout in seconds (IPSET_MAX_TIMEOUT).
pub const MAX_TIMEOUT_SECS: u64 = 2_147_483;
/// The kernel's smallest hash size (IPSET_MIMINAL_HASHSIZE).
pub const MIN_HASHSIZE: u32 = 64;
/// Longest per-entry comment the kernel stores (IPSET_MAX_COMMENT_SIZE).
pub const MAX_COMMENT_LEN: usize = 255;

/// A per-entry comment as the kernel stores it: 1 to [`MAX_COMMENT_LEN`]
/// bytes of text without control characters (newlines, NUL) or `"`, which
/// the stock `ipset save`/`restore` quoting cannot carry. One rule for `add --comment` and for
/// `comment "..."` in lists.
pub fn check_comment(text: &str) -> std::result::Result<(), String> {
    if text.is_empty() || text.chars().any(|c| c.is_control() || c == '"') {
        return Err("comment must be non-empty text without control characters or '\"'".into());
    }
    if text.len() > MAX_COMMENT_LEN {
        return Err(format!(
            "comment is {} bytes; the kernel keeps at most {MAX_COMMENT_LEN}",
            text.len()
        ));
    }
    Ok(())
}

/// A family as asked for: sizes are for the whole family (as for one set),
/// durations and routing still text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FamilyOptions {
    pub name: String,
    pub set_type: SetType,
    pub family: AddrFamily,
    pub shards: u32,
    /// `bits:S` or `hash`; the type's default if none.
    pub route: Option<String>,
    pub hashsize: u32,
    pub maxelem: u32,
    /// Default entry timeout (seconds or humantime); none: no timeouts.
    pub timeout: Option<String>,
    pub counters: bool,
    pub comment: bool,
    /// `off`, `auto` or a percentage; `off` if none.
    pub reduce: Option<String>,
}

/// Parse a duration: plain seconds (`600`) or humantime (`10m`, `1h30m`).
pub fn parse_timeout(flag: &str, text: &str) -> Result<u32> {
    let secs = match text.trim().parse::<u64>() {
        Ok(s) => s,
        Err(_) => {
            // Not humantime's message: it can quote the text at any length.
            let d: Duration = humantime::parse_duration(text.trim()).map_err(|_| {
                Error::Usage(format!(
                    "{flag} {}: not a duration (use seconds like 600, or 10m, 1h30m)",
                    quoted(text)
                ))
            })?;
            if d.subsec_nanos() != 0 {
                return Err(Error::Usage(format!(
                    "{flag} {}: the kernel counts whole seconds",
                    quoted(text)
                )));
            }
            d.as_secs()
        }
    };
    if secs > MAX_TIMEOUT_SECS {
        return Err(Error::Usage(format!(
            "{flag} {}: the kernel's longest timeout is {MAX_TIMEOUT_SECS} seconds (about 24 days)",
            quoted(text)
        )));
    }
    Ok(secs as u32)
}

/// Per-shard size from a family total: ceil(total / shards).
pub fn per_shard(total: u32, shards: u32) -> u32 {
    total.div_ceil(shards).max(1)
}

/// Per-shard hash size: total / shards, a power of two, at least 64.
pub fn per_shard_hashsize(total: u32, shards: u32) -> u32 {
    per_shard(total, shards)
        .max(MIN_HASHSIZE)
        .checked_next_power_of_two()
        .unwrap_or(1 << 31)
}

/// Is `have` the family `want`, as made by a mipset that divided maxelem
/// across the shards (before every shard got the family's maxelem)?
pub fn is_older_maxelem(have: &FamilySpec, want: &FamilySpec) -> bool {
    have.shards > 1
        && have.maxelem == per_shard(want.maxelem, want.shards)
        && *have
            == FamilySpec {
                maxelem: have.maxelem,
                ..want.clone()
            }
}

/// The family `args` asks for, checked: name, routing against type and
/// shard count, sizes divided across the shards, timeout.
pub fn family_spec(args: &FamilyOptions) -> Result<FamilySpec> {
    naming::validate_family_name(&args.name).map_err(Error::Usage)?;
    let (set_type, family) = (args.set_type, args.family);
    // hash:net defaults to auto: its routing decides how many shards a
    // network is copied into, and the best bits depend on the list.
    let auto = match args.route.as_deref() {
        Some("auto") => true,
        Some(_) => false,
        None => set_type == SetType::HashNet,
    };
    let routing: Routing = match &args.route {
        Some(r) if !auto => r.parse().map_err(Error::Usage)?,
        _ => route::default_routing(set_type, family),
    };
    if auto && set_type != SetType::HashNet {
        return Err(Error::Usage(
            "--route auto is for hash:net families (it chooses which bits spread networks over the shards); hash:ip takes bits:S or hash".into(),
        ));
    }
    route::validate(args.shards, routing, set_type, family).map_err(Error::Usage)?;
    if args.maxelem == 0 {
        return Err(Error::Usage("--maxelem must be at least 1".into()));
    }
    if args.hashsize == 0 {
        return Err(Error::Usage("--hashsize must be at least 1".into()));
    }
    let timeout = args
        .timeout
        .as_deref()
        .map(|t| parse_timeout("--timeout", t))
        .transpose()?;
    let reduce = match &args.reduce {
        Some(text) => text.parse().map_err(Error::Usage)?,
        None => Reduce::Off,
    };
    let spec = FamilySpec {
        name: args.name.clone(),
        set_type,
        family,
        shards: args.shards,
        routing,
        route_auto: auto,
        hashsize: per_shard_hashsize(args.hashsize, args.shards),
        // Every shard may hold the whole family's maxelem: capacity like one
        // set, whatever the skew (hashsize is only where the kernel starts).
        maxelem: args.maxelem,
        timeout,
        counters: args.counters,
        comment: args.comment,
        reduce,
    };
    spec.check_reduce().map_err(Error::Usage)?;
    Ok(spec)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comments() {
        assert!(check_comment("allow: web tier (ticket 42)").is_ok());
        assert!(check_comment(&"x".repeat(MAX_COMMENT_LEN)).is_ok());
        for bad in ["", "a\"b", "line\nbreak", "nul\0", "tab\there"] {
            assert!(check_comment(bad).is_err(), "{bad:?}");
        }
        let long = check_comment(&"x".repeat(MAX_COMMENT_LEN + 1)).unwrap_err();
        assert!(long.contains("at most 255"), "{long}");
    }

    #[test]
    fn timeouts() {
        assert_eq!(parse_timeout("--timeout", "600").unwrap(), 600);
        assert_eq!(parse_timeout("--timeout", "10m").unwrap(), 600);
        assert_eq!(parse_timeout("--timeout", "1h30m").unwrap(), 5400);
        assert_eq!(parse_timeout("--timeout", "0").unwrap(), 0);
        assert!(parse_timeout("--timeout", "2147484").is_err());
        assert!(parse_timeout("--timeout", "1.5s").is_err());
        assert!(parse_timeout("--timeout", "-1").is_err());
        assert!(parse_timeout("--timeout", "soon").is_err());
    }

    #[test]
    fn a_family_with_the_older_divided_maxelem_is_recognised() {
        let args = FamilyOptions {
            name: "web".into(),
            set_type: SetType::HashIp,
            family: AddrFamily::Inet,
            shards: 16,
            route: None,
            hashsize: 1024,
            maxelem: 65536,
            timeout: None,
            counters: false,
            comment: false,
            reduce: None,
        };
        let want = family_spec(&args).unwrap();
        assert_eq!(want.maxelem, 65536, "every shard gets the family's maxelem");
        let older = FamilySpec {
            maxelem: 4096,
            ..want.clone()
        };
        assert!(is_older_maxelem(&older, &want));
        assert!(!is_older_maxelem(&want, &want));
        let other = FamilySpec {
            maxelem: 4097,
            ..want.clone()
        };
        assert!(!is_older_maxelem(&other, &want));
        let other = FamilySpec {
            maxelem: 4096,
            counters: true,
            ..want.clone()
        };
        assert!(!is_older_maxelem(&other, &want));
    }

    #[test]
    fn sizes_are_divided_across_shards() {
        assert_eq!(per_shard(65536, 16), 4096);
        assert_eq!(per_shard(1_000_000, 64), 15625);
        assert_eq!(per_shard(10, 16), 1);
        assert_eq!(per_shard(u32::MAX, 1), u32::MAX);
        assert_eq!(per_shard_hashsize(1024, 16), 64);
        assert_eq!(per_shard_hashsize(1024, 1024), 64);
        assert_eq!(per_shard_hashsize(1_000_000, 16), 65536);
        assert_eq!(per_shard_hashsize(u32::MAX, 1), 1 << 31);
    }
}
