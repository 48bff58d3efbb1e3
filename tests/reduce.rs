//! Families that store coverage (`--reduce`), on the real kernel, each test
//! in its own network namespace: they answer like one stock set of the raw
//! list (addresses, packets), `test`/`add`/`del` of networks are about
//! addresses, `save` prints the minimal cover, bad input changes nothing,
//! `sync` converges, and `--route auto` picks its bits at the first fill.
//!
//! Membership is computed here, independently of mipset's code, from
//! `ipset save` of the shards and the routing in the umbrella's comments
//! (tag = (addr >> S) & (N - 1)); a sample is also asked of `mipset test`
//! and `ipset test` processes.

use std::collections::BTreeSet;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, UdpSocket};
use std::process::Command;
use std::time::{Duration, Instant};

use crate::util::{kernel_tests_enabled, Netns, Rng};

/// Ones in the low `n` bits.
fn low(n: u32) -> u128 {
    if n >= 128 {
        u128::MAX
    } else {
        (1u128 << n) - 1
    }
}

/// A CIDR as numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Net {
    start: u128,
    prefix: u32,
    width: u32,
}

impl Net {
    fn parse(text: &str) -> Net {
        let (addr, prefix) = match text.split_once('/') {
            Some((a, p)) => (a, Some(p.parse::<u32>().expect("prefix"))),
            None => (text, None),
        };
        let addr: IpAddr = addr.parse().unwrap_or_else(|_| panic!("address {text}"));
        let (bits, width) = match addr {
            IpAddr::V4(a) => (u128::from(u32::from(a)), 32),
            IpAddr::V6(a) => (u128::from(a), 128),
        };
        let prefix = prefix.unwrap_or(width);
        assert!(prefix <= width, "{text}");
        Net {
            start: bits & !low(width - prefix),
            prefix,
            width,
        }
    }

    fn last(&self) -> u128 {
        self.start | low(self.width - self.prefix)
    }

    fn top(&self) -> u128 {
        low(self.width)
    }
}

fn show(width: u32, bits: u128) -> IpAddr {
    if width == 32 {
        IpAddr::V4(Ipv4Addr::from(bits as u32))
    } else {
        IpAddr::V6(Ipv6Addr::from(bits))
    }
}

impl std::fmt::Display for Net {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let a = show(self.width, self.start);
        if self.prefix == self.width {
            write!(f, "{a}")
        } else {
            write!(f, "{a}/{}", self.prefix)
        }
    }
}

/// A set of addresses as sorted, disjoint, non-adjacent intervals.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Cover(Vec<(u128, u128)>);

impl Cover {
    fn of(nets: &[Net]) -> Cover {
        let mut v: Vec<(u128, u128)> = nets.iter().map(|n| (n.start, n.last())).collect();
        v.sort();
        let mut out: Vec<(u128, u128)> = Vec::new();
        for (s, e) in v {
            match out.last_mut() {
                Some(last) if s <= last.1.saturating_add(1) => last.1 = last.1.max(e),
                _ => out.push((s, e)),
            }
        }
        Cover(out)
    }

    fn contains(&self, a: u128) -> bool {
        let i = self.0.partition_point(|&(s, _)| s <= a);
        i > 0 && self.0[i - 1].1 >= a
    }

    /// The fewest CIDRs whose union is this set.
    fn minimal_cidrs(&self, width: u32) -> BTreeSet<Net> {
        let mut out = BTreeSet::new();
        for &(s, e) in &self.0 {
            let mut s = s;
            loop {
                let mut host = s.trailing_zeros().min(width);
                while host > 0 && s.checked_add(low(host)).is_none_or(|l| l > e) {
                    host -= 1;
                }
                out.insert(Net {
                    start: s,
                    prefix: width - host,
                    width,
                });
                let next = s + low(host);
                if next >= e {
                    break;
                }
                s = next + 1;
            }
        }
        out
    }
}

fn entries(text: &str) -> Vec<Net> {
    text.lines()
        .map(|l| l.split('#').next().unwrap().trim())
        .filter(|l| !l.is_empty())
        .map(Net::parse)
        .collect()
}

