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
use crate::prefix::levels::Reduce;
use crate::records::{strip_number, Records};
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
    /// `--route auto`: `routing` is chosen from the entries whenever a load
    /// or sync fills the family while it is empty (until then it is the
    /// type's default).
    pub route_auto: bool,
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
    /// hash:net only: `off` stores each entry as given; otherwise the shards
    /// store the entries' addresses in fewer prefix lengths (`--reduce`).
    #[serde(serialize_with = "as_text")]
    pub reduce: Reduce,
}

fn as_text<S: serde::Serializer>(value: &Reduce, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(value)
}

impl FamilySpec {
    /// Whether `reduce` fits the rest of the definition: only hash:net
    /// families with `bits:S` routing and no per-entry extensions store
    /// coverage (merged and expanded pieces cannot keep one entry's
    /// timeout, comment or counters).
    pub fn check_reduce(&self) -> Result<(), String> {
        if self.reduce == Reduce::Off {
            return Ok(());
        }
        if self.set_type != SetType::HashNet {
            return Err(format!(
                "--reduce {} is for hash:net families (a hash:ip entry has one prefix length)",
                self.reduce
            ));
        }
        if self.routing == Routing::Hash {
            return Err("--reduce needs bits:S routing".into());
        }
        if self.has_extensions() {
            return Err(format!(
                "--reduce {} stores merged and expanded pieces, which cannot keep one entry's timeout, comment or counters: use --reduce off with --timeout, --comment or --counters",
                self.reduce
            ));
        }
        Ok(())
    }

    /// Is this family (as found) the one `want` asks for? As `==`, except
    /// that where both leave routing to the data (`--route auto`), the bits
    /// chosen may differ from `want`'s placeholder.
    pub fn is_as_wanted(&self, want: &FamilySpec) -> bool {
        if self.route_auto && want.route_auto {
            *self
                == FamilySpec {
                    routing: self.routing,
                    ..want.clone()
                }
        } else {
            self == want
        }
    }

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
                if self.route_auto {
                    format!("auto/{}", self.routing)
                } else {
                    self.routing.to_string()
                },
                self.hashsize,
                self.maxelem,
                self.timeout.map_or_else(|| "none".to_string(), |t| t.to_string()),
                u8::from(self.counters),
                u8::from(self.comment),
            ) + &match self.reduce {
                Reduce::Off => String::new(),
                other => format!(" reduce={other}"),
            },
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

    /// Is `comment` `encode(index)`, optionally followed by the records of
    /// an operation in progress? Returns those records (empty if none).
    pub fn matches_with_records(&self, family: &str, comment: &str, index: u32) -> Option<Records> {
        let canonical_len = self.encode_len(index);
        let (head, tail) = (comment.get(..canonical_len)?, &comment[canonical_len..]);
        if !self.matches(head, index) {
            return None;
        }
        Records::parse(family, tail)
    }

    fn encode_len(&self, index: u32) -> usize {
        MAGIC.len()
            + FORMAT_VERSION.to_string().len()
            + " shard=".len()
            + index.to_string().len()
            + 1
            + self.shards.to_string().len()
            + 1
            + self.rest.len()
    }
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
    let (route_auto, routing) = match get("route")?.strip_prefix("auto/") {
        Some(chosen) => (true, chosen.parse::<Routing>()?),
        None => (false, get("route")?.parse::<Routing>()?),
    };
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
        route_auto,
        hashsize: num("hashsize")?,
        maxelem: num("maxelem")?,
        timeout,
        counters: flag("counters")?,
        comment: flag("comment")?,
        reduce: match map.get("reduce") {
            None => Reduce::Off,
            Some(v) => v.parse()?,
        },
    };
    spec.check_reduce()?;
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
        route_auto: false,
        hashsize: 64,
        maxelem: 4096,
        timeout: None,
        counters: false,
        comment: false,
        reduce: Reduce::Off,
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
            reduce: Reduce::Off,
            route_auto: false,
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
    fn reduce_and_auto_routing_round_trip_and_are_checked() {
        let plain = FamilySpec {
            timeout: None,
            counters: false,
            comment: false,
            route_auto: true,
            ..spec()
        };
        for reduce in [Reduce::Auto, Reduce::Percent(10_000), Reduce::Off] {
            let s = FamilySpec {
                reduce,
                ..plain.clone()
            };
            let c = s.encode(1023);
            assert!(c.len() <= 200, "{c}");
            assert!(c.contains("route=auto/bits:64"), "{c}");
            assert_eq!(decode("web", &c).unwrap(), (s, 1023));
        }
        // Older metadata (no reduce field) reads as off.
        let c = plain.encode(0);
        assert!(!c.contains("reduce"), "{c}");
        // Reduction with per-entry extensions, or of hash:ip, is refused.
        let bad = FamilySpec {
            reduce: Reduce::Auto,
            ..spec()
        };
        assert!(decode("web", &bad.encode(0)).is_err());
        let bad = FamilySpec {
            reduce: Reduce::Auto,
            set_type: SetType::HashIp,
            ..plain.clone()
        };
        assert!(bad.check_reduce().unwrap_err().contains("hash:net"));
    }

    #[test]
    fn a_family_with_auto_routing_is_as_wanted_whatever_bits_were_chosen() {
        let want = FamilySpec {
            route_auto: true,
            ..spec()
        };
        let have = FamilySpec {
            routing: Routing::Bits { shift: 20 },
            ..want.clone()
        };
        assert!(have.is_as_wanted(&want));
        let fixed = FamilySpec {
            route_auto: false,
            ..have.clone()
        };
        assert!(!fixed.is_as_wanted(&want));
        assert!(!have.is_as_wanted(&FamilySpec {
            route_auto: false,
            ..want.clone()
        }));
    }

    #[test]
    fn example_is_stable() {
        let s = test_spec(16);
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
    fn records_round_trip_and_name_only_the_familys_own_forms() {
        let s = spec();
        let e = s.encoder();
        let r = Records {
            temps: vec!["web-t3".into(), "web-t17".into()],
            umbrella: Some("web-t9".into()),
            extra: Some((16, 32)),
        };
        let c = format!("{}{}", e.encode(5), r.encode());
        assert!(c.len() <= 255, "{}", c.len());
        assert_eq!(e.matches_with_records("web", &c, 5), Some(r));
        assert_eq!(
            e.matches_with_records("web", &e.encode(5), 5),
            Some(Records::default())
        );
        assert!(!e.matches(&c, 5));
        for bad in [
            " temp=other-t3",
            " temp=web-s3",
            " temp=web-t03",
            " temp=web-t3 temp=web-t4",
            " extra=32-16",
            " extra=0-2048",
            " umbrella=web-t1 temp=web-t2",
            " owner=me",
            "  temp=web-t3",
        ] {
            let c = format!("{}{bad}", e.encode(5));
            assert_eq!(e.matches_with_records("web", &c, 5), None, "{bad}");
        }
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
