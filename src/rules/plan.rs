//! The rules of one layout, planned as text (pure): the user's rule and the
//! dispatch chains behind it, exactly as `iptables-save` prints them, so
//! that what is planned can be compared with what is installed.
//!
//! Layouts:
//! * `umbrella`: one rule `-m set --match-set FAMILY DIR -j TARGET` on the
//!   list:set. Any routing; the kernel probes the shards one by one, so a
//!   miss costs N set lookups.
//! * `linear`: the user's rule jumps to a chain holding one rule per shard,
//!   `-d K<<S/(N-1)<<S -m set --match-set FAMILY-sK DIR -j TARGET`
//!   (a non-contiguous mask picks the tag bits). Up to N header matches
//!   and exactly one set lookup per packet.
//! * `twolevel`: the rule jumps to a chain with one `-g` per group of the
//!   high half of the tag bits; each group's chain holds one rule per shard
//!   of the group, as in `linear`: about 2*sqrt(N) header matches, one goto.
//! * `tree`: a binary tree of chains, one tag bit per level, entered with
//!   `-g` (goto) so that a miss returns straight to the user's chain:
//!   log2(N) header matches and one set lookup per packet.

use std::net::{Ipv4Addr, Ipv6Addr};

use super::spec::{Layout, RuleSpec};
use crate::addr::AddrFamily;
use crate::meta::FamilySpec;
use crate::route::Routing;

/// The rules of one rule spec: the user's rule and its dispatch chains.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// Arguments of the user's rule, as `iptables-save` prints them after
    /// `-A CHAIN`.
    pub rule: String,
    /// Dispatch chains in creation order with their rules (same format).
    pub chains: Vec<(String, Vec<String>)>,
}

/// `addr/mask` for a header match, printed as iptables prints it (a mask
/// of leading ones as a prefix length).
fn masked(family: AddrFamily, value: u128, mask: u128) -> String {
    let width = family.width();
    let full = if width == 32 {
        u128::from(u32::MAX)
    } else {
        u128::MAX
    };
    let ones = mask.count_ones();
    let is_prefix = ones > 0 && mask == (full >> (width - ones)) << (width - ones);
    let addr = |v: u128| match family {
        AddrFamily::Inet => Ipv4Addr::from(v as u32).to_string(),
        AddrFamily::Inet6 => inet_ntop6(Ipv6Addr::from(v)),
    };
    if is_prefix {
        format!("{}/{ones}", addr(value))
    } else {
        format!("{}/{}", addr(value), addr(mask))
    }
}

/// An IPv6 address as glibc's `inet_ntop` (and so ip6tables) prints it:
/// like Rust's `Display`, except that an address whose first 96 bits are
/// zero and whose next 16 are not is printed IPv4-compatible (`::0.1.0.0`).
fn inet_ntop6(a: Ipv6Addr) -> String {
    let s = a.segments();
    if s[..6] == [0; 6] && s[6] != 0 {
        let [.., a, b, c, d] = a.octets();
        return format!("::{}", Ipv4Addr::new(a, b, c, d));
    }
    a.to_string()
}

/// The one rule of the umbrella layout (the umbrella is named after the
/// family, so the family's definition is not needed).
pub fn umbrella_rule(spec: &RuleSpec) -> String {
    format!(
        "-m set --match-set {} {} -m comment --comment \"{}\" -j {}",
        spec.family,
        spec.direction.as_str(),
        spec.comment(),
        spec.jump
    )
}