fn gen_blocklist(args: &[&str]) -> String {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/gen-blocklist");
    let out = Command::new("python3")
        .arg(script)
        .args(args)
        .output()
        .expect("run scripts/gen-blocklist");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn list_text(nets: &[Net]) -> String {
    nets.iter().map(|n| format!("{n}\n")).collect()
}

/// A family as the kernel holds it: routing from the umbrella's comments,
/// each shard's elements from `ipset save`.
#[derive(Debug)]
struct Family {
    shards: u32,
    shift: u32,
    width: u32,
    route_auto: bool,
    elements: Vec<Vec<Net>>,
    covers: Vec<Cover>,
}

impl Family {
    fn read(ns: &Netns, name: &str) -> Family {
        Family::parse(&ns.ipset_save(), name)
    }

    fn parse(save: &str, name: &str) -> Family {
        let mut members: Vec<(u32, String)> = Vec::new();
        let (mut shards, mut shift, mut width, mut route_auto) = (0, 0, 0, false);
        let prefix = format!("add {name} ");
        for line in save.lines().filter(|l| l.starts_with(&prefix)) {
            let shard = line.split_whitespace().nth(2).unwrap().to_string();
            let comment = line.split_once("comment \"").expect("metadata").1;
            for field in comment.trim_end_matches('"').split_whitespace() {
                let Some((k, v)) = field.split_once('=') else {
                    continue;
                };
                match k {
                    "shard" => {
                        let (i, n) = v.split_once('/').unwrap();
                        shards = n.parse().unwrap();
                        members.push((i.parse().unwrap(), shard.clone()));
                    }
                    "route" => {
                        route_auto = v.starts_with("auto/");
                        let bits = v.trim_start_matches("auto/");
                        shift = bits
                            .strip_prefix("bits:")
                            .unwrap_or_else(|| panic!("routing {v}"))
                            .parse()
                            .unwrap();
                    }
                    "family" => width = if v == "inet6" { 128 } else { 32 },
                    _ => {}
                }
            }
        }
        assert!(shards > 0, "no family {name} in:\n{save}");
        assert_eq!(members.len(), shards as usize, "{name}: umbrella members");
        members.sort();
        let elements: Vec<Vec<Net>> = members
            .iter()
            .map(|(_, shard)| {
                let p = format!("add {shard} ");
                save.lines()
                    .filter_map(|l| l.strip_prefix(&p))
                    .map(|e| Net::parse(e.split_whitespace().next().unwrap()))
                    .collect()
            })
            .collect();
        let covers = elements.iter().map(|e| Cover::of(e)).collect();
        Family {
            shards,
            shift,
            width,
            route_auto,
            elements,
            covers,
        }
    }

    fn tag(&self, a: u128) -> usize {
        if self.shards == 1 {
            return 0;
        }
        (a.checked_shr(self.shift).unwrap_or(0) & u128::from(self.shards - 1)) as usize
    }

    /// Is address `a` in the family (one shard, by its tag)?
    fn member(&self, a: u128) -> bool {
        self.covers[self.tag(a)].contains(a)
    }

    fn element_count(&self) -> usize {
        self.elements.iter().map(Vec::len).sum()
    }
}

fn prefix_lengths(nets: &[Net]) -> BTreeSet<u32> {
    nets.iter().map(|n| n.prefix).collect()
}

/// Every entry's first and last address and their outside neighbours, and
/// `random` addresses near entries or anywhere.
fn queries(rng: &mut Rng, lists: &[&[Net]], random: usize) -> Vec<u128> {
    let mut q = Vec::new();
    let all: Vec<Net> = lists.iter().flat_map(|l| l.iter().copied()).collect();
    for n in &all {
        q.push(n.start);
        q.push(n.last());
        if n.start > 0 {
            q.push(n.start - 1);
        }
        if n.last() < n.top() {
            q.push(n.last() + 1);
        }
    }
    for i in 0..random {
        let n = all[rng.below(all.len() as u64) as usize];
        let a = match i % 3 {
            0 => n.start | (rng.u128() & low(n.width - n.prefix)),
            1 => {
                let wider = n.prefix.saturating_sub(8);
                (n.start & !low(n.width - wider)) | (rng.u128() & low(n.width - wider))
            }
            _ => rng.u128() & n.top(),
        };
        q.push(a);
    }
    q
}

/// Addresses where `family` and `want` disagree (at most 10 shown).
fn disagreements(family: &Family, want: &dyn Fn(u128) -> bool, queries: &[u128]) -> Vec<String> {
    queries
        .iter()
        .filter(|&&a| family.member(a) != want(a))
        .take(10)
        .map(|&a| {
            format!(
                "{}: family {}, expected {}",
                show(family.width, a),
                family.member(a),
                want(a)
            )
        })
        .collect()
}

fn family_arg(width: u32) -> &'static str {
    if width == 32 {
        "inet"
    } else {
        "inet6"
    }
}

