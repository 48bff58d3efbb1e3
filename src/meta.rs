//! A family's definition and how it is recorded in the kernel.
//!
//! The umbrella list:set `FAMILY` (created with the `comment` extension) has
//! the shards as members, in order, and each member's comment carries the
//! whole definition, for example
//!
//! ```text
//! mipset:v1 shard=3/16 type=hash:ip family=inet route=bits:0 hashsize=64 maxelem=4096 timeout=none counters=0 comment=0
//! ```
//!
//! so any mipset process, and a node that received an `ipset save` dump,
//! rebuilds the family from kernel state alone. The comment must stay within
//! the kernel's 255 bytes and may not contain `"`.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::addr::{AddrFamily, SetType};
use crate::naming;
use crate::route::{self, Routing};

/// The metadata format this mipset writes and reads.
pub const FORMAT_VERSION: u32 = 1;
const MAGIC: &str = "mipset:v";

/// Everything that defines a family. Two families are "the same" for
/// `create --exist` exactly when their specs are equal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FamilySpec {
    /// Family name: the umbrella set's name and the shards' prefix.
    pub name: String,
    /// Kernel set type of every shard.
    #[serde(rename = "type")]
    pub set_type: SetType,
    /// Address family of every shard (`inet` or `inet6`). In JSON this is
    /// `address_family`; `family` always means a family's name.
    #[serde(rename = "address_family")]
    pub family: AddrFamily,
    /// Number of shards (a power of two).
    pub shards: u32,
    /// How an address picks its shard.
    pub routing: Routing,
    /// Initial hash size of each shard.
    pub hashsize: u32,
    /// Maximal number of entries of each shard.
    pub maxelem: u32,
    /// Default entry timeout in seconds (0: permanent unless an add says
    /// otherwise); `None` means the shards have no timeout support.
    pub timeout: Option<u32>,
    /// Shards keep per-entry packet and byte counters.
    pub counters: bool,
    /// Shards accept per-entry comments.
    pub comment: bool,
}

impl FamilySpec {
    pub fn shard_name(&self, index: u32) -> String {
        naming::shard_name(&self.name, index)
    }

    /// Do entries carry a timeout, comment or counters (which a re-add
    /// would reset)?
    pub fn has_extensions(&self) -> bool {
        self.timeout.is_some() || self.comment || self.counters
    }

    pub fn shard_names(&self) -> impl Iterator<Item = String> + '_ {
        (0..self.shards).map(|i| self.shard_name(i))
    }

    /// The metadata comment for shard `index`.
    pub fn encode(&self, index: u32) -> String {
        self.encoder().encode(index)
    }

    /// Encodes the comments of all shards, formatting the shared part once.
    pub fn encoder(&self) -> Encoder {
        Encoder {
            shards: self.shards,
            rest: format!(
                "type={} family={} route={} hashsize={} maxelem={} timeout={} counters={} comment={}",
                self.set_type,
                self.family,
                self.routing,
                self.hashsize,
                self.maxelem,
                self.timeout.map_or_else(|| "none".to_string(), |t| t.to_string()),
                u8::from(self.counters),
                u8::from(self.comment),
            ),
        }
    }
}

/// The metadata comments of one family's shards.
pub struct Encoder {
    shards: u32,
    rest: String,
}

impl Encoder {
    pub fn encode(&self, index: u32) -> String {
        format!(
            "{MAGIC}{FORMAT_VERSION} shard={index}/{} {}",
            self.shards, self.rest
        )
    }

    /// Is `comment` exactly `encode(index)`? Allocation-free: discovery
    /// checks every member on every command.
    pub fn matches(&self, comment: &str, index: u32) -> bool {
        let Some(rest) = comment.strip_prefix(MAGIC) else {
            return false;
        };
        let Some(rest) = strip_number(rest, FORMAT_VERSION) else {
            return false;
        };
        let Some(rest) = rest.strip_prefix(" shard=") else {
            return false;
        };
        let Some(rest) = strip_number(rest, index) else {
            return false;
        };
        let Some(rest) = rest.strip_prefix('/') else {
            return false;
        };
        let Some(rest) = strip_number(rest, self.shards) else {
            return false;
        };
        rest.strip_prefix(' ') == Some(self.rest.as_str())
    }
}

/// Strip the decimal form of `n` (no leading zeros) from the front of `s`.
pub fn strip_number(s: &str, n: u32) -> Option<&str> {
    let digits = s.bytes().take_while(u8::is_ascii_digit).count();
    let (number, rest) = s.split_at(digits);
    let canonical = !number.is_empty() && (number == "0" || !number.starts_with('0'));
    (canonical && number.parse::<u32>() == Ok(n)).then_some(rest)
}

