//! Addresses and CIDRs as a family stores them: parsing, validation against
//! the family's set type and address family, and canonical form.
//!
//! Pure: no I/O. Every message names the offending text, so callers only add
//! where it came from (`file:line`).

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::str::FromStr;

use serde::Serialize;

/// The kernel set type of every shard of a family.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, clap::ValueEnum)]
pub enum SetType {
    // `hash:ip`: single host addresses.
    #[serde(rename = "hash:ip")]
    #[value(name = "hash:ip")]
    HashIp,
    // `hash:net`: network blocks (CIDRs) of any prefix length.
    #[serde(rename = "hash:net")]
    #[value(name = "hash:net")]
    HashNet,
}

impl SetType {
    pub fn as_str(self) -> &'static str {
        match self {
            SetType::HashIp => "hash:ip",
            SetType::HashNet => "hash:net",
        }
    }
}

impl fmt::Display for SetType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The same spellings as the command line (one table: the `ValueEnum`).
impl FromStr for SetType {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        <SetType as clap::ValueEnum>::from_str(s, false).map_err(|_| {
            format!(
                "unknown set type {}: mipset families are hash:ip or hash:net",
                quoted(s)
            )
        })
    }
}

/// The address family of a family's shards, named as ipset names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum AddrFamily {
    #[value(alias = "ipv4", alias = "4")]
    Inet,
    #[value(alias = "ipv6", alias = "6")]
    Inet6,
}

impl AddrFamily {
    pub fn as_str(self) -> &'static str {
        match self {
            AddrFamily::Inet => "inet",
            AddrFamily::Inet6 => "inet6",
        }
    }

    /// Address width in bits: 32 or 128.
    pub fn width(self) -> u32 {
        match self {
            AddrFamily::Inet => 32,
            AddrFamily::Inet6 => 128,
        }
    }

    fn ip_word(self) -> &'static str {
        match self {
            AddrFamily::Inet => "IPv4",
            AddrFamily::Inet6 => "IPv6",
        }
    }

    pub fn of(addr: &IpAddr) -> AddrFamily {
        match addr {
            IpAddr::V4(_) => AddrFamily::Inet,
            IpAddr::V6(_) => AddrFamily::Inet6,
        }
    }
}

impl fmt::Display for AddrFamily {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The same spellings as the command line (one table: the `ValueEnum`).
impl FromStr for AddrFamily {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        <AddrFamily as clap::ValueEnum>::from_str(s, false)
            .map_err(|_| format!("unknown address family {}: use inet or inet6", quoted(s)))
    }
}

/// One element of a family: a host address, or (hash:net only) a network.
/// The address is always the network address (host bits zero), as the kernel
/// stores it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Entry {
    pub addr: IpAddr,
    pub prefix: u8,
}

impl Entry {
    pub fn host(addr: IpAddr) -> Entry {
        Entry {
            addr,
            prefix: AddrFamily::of(&addr).width() as u8,
        }
    }

    pub fn family(&self) -> AddrFamily {
        AddrFamily::of(&self.addr)
    }

    pub fn is_host(&self) -> bool {
        u32::from(self.prefix) == self.family().width()
    }

    /// The address as an unsigned integer (IPv4 in the low 32 bits).
    pub fn bits(&self) -> u128 {
        addr_bits(&self.addr)
    }
}

impl fmt::Display for Entry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_host() {
            write!(f, "{}", self.addr)
        } else {
            write!(f, "{}/{}", self.addr, self.prefix)
        }
    }
}

/// The address as an unsigned integer: bit 0 is the least significant bit of
/// the address in network order (IPv4 uses the low 32 bits).
pub fn addr_bits(addr: &IpAddr) -> u128 {
    match addr {
        IpAddr::V4(v4) => u128::from(u32::from(*v4)),
        IpAddr::V6(v6) => u128::from(*v6),
    }
}

fn mask_to_prefix(addr: IpAddr, prefix: u8) -> IpAddr {
    match addr {
        IpAddr::V4(v4) => {
            let mask = if prefix == 0 {
                0
            } else {
                u32::MAX << (32 - u32::from(prefix))
            };
            IpAddr::V4(Ipv4Addr::from(u32::from(v4) & mask))
        }
        IpAddr::V6(v6) => {
            let mask = if prefix == 0 {
                0
            } else {
                u128::MAX << (128 - u32::from(prefix))
            };
            IpAddr::V6(Ipv6Addr::from(u128::from(v6) & mask))
        }
    }
}