/// A stock hash:net set `name` holding `nets`, read back from the kernel.
fn stock_set(ns: &Netns, name: &str, nets: &[Net]) -> Cover {
    let width = nets[0].width;
    let mut script = format!(
        "create {name} hash:net family {} maxelem 1000000\n",
        family_arg(width)
    );
    for n in nets {
        script.push_str(&format!("add {name} {n}\n"));
    }
    ns.exec_stdin("ipset", &["-exist", "restore"], &script)
        .expect(0);
    let p = format!("add {name} ");
    let held: Vec<Net> = ns
        .ipset_save()
        .lines()
        .filter_map(|l| l.strip_prefix(&p))
        .map(Net::parse)
        .collect();
    Cover::of(&held)
}

fn create_reduced(ns: &Netns, name: &str, width: u32, shards: u32, reduce: &str, extra: &[&str]) {
    let shards = shards.to_string();
    let mut args = vec![
        "create",
        name,
        "--type",
        "hash:net",
        "--family",
        family_arg(width),
        "--shards",
        &shards,
        "--reduce",
        reduce,
        "--maxelem",
        "1000000",
    ];
    args.extend_from_slice(extra);
    ns.mipset(&args).expect(0);
}

/// `mipset test` and `ipset test` processes agree with the computed answer.
fn spot_check(ns: &Netns, family: &str, reference: &str, computed: &Family, addrs: &[u128]) {
    for &a in addrs {
        let text = show(computed.width, a).to_string();
        let by_mipset = ns.mipset(&["test", family, &text]);
        let by_ipset = ns.exec("ipset", &["test", reference, &text]);
        assert!(
            [0, 1].contains(&by_mipset.code),
            "mipset test {family} {text}: {by_mipset:?}"
        );
        assert_eq!(
            by_mipset.code == 0,
            by_ipset.code == 0,
            "mipset test {family} {text} vs ipset test {reference}: {by_mipset:?} {by_ipset:?}"
        );
        assert_eq!(
            by_mipset.code == 0,
            computed.member(a),
            "mipset test {family} {text} vs its shards"
        );
    }
}

/// Load `nets` into families of 1, 4 and 16 shards with each reduction,
/// and compare them with one stock set of the raw list.
fn equivalence(ns: &Netns, tag: &str, nets: &[Net], seed: u64) {
    let width = nets[0].width;
    let mut rng = Rng(seed);
    let reference = format!("one{tag}");
    let one = stock_set(ns, &reference, nets);
    assert_eq!(one, Cover::of(nets), "the stock set holds the raw list");
    let qs = queries(&mut rng, &[nets], 500);
    let raw_levels = prefix_lengths(nets).len();
    let text = list_text(nets);
    let mut spot = 0;
    for shards in [1, 4, 16] {
        for reduce in ["auto", "20", "100"] {
            let name = format!("r{tag}{shards}x{reduce}");
            create_reduced(ns, &name, width, shards, reduce, &[]);
            ns.mipset_stdin(&["load", &name, "-"], &text).expect(0);
            let f = Family::read(ns, &name);
            assert_eq!(f.shards, shards);
            let bad = disagreements(&f, &|a| one.contains(a), &qs);
            assert!(bad.is_empty(), "{name}:\n{}", bad.join("\n"));
            for (i, e) in f.elements.iter().enumerate() {
                assert!(
                    prefix_lengths(e).len() <= raw_levels,
                    "{name} shard {i}: {:?} prefix lengths, the list has {raw_levels}",
                    prefix_lengths(e)
                );
            }
            if reduce == "auto" {
                assert!(
                    f.element_count() <= 2 * nets.len(),
                    "{name}: {} elements for {} entries",
                    f.element_count(),
                    nets.len()
                );
            }
            // A sample through processes: every 9th family gets its turn.
            let sample: Vec<u128> = (0..12)
                .map(|_| qs[rng.below(qs.len() as u64) as usize])
                .collect();
            spot_check(ns, &name, &reference, &f, &sample);
            spot += sample.len();
        }
    }
    assert!(spot >= 100, "{spot} spot checks");
}

#[test]
fn reduced_families_answer_like_one_stock_set() {
    if !kernel_tests_enabled() {
        return;
    }
    let ns = Netns::new();
    let v4 = entries(&gen_blocklist(&["--seed", "11", "--scale", "0.05"]));
    assert!(v4.len() > 2000, "{} entries", v4.len());
    equivalence(&ns, "4", &v4, 0x4ed0);
    let v6 = entries(&gen_blocklist(&[
        "--seed", "12", "--scale", "0.05", "--family", "inet6",
    ]));
    assert!(v6.len() > 300, "{} entries", v6.len());
    equivalence(&ns, "6", &v6, 0x6ed0);
}

