//! What an operation in progress recorded after a family member's metadata
//! ([`Records`]): the temporaries and resize leftovers the next run may
//! destroy, and nothing else; and the canonical number reader the metadata
//! shares ([`strip_number`]). Pure.

use crate::route;

/// Sets an operation in progress made for a family, recorded after a
/// member's metadata while they exist (` temp=F-t3,F-t7 umbrella=F-t9
/// extra=16-32`), so that the next run (or `check --repair`) may destroy
/// what a killed run left, and nothing else. Only names of the family's own
/// forms can be recorded: `FAMILY-tK` temporaries and `FAMILY-sJ` shards.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Records {
    /// Temporary sets of the family's type (shard rebuilds).
    pub temps: Vec<String>,
    /// A temporary list:set (a resize's old or prepared umbrella).
    pub umbrella: Option<String>,
    /// Shards `lo..hi` that a resize creates or is about to destroy.
    pub extra: Option<(u32, u32)>,
}

impl Records {
    pub fn is_empty(&self) -> bool {
        self.temps.is_empty() && self.umbrella.is_none() && self.extra.is_none()
    }

    /// The text appended to a member's metadata (empty, or with a leading
    /// space).
    pub fn encode(&self) -> String {
        let mut s = String::new();
        if !self.temps.is_empty() {
            s.push_str(&format!(" temp={}", self.temps.join(",")));
        }
        if let Some(u) = &self.umbrella {
            s.push_str(&format!(" umbrella={u}"));
        }
        if let Some((lo, hi)) = self.extra {
            s.push_str(&format!(" extra={lo}-{hi}"));
        }
        s
    }

    /// Parse what [`Records::encode`] wrote for family `family`; None if
    /// it is anything else.
    pub fn parse(family: &str, text: &str) -> Option<Records> {
        let mut r = Records::default();
        if text.is_empty() {
            return Some(r);
        }
        let temp = |n: &str| {
            let k = n.strip_prefix(family)?.strip_prefix("-t")?;
            strip_number(k, k.parse().ok()?)
                .filter(|rest| rest.is_empty())
                .map(|_| n.to_string())
        };
        for field in text.strip_prefix(' ')?.split(' ') {
            let (k, v) = field.split_once('=')?;
            match k {
                "temp" if r.temps.is_empty() && r.umbrella.is_none() && r.extra.is_none() => {
                    r.temps = v.split(',').map(temp).collect::<Option<_>>()?
                }
                "umbrella" if r.umbrella.is_none() && r.extra.is_none() => {
                    r.umbrella = Some(temp(v)?)
                }
                "extra" if r.extra.is_none() => {
                    let (lo, hi) = v.split_once('-')?;
                    let (lo, hi): (u32, u32) = (lo.parse().ok()?, hi.parse().ok()?);
                    if lo >= hi || hi > route::MAX_SHARDS {
                        return None;
                    }
                    r.extra = Some((lo, hi))
                }
                _ => return None,
            }
        }
        (r.encode() == text).then_some(r)
    }
}

/// Strip the decimal form of `n` (no leading zeros) from the front of `s`.
pub fn strip_number(s: &str, n: u32) -> Option<&str> {
    let digits = s.bytes().take_while(u8::is_ascii_digit).count();
    let (number, rest) = s.split_at(digits);
    let canonical = !number.is_empty() && (number == "0" || !number.starts_with('0'));
    (canonical && number.parse::<u32>() == Ok(n)).then_some(rest)
}
