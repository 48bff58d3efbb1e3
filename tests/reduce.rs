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
            if shards == 1 && reduce == "100" {
                let levels = prefix_lengths(&f.elements[0]).len();
                assert!(
                    levels < raw_levels,
                    "{name}: {levels} prefix lengths, as many as the list's {raw_levels}"
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
            // Against the same shards without expansion (--reduce 0, the
            // same bits): auto at most doubles a shard; P% is the family's
            // budget, so the family adds at most P% (a shard may take more).
            if shards > 1 {
                let base = format!("b{tag}{shards}x{reduce}");
                let bits = format!("bits:{}", f.shift);
                create_reduced(ns, &base, width, shards, "0", &["--route", &bits]);
                ns.mipset_stdin(&["load", &base, "-"], &text).expect(0);
                let b = Family::read(ns, &base);
                assert_eq!(b.shift, f.shift);
                let growth: usize = reduce.parse().unwrap_or(100);
                let (all, unexpanded) = (f.element_count(), b.element_count());
                assert!(
                    all * 100 <= unexpanded * (100 + growth),
                    "{name}: {all} elements, {unexpanded} without expansion"
                );
                for (t, (e, n)) in f.elements.iter().zip(&b.elements).enumerate() {
                    assert!(
                        reduce != "auto" || e.len() <= 2 * n.len(),
                        "{name} shard {t}: {} elements, {} without expansion",
                        e.len(),
                        n.len()
                    );
                    assert!(
                        prefix_lengths(e).len() <= prefix_lengths(n).len(),
                        "{name} shard {t}: more prefix lengths than without expansion"
                    );
                }
                let bad = disagreements(&b, &|a| one.contains(a), &qs);
                assert!(bad.is_empty(), "{base}:\n{}", bad.join("\n"));
                ns.mipset(&["destroy", &base]).expect(0);
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
    for layout in ["twolevel", "tree", "linear", "dispatch"] {
        ns.mipset(&["rule", "del", name, "--all"]).expect(0);
        add_drop_rule(ns, name, layout).expect(0);
        check_packets(ns, name, width, &cover_a, &dests, layout);
    }
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
    // Emptied and filled again with hosts of one small block: routed
    // anew, and the tree layout's rules rebuilt for the new bits.
    ns.mipset(&["rule", "del", name, "--all"]).expect(0);
    add_drop_rule(ns, name, "tree").expect(0);
    let shift_before = Family::read(ns, name).shift;
    ns.mipset(&["flush", name]).expect(0);
    let block = Net {
        start: within.start | (0x0304 << 8),
        prefix: width - 10,
        width,
    };
    let d: Vec<Net> = nets_in(&mut rng, block, &[width], 300);
    let loaded = ns.mipset_stdin(&["load", name, "-"], &list_text(&d));
    loaded.expect(0);
    assert!(
        loaded.stdout.contains("chosen for family"),
        "{}",
        loaded.stdout
    );
    let f = Family::read(ns, name);
    assert_ne!(
        f.shift, shift_before,
        "the same bits again: the test proves little"
    );
    let dests_d = destinations(&mut rng, block, &d, 200);
    check_packets(
        ns,
        name,
        width,
        &Cover::of(&d),
        &dests_d,
        "re-routed after a flush",
    );
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

// -------------------------------------------------------------- semantics

/// `mipset test` of each of `cases` (query, member?).
fn answers(ns: &Netns, family: &str, cases: &[(&str, bool)]) {
    for (q, want) in cases {
        let r = ns.mipset(&["test", family, q]);
        assert_eq!(
            r.code,
            if *want { 0 } else { 1 },
            "test {family} {q}: {r:?}"
        );
    }
}

/// The `add` lines of a `mipset save` dump: which CIDR in which set.
fn saved_adds(dump: &str) -> Vec<(String, Net)> {
    dump.lines()
        .filter_map(|l| l.strip_prefix("add "))
        .filter(|l| !l.contains("comment"))
        .map(|l| {
            let mut w = l.split_whitespace();
            let set = w.next().unwrap().to_string();
            (set, Net::parse(w.next().unwrap()))
        })
        .collect()
}

/// The distinct CIDRs of a save, after checking each is in exactly the
/// shards it covers.
fn saved_cover(dump: &str, family: &Family, name: &str) -> BTreeSet<Net> {
    let adds = saved_adds(dump);
    let distinct: BTreeSet<Net> = adds.iter().map(|(_, n)| *n).collect();
    for n in &distinct {
        let mut want: BTreeSet<String> = BTreeSet::new();
        // The tags of a CIDR: every tag if the tag bits are host bits.
        let tag_bits = family.shards.trailing_zeros();
        let host = n.width - n.prefix;
        if family.shards == 1 {
            want.insert(format!("{name}-s0"));
        } else if host >= family.shift + tag_bits {
            want.extend((0..family.shards).map(|t| format!("{name}-s{t}")));
        } else if host <= family.shift {
            want.insert(format!("{name}-s{}", family.tag(n.start)));
        } else {
            // Some tag bits are host bits: the tags of first..last.
            let free = host - family.shift;
            let first = family.tag(n.start);
            for t in 0..(1usize << free) {
                want.insert(format!("{name}-s{}", first | t));
            }
        }
        let got: BTreeSet<String> = adds
            .iter()
            .filter(|(_, m)| m == n)
            .map(|(s, _)| s.clone())
            .collect();
        assert_eq!(got, want, "{n}: the shards it is saved in");
    }
    distinct
}

#[test]
fn test_add_del_of_networks_are_about_addresses() {
    if !kernel_tests_enabled() {
        return;
    }
    let ns = Netns::new();
    // bits:8 and 4 shards: a /24 is in one shard, a /16 in all four.
    create_reduced(&ns, "sem", 32, 4, "auto", &["--route", "bits:8"]);
    ns.mipset_stdin(
        &["load", "sem", "-"],
        "10.0.0.0/25\n10.0.0.128/25\n10.1.0.0/16\n",
    )
    .expect(0);
    let save = ns.mipset(&["save", "sem"]).expect(0).stdout.clone();
    let f = Family::read(&ns, "sem");
    assert_eq!(
        saved_cover(&save, &f, "sem"),
        [Net::parse("10.0.0.0/24"), Net::parse("10.1.0.0/16")].into(),
        "{save}"
    );
    answers(
        &ns,
        "sem",
        &[
            ("10.0.0.0/24", true),
            ("10.0.0.0/23", false),
            ("10.0.0.64/26", true),
            ("10.1.0.0/16", true),
            ("10.0.0.0/15", false),
            ("10.1.255.255", true),
            ("10.2.0.0", false),
            ("9.255.255.255", false),
        ],
    );
    // A hole in the /16, split out of it.
    ns.mipset(&["del", "sem", "10.1.2.0/23"]).expect(0);
    answers(
        &ns,
        "sem",
        &[
            ("10.1.2.0", false),
            ("10.1.3.255", false),
            ("10.1.1.255", true),
            ("10.1.4.0", true),
            ("10.1.2.0/23", false),
            ("10.1.2.0/24", false),
            ("10.1.0.0/23", true),
            ("10.1.4.0/22", true),
            ("10.1.0.0/16", false),
            ("10.1.0.0/22", false),
        ],
    );
    let f = Family::read(&ns, "sem");
    let mut rng = Rng(3);
    let want = Cover::of(&[
        Net::parse("10.0.0.0/24"),
        Net::parse("10.1.0.0/23"),
        Net::parse("10.1.4.0/22"),
        Net::parse("10.1.8.0/21"),
        Net::parse("10.1.16.0/20"),
        Net::parse("10.1.32.0/19"),
        Net::parse("10.1.64.0/18"),
        Net::parse("10.1.128.0/17"),
    ]);
    let wanted: Vec<Net> = want.minimal_cidrs(32).into_iter().collect();
    let qs = queries(&mut rng, &[&wanted, &[Net::parse("10.1.2.0/23")]], 300);
    let bad = disagreements(&f, &|a| want.contains(a), &qs);
    assert!(bad.is_empty(), "after del:\n{}", bad.join("\n"));
    let save = ns.mipset(&["save", "sem"]).expect(0).stdout.clone();
    assert_eq!(
        saved_cover(&save, &f, "sem"),
        want.minimal_cidrs(32),
        "{save}"
    );
    // Nothing of it is there: an error (nothing changes), or --exist.
    let before = ns.ipset_save();
    let r = ns.mipset(&["del", "sem", "10.1.2.0/24"]);
    r.expect(3);
    assert!(r.stderr.contains("not in family"), "{}", r.stderr);
    ns.mipset(&["del", "sem", "10.1.2.0/24", "--exist"])
        .expect(0);
    ns.mipset(&["del", "sem", "10.1.2.0/24", "10.1.3.0/24"])
        .expect(3);
    assert_eq!(ns.ipset_save(), before);
    // A partly covered network deleted: the covered part goes.
    ns.mipset(&["del", "sem", "10.1.0.0/22"]).expect(0);
    answers(
        &ns,
        "sem",
        &[
            ("10.1.0.0", false),
            ("10.1.1.255", false),
            ("10.1.4.0", true),
        ],
    );
    // A partly covered network added: all of it is there.
    ns.mipset(&["add", "sem", "10.1.0.0/23"]).expect(0);
    ns.mipset(&["add", "sem", "10.1.0.0/22"]).expect(0);
    answers(&ns, "sem", &[("10.1.0.0/16", true), ("10.1.2.77", true)]);
    let before = ns.ipset_save();
    let r = ns.mipset(&["add", "sem", "10.1.0.0/16"]);
    r.expect(3);
    assert!(r.stderr.contains("already in family"), "{}", r.stderr);
    // One new network with an old one: all or nothing.
    ns.mipset(&["add", "sem", "10.1.5.0/24", "10.9.0.0/24"])
        .expect(3);
    assert_eq!(ns.ipset_save(), before);
    ns.mipset(&["add", "sem", "10.1.0.0/16", "--exist"])
        .expect(0);
    assert_eq!(ns.ipset_save(), before);
    // Neighbours merge in the save.
    ns.mipset(&["add", "sem", "10.0.1.0/24"]).expect(0);
    let f = Family::read(&ns, "sem");
    let save = ns.mipset(&["save", "sem"]).expect(0).stdout.clone();
    assert_eq!(
        saved_cover(&save, &f, "sem"),
        [Net::parse("10.0.0.0/23"), Net::parse("10.1.0.0/16")].into(),
        "{save}"
    );
}

/// A dump without the kernel's random hash seeds.
fn without_initval(dump: &str) -> String {
    dump.lines()
        .map(|l| match l.find(" initval ") {
            Some(i) => &l[..i],
            None => l,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// A realistic list saved, then restored by mipset and by the stock ipset
/// in fresh namespaces: the same addresses; the save is the minimal cover.
#[test]
fn save_is_the_minimal_cover_and_restores_to_the_same_addresses() {
    if !kernel_tests_enabled() {
        return;
    }
    let v4 = entries(&gen_blocklist(&["--seed", "21", "--scale", "0.02"]));
    save_round_trip(&v4, 16);
    let v6 = entries(&gen_blocklist(&[
        "--seed", "23", "--scale", "0.02", "--family", "inet6",
    ]));
    save_round_trip(&v6, 8);
}

fn save_round_trip(nets: &[Net], shards: u32) {
    let width = nets[0].width;
    let want = Cover::of(nets);
    let mut rng = Rng(21);
    let qs = queries(&mut rng, &[nets], 500);
    let ns = Netns::new();
    create_reduced(&ns, "sv", width, shards, "auto", &[]);
    ns.mipset_stdin(&["load", "sv", "-"], &list_text(nets))
        .expect(0);
    let f = Family::read(&ns, "sv");
    let bad = disagreements(&f, &|a| want.contains(a), &qs);
    assert!(bad.is_empty(), "loaded:\n{}", bad.join("\n"));
    let dump = ns.mipset(&["save", "sv"]).expect(0).stdout.clone();
    let cover = saved_cover(&dump, &f, "sv");
    assert_eq!(cover, want.minimal_cidrs(width), "the save's CIDRs");
    assert!(cover.len() <= nets.len());
    drop(ns);

    let by_mipset = Netns::new();
    by_mipset.mipset_stdin(&["restore", "-"], &dump).expect(0);
    let g = Family::read(&by_mipset, "sv");
    assert_eq!((g.shards, g.shift), (f.shards, f.shift));
    let bad = disagreements(&g, &|a| want.contains(a), &qs);
    assert!(bad.is_empty(), "mipset restore:\n{}", bad.join("\n"));
    assert_eq!(
        without_initval(&by_mipset.mipset(&["save", "sv"]).expect(0).stdout),
        without_initval(&dump),
        "save after restore"
    );
    drop(by_mipset);

    let by_ipset = Netns::new();
    by_ipset.exec_stdin("ipset", &["restore"], &dump).expect(0);
    let h = Family::read(&by_ipset, "sv");
    let bad = disagreements(&h, &|a| want.contains(a), &qs);
    assert!(bad.is_empty(), "ipset restore:\n{}", bad.join("\n"));
    for i in 0..40 {
        let a = qs[(i * 97) % qs.len()];
        let text = show(width, a).to_string();
        let r = by_ipset.mipset(&["test", "sv", &text]);
        assert_eq!(r.code == 0, want.contains(a), "test sv {text}: {r:?}");
    }
    // Networks: every address of one is a member, or not.
    let mut nets_q: Vec<Net> = Vec::new();
    for (i, n) in nets.iter().enumerate().step_by(nets.len() / 25 + 1) {
        nets_q.push(*n);
        if n.prefix > 1 {
            nets_q.push(Net::parse(&format!(
                "{}/{}",
                show(width, n.start),
                n.prefix - 1
            )));
        }
        if n.prefix < width {
            let half = Net {
                start: n.start | (1u128 << (width - 1 - n.prefix)),
                prefix: n.prefix + 1,
                width,
            };
            nets_q.push(half);
        }
        let wide = Net::parse(&format!(
            "{}/{}",
            show(width, n.start),
            width / 3 + i as u32 % 12
        ));
        nets_q.push(wide);
    }
    let whole = |n: &Net| want.0.iter().any(|&(s, e)| s <= n.start && n.last() <= e);
    assert!(nets_q.iter().any(whole) && !nets_q.iter().all(whole));
    for n in &nets_q {
        let r = by_ipset.mipset(&["test", "sv", &n.to_string()]);
        assert!([0, 1].contains(&r.code), "{r:?}");
        assert_eq!(r.code == 0, whole(n), "test sv {n}: {r:?}");
    }
    let cases: Vec<(String, bool)> = cover
        .iter()
        .step_by(cover.len() / 20 + 1)
        .map(|n| (n.to_string(), true))
        .collect();
    for (q, member) in &cases {
        let r = by_ipset.mipset(&["test", "sv", q]);
        assert_eq!(r.code == 0, *member, "test sv {q}: {r:?}");
    }
}

/// `mipset check` of a reduced family, as loaded, restored by mipset, and
/// restored by the stock ipset from a mipset save.
#[test]
fn check_accepts_reduced_families() {
    if !kernel_tests_enabled() {
        return;
    }
    // bits:16, 4 shards: the /13 spans every shard (stored in each, wider
    // than one tag's addresses); the /16 lies in shard 1 only.
    let ns = Netns::new();
    create_reduced(&ns, "ck", 32, 4, "auto", &["--route", "bits:16"]);
    ns.mipset_stdin(&["load", "ck", "-"], "127.1.0.0/16\n127.8.0.0/13\n")
        .expect(0);
    let f = Family::read(&ns, "ck");
    assert!(
        f.elements.iter().flatten().any(|n| n.prefix < 16),
        "nothing stored wider than one tag: the test proves little ({f:?})"
    );
    let r = ns.mipset(&["check", "ck"]);
    // --repair must not change what the family answers.
    ns.mipset(&["check", "ck", "--repair"]);
    let list = [Net::parse("127.1.0.0/16"), Net::parse("127.8.0.0/13")];
    let want = Cover::of(&list);
    let mut rng = Rng(9);
    let qs = queries(&mut rng, &[&list, &[Net::parse("127.0.0.0/14")]], 200);
    let bad = disagreements(&Family::read(&ns, "ck"), &|a| want.contains(a), &qs);
    assert!(bad.is_empty(), "after check --repair:\n{}", bad.join("\n"));
    assert_eq!(r.code, 0, "check after load: {r:?}");
    let dump = ns.mipset(&["save", "ck"]).expect(0).stdout.clone();
    let restored = Netns::new();
    restored.mipset_stdin(&["restore", "-"], &dump).expect(0);
    let r = restored.mipset(&["check", "ck"]);
    assert_eq!(r.code, 0, "check after mipset restore: {r:?}");
    let stock = Netns::new();
    stock.exec_stdin("ipset", &["restore"], &dump).expect(0);
    let r = stock.mipset(&["check", "ck"]);
    assert_eq!(r.code, 0, "check after ipset restore: {r:?}");
}

/// The umbrella layout matches a packet against every shard; a reduced
/// shard may hold a piece wider than its tag's addresses (the rest of it
/// belongs to other tags), so that piece must not match other tags.
#[test]
fn umbrella_layout_matches_only_covered_addresses() {
    if !kernel_tests_enabled() {
        return;
    }
    let ns = Netns::new();
    ns.ok("ip", &["link", "set", "lo", "up"]);
    create_reduced(&ns, "um", 32, 4, "auto", &["--route", "bits:16"]);
    let list = [Net::parse("127.1.0.0/16"), Net::parse("127.8.0.0/13")];
    ns.mipset_stdin(&["load", "um", "-"], &list_text(&list))
        .expect(0);
    ns.mipset(&[
        "rule",
        "add",
        "um",
        "--table",
        "raw",
        "--chain",
        "PREROUTING",
        "--match",
        "dst",
        "--jump",
        "DROP",
        "--layout",
        "umbrella",
    ])
    .expect(0);
    let cover = Cover::of(&list);
    let mut rng = Rng(5);
    let within = Net::parse("127.0.0.0/12");
    let mut dests = destinations(&mut rng, within, &list, 60);
    dests.extend((0..30).map(|i| Net::parse("127.0.0.0/14").start + 1 + i * 4099));
    dests.sort();
    dests.dedup();
    let arrived = deliver(&ns, dests.iter().map(|&a| show(32, a)).collect());
    let wrong: Vec<String> = dests
        .iter()
        .zip(&arrived)
        .filter(|(a, arrived)| **arrived == cover.contains(**a))
        .take(10)
        .map(|(a, arrived)| format!("{} arrived={arrived}", show(32, *a)))
        .collect();
    assert!(wrong.is_empty(), "umbrella layout:\n{}", wrong.join("\n"));
}

// -------------------------------------------------------------- bad input

#[test]
fn reduce_with_what_it_cannot_keep_is_refused_and_changes_nothing() {
    if !kernel_tests_enabled() {
        return;
    }
    let ns = Netns::new();
    create_reduced(&ns, "keep", 32, 4, "auto", &["--route", "bits:8"]);
    ns.mipset_stdin(&["load", "keep", "-"], "10.0.0.0/24\n10.1.0.0/16\n")
        .expect(0);
    let before = ns.ipset_save();
    let refused: &[&[&str]] = &[
        &["create", "x", "--type", "hash:ip", "--reduce", "auto"],
        &["create", "x", "--type", "hash:ip", "--reduce", "20"],
        &[
            "create", "x", "--type", "hash:net", "--route", "hash", "--reduce", "auto",
        ],
        &[
            "create",
            "x",
            "--type",
            "hash:net",
            "--timeout",
            "60",
            "--reduce",
            "auto",
        ],
        &[
            "create",
            "x",
            "--type",
            "hash:net",
            "--comment",
            "--reduce",
            "auto",
        ],
        &[
            "create",
            "x",
            "--type",
            "hash:net",
            "--counters",
            "--reduce",
            "20",
        ],
        &["create", "x", "--type", "hash:net", "--reduce", "10001"],
        &["create", "x", "--type", "hash:net", "--reduce", "abc"],
        &["create", "x", "--type", "hash:net", "--reduce=-5"],
        &["create", "x", "--type", "hash:net", "--reduce", "20.5"],
        &["create", "x", "--type", "hash:ip", "--route", "auto"],
        &[
            "create", "x", "--type", "hash:ip", "--family", "inet6", "--route", "auto",
        ],
    ];
    for args in refused {
        let r = ns.mipset(args);
        r.expect(2);
        assert_eq!(r.stderr.lines().count(), 1, "{args:?}: {}", r.stderr);
        assert!(
            r.stderr.starts_with("mipset: error: "),
            "{args:?}: {}",
            r.stderr
        );
        assert!(r.stdout.is_empty(), "{args:?}: {}", r.stdout);
        assert_eq!(ns.ipset_save(), before, "{args:?} changed the kernel");
    }
    // The edges of the percentage are taken.
    for (name, reduce) in [
        ("p0", "0"),
        ("pmax", "10000"),
        ("pct", "20%"),
        ("off", "off"),
    ] {
        create_reduced(&ns, name, 32, 2, reduce, &[]);
        ns.mipset(&["destroy", name]).expect(0);
    }
    assert_eq!(ns.ipset_save(), before);
    // nomatch lines: refused by load, sync and restore; nothing changes.
    let list = "10.2.0.0/24\n10.3.0.0/24 nomatch\n";
    for verb in ["load", "sync"] {
        let r = ns.mipset_stdin(&[verb, "keep", "-"], list);
        r.expect(2);
        assert!(r.stderr.contains(":2:"), "{verb}: {}", r.stderr);
        assert_eq!(r.stderr.lines().count(), 1, "{verb}: {}", r.stderr);
    }
    let r = ns.mipset(&["add", "keep", "10.3.0.0/24", "nomatch"]);
    assert_ne!(r.code, 0, "{r:?}");
    assert_eq!(ns.ipset_save(), before, "a nomatch line changed the kernel");
    let dump = ns.mipset(&["save", "keep"]).expect(0).stdout.clone();
    let bad = dump.replacen(
        "add keep-s0 10.0.0.0/24",
        "add keep-s0 10.0.0.0/24 nomatch",
        1,
    );
    assert_ne!(bad, dump);
    ns.mipset(&["destroy", "keep"]).expect(0);
    let empty = ns.ipset_save();
    let r = ns.mipset_stdin(&["restore", "-"], &bad);
    assert_ne!(r.code, 0, "{r:?}");
    assert_eq!(ns.ipset_save(), empty, "restore of a nomatch line");
}

// ------------------------------------------------------------------- sync

/// `a` with every 10th entry replaced by a new network.
fn changed(rng: &mut Rng, a: &[Net]) -> Vec<Net> {
    let mut b = Vec::new();
    for (i, n) in a.iter().enumerate() {
        if i % 10 == 3 {
            let within = Net::parse("100.64.0.0/10");
            b.extend(nets_in(rng, within, &[14 + (i as u32 % 19)], 1));
        } else {
            b.push(*n);
        }
    }
    b
}

#[test]
fn sync_makes_the_family_exactly_the_new_list() {
    if !kernel_tests_enabled() {
        return;
    }
    let mut rng = Rng(31);
    let ns = Netns::new();
    for (name, width, list, shards, reduce) in [
        (
            "sy4",
            32,
            gen_blocklist(&["--seed", "31", "--scale", "0.02"]),
            8,
            "auto",
        ),
        (
            "sy6",
            128,
            gen_blocklist(&["--seed", "32", "--scale", "0.03", "--family", "inet6"]),
            4,
            "50",
        ),
    ] {
        let a = entries(&list);
        let b = if width == 32 {
            changed(&mut rng, &a)
        } else {
            a.iter()
                .enumerate()
                .map(|(i, n)| {
                    if i % 10 == 3 {
                        nets_in(
                            &mut rng,
                            Net::parse("3000::/16"),
                            &[32 + (i as u32 % 90)],
                            1,
                        )[0]
                    } else {
                        *n
                    }
                })
                .collect()
        };
        create_reduced(&ns, name, width, shards, reduce, &[]);
        ns.mipset_stdin(&["load", name, "-"], &list_text(&a))
            .expect(0);
        let qs = queries(&mut rng, &[&a, &b], 500);
        let want_a = Cover::of(&a);
        let f = Family::read(&ns, name);
        let bad = disagreements(&f, &|x| want_a.contains(x), &qs);
        assert!(bad.is_empty(), "{name} loaded A:\n{}", bad.join("\n"));
        ns.mipset_stdin(&["sync", name, "-"], &list_text(&b))
            .expect(0);
        let want_b = Cover::of(&b);
        assert_ne!(want_a, want_b);
        let f = Family::read(&ns, name);
        let bad = disagreements(&f, &|x| want_b.contains(x), &qs);
        assert!(bad.is_empty(), "{name} synced to B:\n{}", bad.join("\n"));
        assert_eq!(
            saved_cover(&ns.mipset(&["save", name]).expect(0).stdout, &f, name),
            want_b.minimal_cidrs(width),
            "{name}: save after the sync"
        );
        // The same list again: nothing to do.
        let before = ns.ipset_save();
        let again = ns.mipset_stdin(&["--json", "sync", name, "-"], &list_text(&b));
        again.expect(0);
        let j: serde_json::Value = serde_json::from_str(&again.stdout).unwrap();
        for shard in j["plan"]["shards"].as_array().unwrap() {
            assert_eq!(shard["adds"], 0, "{name}: {shard}");
            assert_eq!(shard["dels"], 0, "{name}: {shard}");
            assert_eq!(shard["rebuild"], false, "{name}: {shard}");
        }
        assert_eq!(j["applied"]["swapped"], 0, "{}", again.stdout);
        assert_eq!(j["applied"]["in_place"], 0, "{}", again.stdout);
        let text = ns.mipset_stdin(&["sync", name, "-"], &list_text(&b));
        assert!(text.expect(0).stdout.contains("+0 -0"), "{}", text.stdout);
        assert_eq!(ns.ipset_save(), before, "{name}: a sync without changes");
        // And back to A.
        ns.mipset_stdin(&["sync", name, "-"], &list_text(&a))
            .expect(0);
        let f = Family::read(&ns, name);
        let bad = disagreements(&f, &|x| want_a.contains(x), &qs);
        assert!(
            bad.is_empty(),
            "{name} synced back to A:\n{}",
            bad.join("\n")
        );
    }
}

// ------------------------------------------------------------ auto routing

fn json(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("bad JSON ({e}): {text}"))
}

#[test]
fn auto_routing_is_chosen_once_at_the_first_fill() {
    if !kernel_tests_enabled() {
        return;
    }
    let ns = Netns::new();
    let a = entries(&gen_blocklist(&["--seed", "41", "--scale", "0.02"]));
    let b = entries(&gen_blocklist(&[
        "--feed", "--seed", "42", "--scale", "0.03",
    ]));
    create_reduced(&ns, "au", 32, 16, "auto", &["--route", "auto"]);
    let first = ns.mipset_stdin(&["load", "au", "-"], &list_text(&a));
    first.expect(0);
    let line = first
        .stdout
        .lines()
        .find(|l| l.starts_with("routing bits:"))
        .unwrap_or_else(|| panic!("no routing chosen: {}", first.stdout));
    assert!(line.contains("chosen for family au"), "{line}");
    let shift: u32 = line["routing bits:".len()..]
        .split_whitespace()
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let listed = json(&ns.mipset(&["list", "--json", "au"]).expect(0).stdout);
    let listed = &listed[0];
    assert_eq!(listed["routing"], format!("bits:{shift}"), "{listed}");
    assert_eq!(listed["route_auto"], true, "{listed}");
    let f = Family::read(&ns, "au");
    assert!(f.route_auto);
    assert_eq!(f.shift, shift, "the umbrella's metadata");
    let want = Cover::of(&a);
    let mut rng = Rng(41);
    let qs = queries(&mut rng, &[&a, &b], 300);
    let bad = disagreements(&f, &|x| want.contains(x), &qs);
    assert!(bad.is_empty(), "first load:\n{}", bad.join("\n"));
    // Not empty any more: a second load keeps the routing.
    let second = ns.mipset_stdin(&["load", "au", "-"], &list_text(&b));
    second.expect(0);
    assert!(
        !second.stdout.contains("routing bits:"),
        "re-routed a full family: {}",
        second.stdout
    );
    let g = Family::read(&ns, "au");
    assert_eq!(g.shift, shift);
    let both = Cover::of(&[a.clone(), b.clone()].concat());
    let bad = disagreements(&g, &|x| both.contains(x), &qs);
    assert!(bad.is_empty(), "second load:\n{}", bad.join("\n"));
    let listed = json(&ns.mipset(&["list", "--json", "au"]).expect(0).stdout);
    assert_eq!(listed[0]["routing"], format!("bits:{shift}"));
    // A fixed routing is never changed by a load.
    create_reduced(&ns, "fixed", 32, 16, "auto", &["--route", "bits:3"]);
    let r = ns.mipset_stdin(&["load", "fixed", "-"], &list_text(&a));
    assert!(
        !r.expect(0).stdout.contains("routing bits:"),
        "{}",
        r.stdout
    );
    assert_eq!(Family::read(&ns, "fixed").shift, 3);
    // hash:ip has no auto routing.
    let r = ns.mipset(&["create", "ips", "--type", "hash:ip", "--route", "auto"]);
    r.expect(2);
    assert_eq!(r.stderr.lines().count(), 1, "{}", r.stderr);
}

// ------------------------------- regressions: bugs a first trial found (fixed)

/// A family covering every address: its minimal cover is the /0, which no
/// hash:net set takes; the save must still restore (as two /1s).
#[test]
fn save_of_a_family_covering_everything_restores() {
    if !kernel_tests_enabled() {
        return;
    }
    for (width, list) in [(32, "0.0.0.0/1\n128.0.0.0/1\n"), (128, "::/1\n8000::/1\n")] {
        let ns = Netns::new();
        create_reduced(&ns, "all", width, 4, "auto", &["--route", "bits:0"]);
        ns.mipset_stdin(&["load", "all", "-"], list).expect(0);
        let dump = ns.mipset(&["save", "all"]).expect(0).stdout.clone();
        let stock = Netns::new();
        let r = stock.exec_stdin("ipset", &["restore"], &dump);
        assert_eq!(r.code, 0, "ipset restore of:\n{dump}\n{r:?}");
        let ours = Netns::new();
        let r = ours.mipset_stdin(&["restore", "-"], &dump);
        assert_eq!(r.code, 0, "mipset restore of:\n{dump}\n{r:?}");
        let f = Family::read(&ours, "all");
        assert!(f.member(0) && f.member(low(width)) && f.member(low(width) / 3));
    }
}

/// Resizing a reduced family must keep its addresses: a shard's piece may
/// be wider than its tag's addresses, so it cannot be copied as an entry
/// into every shard it spans.
#[test]
fn resize_keeps_a_reduced_familys_addresses() {
    if !kernel_tests_enabled() {
        return;
    }
    let ns = Netns::new();
    create_reduced(&ns, "rz", 32, 4, "auto", &["--route", "bits:16"]);
    let list = [Net::parse("127.1.0.0/16"), Net::parse("127.8.0.0/13")];
    ns.mipset_stdin(&["load", "rz", "-"], &list_text(&list))
        .expect(0);
    let want = Cover::of(&list);
    let mut rng = Rng(7);
    let qs = queries(&mut rng, &[&list, &[Net::parse("127.0.0.0/14")]], 200);
    let bad = disagreements(&Family::read(&ns, "rz"), &|a| want.contains(a), &qs);
    assert!(bad.is_empty(), "before resize:\n{}", bad.join("\n"));
    for shards in ["8", "2", "16"] {
        ns.mipset(&["resize", "rz", "--shards", shards]).expect(0);
        let f = Family::read(&ns, "rz");
        let bad = disagreements(&f, &|a| want.contains(a), &qs);
        assert!(
            bad.is_empty(),
            "after resize to {shards}:\n{}",
            bad.join("\n")
        );
        answers(&ns, "rz", &[("127.0.0.5", false), ("127.1.0.5", true)]);
    }
}

/// Auto routing keeps room to grow (reroute::max_shift): the family it
/// routes can be resized up to the most shards.
#[test]
fn auto_routing_leaves_room_to_resize() {
    if !kernel_tests_enabled() {
        return;
    }
    let ns = Netns::new();
    create_reduced(&ns, "grow", 32, 4, "auto", &[]);
    ns.mipset_stdin(&["sync", "grow", "-"], "10.0.0.0/8\n")
        .expect(0);
    let f = Family::read(&ns, "grow");
    assert!(f.shift <= 22, "bits:{} cannot grow to 1024 shards", f.shift);
    ns.mipset(&["resize", "grow", "--shards", "64"]).expect(0);
    answers(&ns, "grow", &[("10.1.2.3", true), ("11.0.0.0", false)]);
}

/// The reconciler keeps a `reduce = "auto"` family as `mipset sync` does:
/// a family just synced by hand has nothing to repair, and its shards hold
/// what `mipset sync` stored.
#[test]
fn reconcile_keeps_a_reduced_family_reduced() {
    if !kernel_tests_enabled() {
        return;
    }
    let dir = std::env::temp_dir().join(format!("mipset-reduce-rc-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let list = "127.1.0.0/16\n127.8.0.0/13\n127.5.0.0/16\n";
    std::fs::write(dir.join("list.txt"), list).unwrap();
    let conf = dir.join("conf.toml");
    std::fs::write(
        &conf,
        "[[family]]\nname = \"rc\"\ntype = \"hash:net\"\nshards = 4\nroute = \"bits:16\"\nreduce = \"auto\"\nsource = \"list.txt\"\n",
    )
    .unwrap();
    let ns = Netns::new();
    // The configuration's sizes are the defaults, as here.
    ns.mipset(&[
        "create", "rc", "--type", "hash:net", "--shards", "4", "--route", "bits:16", "--reduce",
        "auto",
    ])
    .expect(0);
    ns.mipset_stdin(&["sync", "rc", "-"], list).expect(0);
    let synced = ns.ipset_save();
    let r = ns.mipset(&["reconcile", "--once", conf.to_str().unwrap()]);
    let _ = std::fs::remove_dir_all(&dir);
    r.expect(0);
    let first = json(r.stdout.lines().next().unwrap());
    assert_eq!(first["result"], "ok", "{}", r.stdout);
    assert_eq!(first["repairs"], 0, "{}", r.stdout);
    assert_eq!(first["drift_repaired"], 0, "{}", r.stdout);
    assert_eq!(
        without_initval(&ns.ipset_save()),
        without_initval(&synced),
        "reconcile changed a family mipset sync had just made from the same list"
    );
}

/// A large budget is refused before any piece is made: the family's total
/// is held to its maxelem (a review found a load that grew to gigabytes),
/// and the refusal names it; nothing changes. A different definition is
/// named by what differs.
#[test]
fn a_budget_past_the_familys_maxelem_is_refused_early() {
    if !kernel_tests_enabled() {
        return;
    }
    let ns = Netns::new();
    ns.mipset(&[
        "create", "big", "--type", "hash:net", "--shards", "16", "--route", "bits:8", "--reduce",
        "10000",
    ])
    .expect(0);
    let before = ns.ipset_save();
    // 1,100 /26s and a host in every shard: one level (/32) in each is
    // within the 10000% budget and every shard's maxelem, but 70,416
    // elements in all pass the family's 65,536.
    let mut list: String = (0..1100)
        .map(|i| format!("10.{}.{}.0/26\n", i / 256, i % 256))
        .collect();
    for t in 0..16 {
        list.push_str(&format!("10.200.{t}.1\n"));
    }
    let r = ns.mipset_stdin(&["load", "big", "-"], &list);
    r.expect(3);
    assert!(
        r.stderr
            .contains("elements in all but its maxelem is 65536"),
        "{}",
        r.stderr
    );
    assert_eq!(ns.ipset_save(), before);
    let r = ns.mipset(&[
        "create", "big", "--type", "hash:net", "--shards", "16", "--route", "bits:8", "--reduce",
        "20", "--exist",
    ]);
    r.expect(2);
    assert!(
        r.stderr.contains("reduce 10000% (asked 20%)"),
        "{}",
        r.stderr
    );
}

/// mipset's raw PREROUTING DROP rule for family `name`, with `layout`.
fn add_drop_rule(ns: &Netns, name: &str, layout: &str) -> crate::util::Run {
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
        "--layout",
        layout,
    ])
}