// ---------------------------------------------------------------- packets

/// Whether packets to `addr` stay inside the test's namespace: 127.0.0.0/8,
/// ::1, or 2001:db8::/32 (made local on `lo` by the test).
fn stays_local(addr: &IpAddr) -> bool {
    match addr {
        IpAddr::V4(a) => a.octets()[0] == 127,
        IpAddr::V6(a) => *a == Ipv6Addr::LOCALHOST || (u128::from(*a) >> 96) == 0x2001_0db8,
    }
}

/// Send one UDP datagram to each of `dests` from inside `ns` and report
/// which arrived.
fn deliver(ns: &Netns, dests: Vec<IpAddr>) -> Vec<bool> {
    assert!(dests.iter().all(stays_local), "a destination off this host");
    ns.in_thread(move || {
        let any = if dests[0].is_ipv6() {
            "[::]:0"
        } else {
            "0.0.0.0:0"
        };
        let sink = UdpSocket::bind(any).expect("bind the sink");
        sink.set_nonblocking(true).unwrap();
        let port = sink.local_addr().unwrap().port();
        let sender = UdpSocket::bind(any).expect("bind the sender");
        let mut arrived = vec![false; dests.len()];
        let drain = |arrived: &mut Vec<bool>| {
            let mut buf = [0u8; 16];
            while let Ok(n) = sink.recv(&mut buf) {
                assert_eq!(n, 4);
                let i = u32::from_be_bytes(buf[..4].try_into().unwrap()) as usize;
                arrived[i] = true;
            }
        };
        for (i, d) in dests.iter().enumerate() {
            sender
                .send_to(&(i as u32).to_be_bytes(), SocketAddr::new(*d, port))
                .unwrap_or_else(|e| panic!("send to {d}: {e}"));
            drain(&mut arrived);
        }
        let deadline = Instant::now() + Duration::from_millis(100);
        while Instant::now() < deadline {
            drain(&mut arrived);
            std::thread::sleep(Duration::from_millis(5));
        }
        arrived
    })
}

/// Packets counted by the DROP rules on `family`'s shards in raw.
fn dropped(ns: &Netns, width: u32, family: &str) -> u64 {
    let save = if width == 32 {
        "iptables-save"
    } else {
        "ip6tables-save"
    };
    let text = ns.ok(save, &["-c", "-t", "raw"]);
    let set = format!("--match-set {family}-s");
    let rules: Vec<&str> = text
        .lines()
        .filter(|l| l.contains(&set) && l.contains("-j DROP"))
        .collect();
    assert!(!rules.is_empty(), "no rules on {family}:\n{text}");
    rules
        .iter()
        .map(|l| {
            let counters = l.strip_prefix('[').unwrap().split(']').next().unwrap();
            counters.split(':').next().unwrap().parse::<u64>().unwrap()
        })
        .sum()
}

/// Random networks of every prefix length from `lengths` inside `within`.
fn nets_in(rng: &mut Rng, within: Net, lengths: &[u32], each: usize) -> Vec<Net> {
    let mut out = Vec::new();
    for &p in lengths {
        for _ in 0..each {
            let a = within.start | (rng.u128() & low(within.width - within.prefix));
            out.push(Net {
                start: a & !low(within.width - p),
                prefix: p,
                width: within.width,
            });
        }
    }
    out
}

/// Destinations in `within`: one inside each net, the outside neighbours of
/// each, and `random` anywhere in it (never its first or last address).
fn destinations(rng: &mut Rng, within: Net, nets: &[Net], random: usize) -> Vec<u128> {
    let mut d = Vec::new();
    for n in nets {
        d.push(n.start | (rng.u128() & low(n.width - n.prefix)));
        d.push(n.start.wrapping_sub(1));
        d.push(n.last().wrapping_add(1));
    }
    for _ in 0..random {
        d.push(within.start | (rng.u128() & low(within.width - within.prefix)));
    }
    d.retain(|&a| a > within.start && a < within.last());
    d.sort();
    d.dedup();
    d
}