/// Plan the rules for `spec` on `family` (validated).
pub fn plan(spec: &RuleSpec, family: &FamilySpec) -> Plan {
    let dir = spec.direction.as_str();
    let comment = spec.comment();
    if spec.layout == Layout::Umbrella {
        return Plan {
            rule: umbrella_rule(spec),
            chains: Vec::new(),
        };
    }
    let shift = match family.routing {
        Routing::Bits { shift } => shift,
        Routing::Hash => 0, // refused by validate
    };
    let base = spec.base_chain();
    let flag = spec.direction.header_flag();
    let n = family.shards;
    let set_rule = |k: u32| {
        format!(
            "-m set --match-set {} {dir} -j {}",
            family.shard_name(k),
            spec.jump
        )
    };
    let header = |value: u128, mask: u128| {
        format!(
            "{flag} {}",
            masked(family.family, value << shift, mask << shift)
        )
    };
    let mut chains = Vec::new();
    match spec.layout {
        Layout::Linear => {
            let rules = (0..n)
                .map(|k| {
                    if n == 1 {
                        set_rule(k)
                    } else {
                        format!(
                            "{} {}",
                            header(u128::from(k), u128::from(n - 1)),
                            set_rule(k)
                        )
                    }
                })
                .collect();
            chains.push((base.clone(), rules));
        }
        Layout::TwoLevel => {
            // Root: one goto per group of the high tag bits (the last one
            // unconditional); each group's chain: one rule per low tag bit
            // pattern, as in `linear`.
            let bits = n.trailing_zeros();
            let (hi, lo) = (bits / 2, bits - bits / 2);
            let group_rules = |group: u32| -> Vec<String> {
                (0..1u32 << lo)
                    .map(|j| {
                        let k = (group << lo) | j;
                        if lo == 0 {
                            set_rule(k)
                        } else {
                            format!(
                                "{} {}",
                                header(u128::from(j), (1u128 << lo) - 1),
                                set_rule(k)
                            )
                        }
                    })
                    .collect()
            };
            if hi == 0 {
                chains.push((base.clone(), group_rules(0)));
            } else {
                let groups = 1u32 << hi;
                let root = (0..groups)
                    .map(|g| {
                        if g + 1 == groups {
                            format!("-g {base}-{g}")
                        } else {
                            format!(
                                "{} -g {base}-{g}",
                                header(u128::from(g) << lo, ((1u128 << hi) - 1) << lo)
                            )
                        }
                    })
                    .collect();
                chains.push((base.clone(), root));
                for g in 0..groups {
                    chains.push((format!("{base}-{g}"), group_rules(g)));
                }
            }
        }
        Layout::Tree | Layout::Umbrella => {
            let levels = n.trailing_zeros();
            let node_name = |index: u32| {
                if index == 1 {
                    base.clone()
                } else {
                    format!("{base}-{index}")
                }
            };
            if levels == 0 {
                chains.push((base.clone(), vec![set_rule(0)]));
            }
            // Node (depth d, tag prefix p) has index (1 << d) | p.
            for depth in 0..levels {
                let bit = 1u128 << depth;
                for prefix in 0..(1u32 << depth) {
                    let index = (1u32 << depth) | prefix;
                    let one = prefix | (1 << depth);
                    let rules = if depth + 1 < levels {
                        let child = |p: u32| node_name((1u32 << (depth + 1)) | p);
                        vec![
                            format!("{} -g {}", header(bit, bit), child(one)),
                            format!("-g {}", child(prefix)),
                        ]
                    } else {
                        vec![
                            format!("{} {}", header(bit, bit), set_rule(one)),
                            format!("{} -j RETURN", header(bit, bit)),
                            set_rule(prefix),
                        ]
                    };
                    chains.push((node_name(index), rules));
                }
            }
        }
    }
    Plan {
        rule: format!("-m comment --comment \"{comment}\" -j {base}"),
        chains,
    }
}

#[cfg(test)]
mod tests {
    use super::super::save::comment_of;
    use super::super::spec::fixtures::{family, spec};
    use super::super::spec::{parse_comment, MAX_CHAIN_LEN};
    use super::*;

    #[test]
    fn linear_masks_pick_the_tag_bits() {
        let p = plan(&spec(Layout::Linear), &family(16, 0, AddrFamily::Inet));
        assert_eq!(p.chains.len(), 1);
        let rules = &p.chains[0].1;
        assert_eq!(rules.len(), 16);
        assert_eq!(
            rules[3],
            "-d 0.0.0.3/0.0.0.15 -m set --match-set web-s3 dst -j ACCEPT"
        );
        let p = plan(&spec(Layout::Linear), &family(4, 8, AddrFamily::Inet6));
        assert_eq!(
            p.chains[0].1[2],
            "-d ::200/::300 -m set --match-set web-s2 dst -j ACCEPT"
        );
        // Top bits form a prefix: printed as a prefix length, as iptables does.
        let p = plan(&spec(Layout::Linear), &family(4, 30, AddrFamily::Inet));
        assert_eq!(
            p.chains[0].1[1],
            "-d 64.0.0.0/2 -m set --match-set web-s1 dst -j ACCEPT"
        );
    }