/// Decode one member comment of family `name`; returns the spec and the
/// shard index the comment claims.
pub fn decode(name: &str, comment: &str) -> Result<(FamilySpec, u32), String> {
    let rest = comment
        .strip_prefix(MAGIC)
        .ok_or_else(|| "no mipset metadata".to_string())?;
    let (version, fields) = rest.split_once(' ').unwrap_or((rest, ""));
    let version: u32 = version
        .parse()
        .map_err(|_| format!("unreadable metadata version in '{comment}'"))?;
    if version != FORMAT_VERSION {
        return Err(format!(
            "metadata format v{version}, but this mipset reads v{FORMAT_VERSION} (upgrade mipset)"
        ));
    }
    let mut map = BTreeMap::new();
    for field in fields.split_whitespace() {
        let (k, v) = field
            .split_once('=')
            .ok_or_else(|| format!("bad metadata field '{field}'"))?;
        if map.insert(k, v).is_some() {
            return Err(format!("metadata field '{k}' appears twice"));
        }
    }
    let get = |k: &str| {
        map.get(k)
            .copied()
            .ok_or_else(|| format!("metadata lacks '{k}'"))
    };
    let num = |k: &str| -> Result<u32, String> {
        get(k)?
            .parse()
            .map_err(|_| format!("metadata field '{k}' is not a number"))
    };
    let flag = |k: &str| -> Result<bool, String> {
        match get(k)? {
            "0" => Ok(false),
            "1" => Ok(true),
            other => Err(format!("metadata field '{k}={other}' is not 0 or 1")),
        }
    };
    let (index, shards) = get("shard")?
        .split_once('/')
        .ok_or_else(|| "metadata field 'shard' is not I/N".to_string())?;
    let index: u32 = index.parse().map_err(|_| "bad shard index".to_string())?;
    let shards: u32 = shards.parse().map_err(|_| "bad shard count".to_string())?;
    let set_type: SetType = get("type")?.parse()?;
    let family: AddrFamily = get("family")?.parse()?;
    let routing: Routing = get("route")?.parse()?;
    route::validate(shards, routing, set_type, family)?;
    if index >= shards {
        return Err(format!("shard index {index} is not below {shards}"));
    }
    let timeout = match get("timeout")? {
        "none" => None,
        _ => Some(num("timeout")?),
    };
    let spec = FamilySpec {
        name: name.to_string(),
        set_type,
        family,
        shards,
        routing,
        hashsize: num("hashsize")?,
        maxelem: num("maxelem")?,
        timeout,
        counters: flag("counters")?,
        comment: flag("comment")?,
    };
    Ok((spec, index))
}

/// A plain family for tests: `web`, hash:ip, inet, bits:0 routing,
/// hashsize 64 and maxelem 4096 per shard, no extensions.
#[cfg(test)]
pub(crate) fn test_spec(shards: u32) -> FamilySpec {
    FamilySpec {
        name: "web".into(),
        set_type: SetType::HashIp,
        family: AddrFamily::Inet,
        shards,
        routing: Routing::Bits { shift: 0 },
        hashsize: 64,
        maxelem: 4096,
        timeout: None,
        counters: false,
        comment: false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec() -> FamilySpec {
        FamilySpec {
            name: "web".into(),
            set_type: SetType::HashNet,
            family: AddrFamily::Inet6,
            shards: 1024,
            routing: Routing::Bits { shift: 64 },
            hashsize: 4_294_967_295,
            maxelem: 4_294_967_295,
            timeout: Some(2_147_483),
            counters: true,
            comment: true,
        }
    }

    #[test]
    fn round_trip() {
        let s = spec();
        let c = s.encode(1023);
        assert!(c.len() <= 255, "{}", c.len());
        assert!(!c.contains('"'));
        assert_eq!(decode("web", &c).unwrap(), (s.clone(), 1023));
        let plain = FamilySpec {
            timeout: None,
            counters: false,
            comment: false,
            ..s.clone()
        };
        assert_eq!(decode("web", &plain.encode(0)).unwrap(), (plain, 0));
        let permanent = FamilySpec {
            timeout: Some(0),
            ..s
        };
        assert_eq!(decode("web", &permanent.encode(0)).unwrap(), (permanent, 0));
    }

    #[test]
    fn example_is_stable() {
        let s = FamilySpec {
            name: "web".into(),
            set_type: SetType::HashIp,
            family: AddrFamily::Inet,
            shards: 16,
            routing: Routing::Bits { shift: 0 },
            hashsize: 64,
            maxelem: 4096,
            timeout: None,
            counters: false,
            comment: false,
        };
        assert_eq!(s.encode(3), "mipset:v1 shard=3/16 type=hash:ip family=inet route=bits:0 hashsize=64 maxelem=4096 timeout=none counters=0 comment=0");
    }

    #[test]
    fn encoder_matches_exactly_its_own_text() {
        let s = spec();
        let e = s.encoder();
        for i in [0, 7, 1023] {
            assert!(e.matches(&e.encode(i), i));
            assert!(!e.matches(&e.encode(i), i + 1));
        }
        let c = e.encode(5);
        assert!(!e.matches(&c.replace("shard=5", "shard=05"), 5));
        assert!(!e.matches(&format!("{c} "), 5));
        assert!(!e.matches(&c.replace("maxelem", "maxElem"), 5));
        assert!(!e.matches("", 0));
        assert_eq!(strip_number("12/3", 12), Some("/3"));
        assert_eq!(strip_number("012", 12), None);
        assert_eq!(strip_number("0x", 0), Some("x"));
        assert_eq!(strip_number("99999999999", 1), None);
    }

    #[test]
    fn invalid_metadata_is_refused() {
        let good = spec().encode(1);
        for bad in [
            "",
            "hello",
            "mipset:v2 shard=1/2",
            "mipset:vX",
            &good.replace("shard=1/1024", "shard=1024/1024"),
            &good.replace("shard=1/1024", "shard=1/12"),
            &good.replace("type=hash:net", "type=hash:mac"),
            &good.replace("counters=1", "counters=yes"),
            &good.replace(" maxelem=4294967295", ""),
            &format!("{good} comment=1"),
            &good.replace("route=bits:64", "route=bits:125"),
        ] {
            assert!(decode("web", bad).is_err(), "{bad}");
        }
    }
}