/// Send to `dests`; exactly the covered ones are dropped, and the rules
/// count exactly those.
fn check_packets(ns: &Netns, family: &str, width: u32, cover: &Cover, dests: &[u128], what: &str) {
    let zero = if width == 32 { "iptables" } else { "ip6tables" };
    ns.ok(zero, &["-t", "raw", "-Z"]);
    let covered = dests.iter().filter(|&&a| cover.contains(a)).count();
    assert!(
        covered >= 20 && dests.len() - covered >= 20,
        "{what}: {covered} of {} destinations covered: the test would prove little",
        dests.len()
    );
    let arrived = deliver(ns, dests.iter().map(|&a| show(width, a)).collect());
    let wrong: Vec<String> = dests
        .iter()
        .zip(&arrived)
        .filter(|(a, arrived)| **arrived == cover.contains(**a))
        .take(10)
        .map(|(a, arrived)| format!("{} arrived={arrived}", show(width, *a)))
        .collect();
    assert!(
        wrong.is_empty(),
        "{what}: packets matched wrongly:\n{}",
        wrong.join("\n")
    );
    assert_eq!(
        dropped(ns, width, family),
        covered as u64,
        "{what}: rule counters"
    );
}

fn packets(ns: &Netns, name: &str, within: Net, lengths: &[u32], shards: &str, reduce: &str) {
    let width = within.width;
    let mut rng = Rng(u64::from(width) * 7 + 1);
    create_reduced(ns, name, width, shards.parse().unwrap(), reduce, &[]);
    // The rule first: the first load re-routes and must rebuild it.
    ns.mipset(&[
        "rule",
        "add",
        name,
        "--table",
        "raw",
        "--chain",
        "PREROUTING",
        "--match",
        "dst",
        "--jump",
        "DROP",
    ])
    .expect(0);
    let mut a = nets_in(&mut rng, within, lengths, 3);
    // One entry outside the local range, so the list is not all there.
    a.push(Net::parse(if width == 32 {
        "10.9.0.0/16"
    } else {
        "2001:db9::/48"
    }));
    let loaded = ns.mipset_stdin(&["load", name, "-"], &list_text(&a));
    loaded.expect(0);
    assert!(
        loaded.stdout.contains(&format!("chosen for family {name}")),
        "{}",
        loaded.stdout
    );
    let dests = destinations(&mut rng, within, &a, 200);
    let f = Family::read(ns, name);
    let cover_a = Cover::of(&a);
    let bad = disagreements(&f, &|x| cover_a.contains(x), &dests);
    assert!(bad.is_empty(), "{name} shards:\n{}", bad.join("\n"));
    check_packets(ns, name, width, &cover_a, &dests, "after the first load");
    // Sync to half the list plus new networks: routing stays, rules too.
    let mut b: Vec<Net> = a.iter().step_by(2).copied().collect();
    b.extend(nets_in(&mut rng, within, lengths, 1));
    ns.mipset_stdin(&["sync", name, "-"], &list_text(&b))
        .expect(0);
    let dests_b = destinations(&mut rng, within, &[a.clone(), b.clone()].concat(), 200);
    check_packets(ns, name, width, &Cover::of(&b), &dests_b, "after a sync");
    // Pieces taken out and put back.
    let hole = b[b.len() / 2];
    ns.mipset(&["del", name, &hole.to_string()]).expect(0);
    let without_hole =
        |x: u128| Cover::of(&b).contains(x) && !(x >= hole.start && x <= hole.last());
    let dests_c = destinations(&mut rng, within, &b, 100);
    let f = Family::read(ns, name);
    let bad = disagreements(&f, &without_hole, &dests_c);
    assert!(
        bad.is_empty(),
        "{name} after del {hole}:\n{}",
        bad.join("\n")
    );
    let hole_cover = Cover(
        Cover::of(&b)
            .0
            .iter()
            .flat_map(|&(s, e)| {
                let mut parts = Vec::new();
                if s < hole.start {
                    parts.push((s, e.min(hole.start - 1)));
                }
                if e > hole.last() {
                    parts.push((s.max(hole.last() + 1), e));
                }
                parts
            })
            .collect(),
    );
    check_packets(ns, name, width, &hole_cover, &dests_c, "after a del");
}

#[test]
fn packets_to_covered_addresses_are_dropped_and_counted_exactly() {
    if !kernel_tests_enabled() {
        return;
    }
    let ns = Netns::new();
    ns.ok("ip", &["link", "set", "lo", "up"]);
    let v4: Vec<u32> = (12..=32).collect();
    packets(&ns, "pk4", Net::parse("127.0.0.0/8"), &v4, "16", "auto");
    ns.ok(
        "ip",
        &["-6", "route", "add", "local", "2001:db8::/32", "dev", "lo"],
    );
    let v6 = [
        36, 40, 44, 47, 48, 52, 56, 60, 63, 64, 72, 80, 96, 104, 112, 120, 126, 127, 128,
    ];
    packets(&ns, "pk6", Net::parse("2001:db8::/32"), &v6, "8", "20");
}