/// Longest piece of input a message quotes (an address, a name, a value),
/// so a huge token is reported without being copied into the message.
pub const MAX_TOKEN_IN_MESSAGE: usize = 64;

/// The text in quotes for a message: control characters escaped (never
/// echo escape sequences to a terminal), long text cut.
pub fn quoted(text: &str) -> String {
    if text.len() > MAX_TOKEN_IN_MESSAGE {
        let cut = (0..=MAX_TOKEN_IN_MESSAGE)
            .rev()
            .find(|&i| text.is_char_boundary(i))
            .unwrap_or(0);
        format!("'{}...' ({} bytes)", text[..cut].escape_debug(), text.len())
    } else {
        format!("'{}'", text.escape_debug())
    }
}

/// A name or keyword for a message: bare when it is a short plain word
/// (as every valid one is), else [`quoted`].
pub fn bare_or_quoted(text: &str) -> String {
    let plain = |c: char| c.is_ascii_alphanumeric() || "_.-:".contains(c);
    if !text.is_empty() && text.len() <= MAX_TOKEN_IN_MESSAGE && text.chars().all(plain) {
        text.to_string()
    } else {
        quoted(text)
    }
}

/// A dotted-quad IPv4 address in the one spelling the standard parser
/// accepts (four decimal parts of 1 to 3 digits, each at most 255, no
/// leading zeros), read without it, up to the end of `text` or a `/`: the
/// address and where reading stopped. `None` for anything else, which the
/// standard parser then judges. So this accepts a subset of what it does,
/// with the same value (checked by a test), and errors are unchanged.
fn ipv4_dotted(text: &[u8]) -> Option<(u32, usize)> {
    let (mut addr, mut part, mut digits, mut dots) = (0u32, 0u32, 0, 0);
    let mut at = 0;
    while let Some(&b) = text.get(at) {
        if b.is_ascii_digit() {
            // A second digit after a leading zero: not this spelling.
            if digits == 3 || (digits == 1 && part == 0) {
                return None;
            }
            part = part * 10 + u32::from(b - b'0');
            digits += 1;
        } else if b == b'.' && digits > 0 && part <= 255 && dots < 3 {
            addr = addr << 8 | part;
            (part, digits, dots) = (0, 0, dots + 1);
        } else if b == b'/' {
            break;
        } else {
            return None;
        }
        at += 1;
    }
    (dots == 3 && digits > 0 && part <= 255).then_some((addr << 8 | part, at))
}

/// [`parse_entry`] for the common case, straight from bytes: an IPv4
/// dotted quad, optionally with a prefix of one or two digits, that the
/// family takes. `None` for anything else, also for what [`parse_entry`]
/// refuses, so a caller falls back to it, which decides and words any
/// error. Where this gives an entry, [`parse_entry`] gives the same one
/// (checked by a test).
pub fn parse_entry_quick(text: &[u8], set_type: SetType, family: AddrFamily) -> Option<Entry> {
    if family != AddrFamily::Inet {
        return None;
    }
    let (addr, at) = ipv4_dotted(text)?;
    let prefix = match text[at..] {
        [] => 32,
        [b'/', d @ b'1'..=b'9'] => d - b'0',
        [b'/', a @ b'1'..=b'3', b @ b'0'..=b'9'] => (a - b'0') * 10 + b - b'0',
        _ => return None,
    };
    let host = prefix == 32;
    if prefix > 32 || (set_type == SetType::HashIp && (!host || addr == 0)) {
        return None;
    }
    Some(Entry {
        addr: IpAddr::V4(Ipv4Addr::from(addr & (u32::MAX << (32 - prefix)))),
        prefix,
    })
}