    #[test]
    fn tree_has_one_chain_per_inner_node_and_reaches_every_shard_once() {
        for n in [1u32, 2, 4, 16, 64, 1024] {
            let p = plan(&spec(Layout::Tree), &family(n, 0, AddrFamily::Inet));
            assert_eq!(p.chains.len() as u32, (n - 1).max(1), "n={n}");
            let mut seen = vec![0; n as usize];
            for (_, rules) in &p.chains {
                for r in rules {
                    if let Some(i) = r.find("--match-set web-s") {
                        let k: usize = r[i + 17..].split(' ').next().unwrap().parse().unwrap();
                        seen[k] += 1;
                    }
                }
            }
            assert!(seen.iter().all(|&c| c == 1), "n={n}: {seen:?}");
            assert!(p.chains.iter().all(|(name, _)| name.len() <= MAX_CHAIN_LEN));
        }
    }

    /// Walk the planned chains like the kernel would, for one address.
    fn walk(p: &Plan, addr: u32) -> Vec<String> {
        let matches = |r: &str| {
            let Some(h) = r.strip_prefix("-d ") else {
                return true;
            };
            let am = h.split(' ').next().unwrap();
            let (a, m) = am.split_once('/').unwrap();
            let a: u32 = a.parse::<Ipv4Addr>().unwrap().into();
            let m: u32 = match m.parse::<u32>() {
                Ok(len) => u32::MAX << (32 - len),
                Err(_) => m.parse::<Ipv4Addr>().unwrap().into(),
            };
            addr & m == a
        };
        let mut probed = Vec::new();
        let mut chain = p.chains[0].0.clone();
        'chains: loop {
            let rules = &p.chains.iter().find(|(c, _)| *c == chain).unwrap().1;
            for r in rules {
                if !matches(r) {
                    continue;
                }
                if let Some(i) = r.find("--match-set ") {
                    probed.push(r[i + 12..].split(' ').next().unwrap().to_string());
                    continue; // a miss goes on to the next rule
                }
                if r.ends_with("-j RETURN") {
                    break 'chains;
                }
                if let Some(i) = r.find("-g ") {
                    chain = r[i + 3..].to_string();
                    continue 'chains;
                }
            }
            break;
        }
        probed
    }

    #[test]
    fn every_address_probes_exactly_its_own_shard() {
        for layout in [Layout::Linear, Layout::Tree, Layout::TwoLevel] {
            for (n, shift) in [(1, 0), (2, 0), (4, 1), (16, 0), (32, 2), (64, 3), (8, 29)] {
                let f = family(n, shift, AddrFamily::Inet);
                let p = plan(&spec(layout), &f);
                for addr in (0..5000u32).map(|i| i.wrapping_mul(2_654_435_761)) {
                    let tag = if n == 1 { 0 } else { (addr >> shift) & (n - 1) };
                    assert_eq!(
                        walk(&p, addr),
                        vec![format!("web-s{tag}")],
                        "{layout} n={n} S={shift} addr={addr:#x}"
                    );
                }
            }
        }
    }

    #[test]
    fn ipv6_masks_print_as_glibc_prints_them() {
        for (v, want) in [
            (0u128, "::"),
            (1, "::1"),
            (0x1_0000, "::0.1.0.0"),
            (0x3_0000_0000, "::3:0:0"),
            (0xffff_7f00_0001, "::ffff:127.0.0.1"),
            (0x100, "::100"),
            (1u128 << 64, "0:0:0:1::"),
        ] {
            assert_eq!(inet_ntop6(Ipv6Addr::from(v)), want, "{v:#x}");
        }
    }

    #[test]
    fn comments_round_trip_and_foreign_ones_are_ignored() {
        let mut s = spec(Layout::Tree);
        s.note = Some("allow: web tier (ticket 42)".into());
        let c = s.comment();
        assert_eq!(parse_comment(&c, "filter", "INPUT"), Some(s.clone()));
        assert_eq!(parse_comment("mipsetx family=web", "filter", "INPUT"), None);
        assert_eq!(parse_comment("allow web", "filter", "INPUT"), None);
        assert_eq!(
            parse_comment("mipset family=web match=both jump=A layout=tree", "f", "C"),
            None
        );
        let p = plan(&s, &family(4, 0, AddrFamily::Inet));
        assert_eq!(comment_of(&p.rule), Some(c.as_str()));
    }
}