/// Parse `text` as an element of a family with the given set type and address
/// family. Accepts `ADDR` and `ADDR/PREFIX`; for hash:net the address is
/// masked to its network address (as the kernel does).
pub fn parse_entry(text: &str, set_type: SetType, family: AddrFamily) -> Result<Entry, String> {
    // Text that starts and ends with a visible ASCII character has nothing
    // to trim (list lines usually do); anything else is trimmed as before.
    let bytes = text.as_bytes();
    let text = match (bytes.first(), bytes.last()) {
        (Some(a), Some(z)) if a.is_ascii_graphic() && z.is_ascii_graphic() => text,
        _ => text.trim(),
    };
    if text.is_empty() {
        return Err("empty address".to_string());
    }
    let (addr_text, prefix_text) = match text.as_bytes().iter().position(|&b| b == b'/') {
        Some(i) => (&text[..i], Some(&text[i + 1..])),
        None => (text, None),
    };
    let fast = match family {
        AddrFamily::Inet => {
            let whole = |&(_, at): &(u32, usize)| at == addr_text.len();
            ipv4_dotted(addr_text.as_bytes())
                .filter(whole)
                .map(|(a, _)| IpAddr::V4(Ipv4Addr::from(a)))
        }
        AddrFamily::Inet6 => None,
    };
    let addr: IpAddr = match fast.map_or_else(|| addr_text.parse(), Ok) {
        Ok(addr) => addr,
        Err(_) => {
            return Err(format!(
                "{} is not an {} address",
                quoted(text),
                family.ip_word()
            ))
        }
    };
    let addr_family = AddrFamily::of(&addr);
    if addr_family != family {
        return Err(format!(
            "{} is an {} address, but the family holds {} ({})",
            quoted(text),
            addr_family.ip_word(),
            family.ip_word(),
            family
        ));
    }
    let width = family.width();
    let prefix = match prefix_text {
        None => width as u8,
        Some(p) => match p.parse::<u8>() {
            Ok(p) if u32::from(p) <= width => p,
            _ => {
                return Err(format!(
                    "{}: prefix length must be a number from 1 to {width}",
                    quoted(text)
                ))
            }
        },
    };
    if u32::from(prefix) != width && set_type == SetType::HashIp {
        return Err(format!(
            "{} is a network, but hash:ip families hold single addresses (create the family with --type hash:net)",
            quoted(text)
        ));
    }
    if set_type == SetType::HashIp && addr_bits(&addr) == 0 {
        return Err(format!(
            "{}: the kernel cannot store the all-zero address in a hash:ip set",
            quoted(text)
        ));
    }
    if prefix == 0 {
        return Err(format!(
            "{}: the kernel does not accept prefix length 0 in a hash:net set (use /1 twice)",
            quoted(text)
        ));
    }
    Ok(Entry {
        addr: mask_to_prefix(addr, prefix),
        prefix,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Where the quick entry reader gives an entry, the full one gives
        /// the same.
        #[test]
        fn quick_entries_agree_with_parse_entry(
            text in "[0-9./]{0,20}|(1|10|25[0-9]|2[0-9]{1,3}|0)([.](0|1|00|99|25[0-9]|2[0-9]{1,3})){3}(/(0|00|01|1|9|10|24|29|30|31|32|33|39|40|129|[0-9]{1,3}))?",
            net in any::<bool>(),
        ) {
            let t = if net { SetType::HashNet } else { SetType::HashIp };
            if let Some(quick) = parse_entry_quick(text.as_bytes(), t, AddrFamily::Inet) {
                prop_assert_eq!(Ok(quick), parse_entry(&text, t, AddrFamily::Inet));
            }
            prop_assert_eq!(parse_entry_quick(text.as_bytes(), t, AddrFamily::Inet6), None);
        }

        /// The quick IPv4 reader accepts only what the standard parser
        /// accepts, with the same value.
        #[test]
        fn quick_ipv4_agrees_with_the_standard_parser(
            text in "[0-9.]{0,16}|[0-9./:a-f\\x00-\\x7f\\u{80}-\\u{3ff}]{0,16}|(0|00|1|01|9|25[0-9]|2[0-9]{1,3}|[0-9]{1,4})([.](0|00|1|01|9|25[0-9]|2[0-9]{1,3}|[0-9]{1,4}|)){0,5}[.]?",
        ) {
            let std = text.parse::<Ipv4Addr>().ok().map(u32::from);
            let whole = |&(_, at): &(u32, usize)| at == text.len();
            match ipv4_dotted(text.as_bytes()).filter(whole).map(|(a, _)| a) {
                Some(quick) => prop_assert_eq!(Some(quick), std),
                None => prop_assert!(std.is_none(), "{} is valid but not read", text),
            }
        }
    }

    fn ok(text: &str, t: SetType, f: AddrFamily) -> String {
        parse_entry(text, t, f).unwrap().to_string()
    }

    #[test]
    fn host_addresses_parse_in_their_family() {
        assert_eq!(
            ok("10.0.0.1", SetType::HashIp, AddrFamily::Inet),
            "10.0.0.1"
        );
        assert_eq!(
            ok(" 10.0.0.1 ", SetType::HashIp, AddrFamily::Inet),
            "10.0.0.1"
        );
        assert_eq!(
            ok("10.0.0.1/32", SetType::HashIp, AddrFamily::Inet),
            "10.0.0.1"
        );
        assert_eq!(
            ok("2001:db8::1", SetType::HashIp, AddrFamily::Inet6),
            "2001:db8::1"
        );
        assert_eq!(
            ok("2001:db8::1/128", SetType::HashNet, AddrFamily::Inet6),
            "2001:db8::1"
        );
    }

    #[test]
    fn networks_are_masked_to_their_network_address() {
        assert_eq!(
            ok("10.1.2.3/16", SetType::HashNet, AddrFamily::Inet),
            "10.1.0.0/16"
        );
        assert_eq!(
            ok("2001:db8::7/64", SetType::HashNet, AddrFamily::Inet6),
            "2001:db8::/64"
        );
        assert_eq!(
            ok("128.0.0.1/1", SetType::HashNet, AddrFamily::Inet),
            "128.0.0.0/1"
        );
    }

    #[test]
    fn bad_input_gets_a_message_naming_it() {
        let e = parse_entry("10.0.0.300", SetType::HashIp, AddrFamily::Inet).unwrap_err();
        assert_eq!(e, "'10.0.0.300' is not an IPv4 address");
        let e = parse_entry("::1", SetType::HashIp, AddrFamily::Inet).unwrap_err();
        assert!(
            e.contains("is an IPv6 address, but the family holds IPv4"),
            "{e}"
        );
        let e = parse_entry("10.0.0.0/24", SetType::HashIp, AddrFamily::Inet).unwrap_err();
        assert!(e.contains("hash:ip families hold single addresses"), "{e}");
        let e = parse_entry("10.0.0.0/33", SetType::HashNet, AddrFamily::Inet).unwrap_err();
        assert!(
            e.contains("prefix length must be a number from 1 to 32"),
            "{e}"
        );
        let e = parse_entry("10.0.0.0/0", SetType::HashNet, AddrFamily::Inet).unwrap_err();
        assert!(e.contains("prefix length 0"), "{e}");
        let e = parse_entry("10.0.0.0/-1", SetType::HashNet, AddrFamily::Inet).unwrap_err();
        assert!(e.contains("prefix length"), "{e}");
        assert_eq!(
            parse_entry("", SetType::HashNet, AddrFamily::Inet).unwrap_err(),
            "empty address"
        );
        let e = parse_entry("0.0.0.0", SetType::HashIp, AddrFamily::Inet).unwrap_err();
        assert!(e.contains("all-zero address"), "{e}");
        assert!(parse_entry("::", SetType::HashIp, AddrFamily::Inet6).is_err());
        assert!(parse_entry("0.0.0.0", SetType::HashNet, AddrFamily::Inet).is_ok());
        let e = parse_entry("\x1b[31mred", SetType::HashIp, AddrFamily::Inet).unwrap_err();
        assert!(!e.contains('\x1b'), "{e}");
        let huge = "9".repeat(100_000);
        let e = parse_entry(&huge, SetType::HashIp, AddrFamily::Inet).unwrap_err();
        assert!(e.len() < 200, "message stays short: {}", e.len());
        assert!(e.contains("(100000 bytes)"), "{e}");
        let e = parse_entry(
            "ééééééééééééééééééééééééééééééééééééééé",
            SetType::HashIp,
            AddrFamily::Inet,
        )
        .unwrap_err();
        assert!(e.contains("not an IPv4 address"), "{e}");
    }
}
