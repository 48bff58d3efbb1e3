//! SIGKILL at a random moment of `load` or `sync`: every shard holds its old
//! or its new contents, never a mix; the next run finishes the job, leaves
//! no temporary set, and `check` calls the family healthy.
//!
//! Each scenario first times one unkilled run from the old list to the new
//! one, then kills runs at moments spread over that time (and a little
//! beyond), so kills land while lists are parsed, shards read, deltas sent
//! and temporaries swapped. Sizes are chosen so that in-place deltas span
//! several netlink messages: a writer that sent them in several system
//! calls could be killed between two.

use std::collections::BTreeSet;
use std::time::Instant;

use mipset::addr::{parse_entry, AddrFamily, Entry, SetType};
use mipset::route::{shards_for, Routing};

use crate::util::{kernel_tests_enabled, Netns, Rng};

const SHARDS: u32 = 16;

struct Scenario {
    what: &'static str,
    set_type: SetType,
    family: AddrFamily,
    /// `sync` (old list replaced) or `load` (new list added).
    command: &'static str,
    entries: usize,
    /// Percent of entries replaced between the old and the new list.
    churn: usize,
    kills: usize,
}

fn entry(rng: &mut Rng, t: SetType, af: AddrFamily) -> Entry {
    let text = match (t, af) {
        (SetType::HashIp, AddrFamily::Inet) => {
            std::net::Ipv4Addr::from(0x0a00_0000 | (rng.next() as u32 & 0x00ff_ffff)).to_string()
        }
        (SetType::HashNet, AddrFamily::Inet) => {
            let prefix = [32, 30, 28, 24, 22, 20, 16][rng.below(7) as usize];
            let a = std::net::Ipv4Addr::from(0x0a00_0000 | (rng.next() as u32 & 0x00ff_ffff));
            format!("{a}/{prefix}")
        }
        (SetType::HashIp, AddrFamily::Inet6) => {
            let low = rng.u128() & ((1u128 << 96) - 1);
            std::net::Ipv6Addr::from((0x2001_0db8u128 << 96) | low).to_string()
        }
        (SetType::HashNet, AddrFamily::Inet6) => {
            let prefix = [128, 96, 64, 60, 56][rng.below(5) as usize];
            let low = rng.u128() & ((1u128 << 96) - 1);
            let a = std::net::Ipv6Addr::from((0x2001_0db8u128 << 96) | low);
            format!("{a}/{prefix}")
        }
    };
    parse_entry(&text, t, af).unwrap()
}

/// The lists: `old`, and `new` with `churn` percent of it replaced.
fn lists(s: &Scenario, rng: &mut Rng) -> (Vec<Entry>, Vec<Entry>) {
    let mut seen = BTreeSet::new();
    let mut fresh = |rng: &mut Rng| loop {
        let e = entry(rng, s.set_type, s.family);
        if seen.insert(e) {
            return e;
        }
    };
    let old: Vec<Entry> = (0..s.entries).map(|_| fresh(rng)).collect();
    let replaced = s.entries * s.churn / 100;
    let mut new: Vec<Entry> = old[replaced..].to_vec();
    new.extend((0..replaced).map(|_| fresh(rng)));
    (old, new)
}

/// What each shard holds when the family holds `entries`.
fn per_shard(entries: &[Entry], routing: Routing) -> Vec<BTreeSet<Entry>> {
    let mut shards = vec![BTreeSet::new(); SHARDS as usize];
    for e in entries {
        for i in shards_for(e, SHARDS, routing) {
            shards[i as usize].insert(*e);
        }
    }
    shards
}

/// The family's shards (of `s`) as the kernel holds them, and every set.
fn kernel_shards(ns: &Netns, s: &Scenario) -> (Vec<BTreeSet<Entry>>, Vec<String>) {
    let (pairs, sets) = kernel_shards_n(ns, s.set_type, s.family, SHARDS);
    let mut shards = vec![BTreeSet::new(); SHARDS as usize];
    for (i, e) in pairs {
        shards[i as usize].insert(e);
    }
    (shards, sets)
}

/// Run mipset with `args`, SIGKILL it after `delay`; whether the kill
/// landed while it ran (rather than after it had exited).
fn kill_after(ns: &Netns, args: &[&str], delay: std::time::Duration) -> bool {
    let mut child = ns
        .mipset_command(args)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(delay);
    // SAFETY: kill(2) on our own child's pid.
    unsafe { libc::kill(child.id() as i32, libc::SIGKILL) };
    child.wait().unwrap().code().is_none()
}

fn write_list(path: &std::path::Path, entries: &[Entry]) {
    let text: String = entries.iter().map(|e| format!("{e}\n")).collect();
    std::fs::write(path, text).unwrap();
}

fn run_scenario(ns: &Netns, s: &Scenario, rng: &mut Rng, dir: &std::path::Path) -> usize {
    let type_arg = s.set_type.as_str();
    let family_arg = s.family.as_str();
    // Fixed routing: the expected shard contents below depend on it.
    let route_arg = match (s.set_type, s.family) {
        (SetType::HashIp, _) => "bits:0",
        (SetType::HashNet, AddrFamily::Inet) => "bits:8",
        (SetType::HashNet, AddrFamily::Inet6) => "bits:64",
    };
    ns.mipset(&[
        "create",
        "crash",
        "--type",
        type_arg,
        "--family",
        family_arg,
        "--route",
        route_arg,
        "--shards",
        "16",
        "--maxelem",
        "4000000",
        "--hashsize",
        "65536",
    ])
    .expect(0);
    let routing = match (s.set_type, s.family) {
        (SetType::HashIp, _) => Routing::Bits { shift: 0 },
        (SetType::HashNet, AddrFamily::Inet) => Routing::Bits { shift: 8 },
        (SetType::HashNet, AddrFamily::Inet6) => Routing::Bits { shift: 64 },
    };
    let (old, new) = lists(s, rng);
    let (old_file, new_file) = (dir.join("old.txt"), dir.join("new.txt"));
    write_list(&old_file, &old);
    write_list(&new_file, &new);
    let after: Vec<Entry> = if s.command == "load" {
        old.iter().chain(&new).copied().collect()
    } else {
        new.clone()
    };
    let (want_old, want_new) = (per_shard(&old, routing), per_shard(&after, routing));
    let reset = || {
        ns.mipset(&["sync", "crash", old_file.to_str().unwrap()])
            .expect(0);
    };
    // Time one unkilled run.
    reset();
    let started = Instant::now();
    ns.mipset(&[s.command, "crash", new_file.to_str().unwrap()])
        .expect(0);
    let span = started.elapsed();
    let mut mixed = Vec::new();
    let mut landed = 0;
    for k in 0..s.kills {
        reset();
        let delay = span.mul_f64(1.2 * rng.below(1000) as f64 / 1000.0);
        if kill_after(ns, &[s.command, "crash", new_file.to_str().unwrap()], delay) {
            landed += 1;
        }
        let (shards, _) = kernel_shards(ns, s);
        for (i, shard) in shards.iter().enumerate() {
            if *shard != want_old[i] && *shard != want_new[i] {
                mixed.push(format!(
                    "{} kill {k} after {delay:?}: shard {i} holds {} elements, old {} new {}",
                    s.what,
                    shard.len(),
                    want_old[i].len(),
                    want_new[i].len()
                ));
            }
        }
        // The next run finishes the job and cleans up after the killed one.
        ns.mipset(&[s.command, "crash", new_file.to_str().unwrap()])
            .expect(0);
        let (shards, sets) = kernel_shards(ns, s);
        assert_eq!(
            shards, want_new,
            "{}: the next run did not finish the job",
            s.what
        );
        let temps: Vec<&String> = sets.iter().filter(|n| n.starts_with("crash-t")).collect();
        assert!(temps.is_empty(), "{}: temporaries left: {temps:?}", s.what);
        ns.mipset(&["check", "crash"]).expect(0);
    }
    ns.mipset(&["destroy", "crash"]).expect(0);
    assert!(
        mixed.is_empty(),
        "shards neither old nor new:\n{}",
        mixed.join("\n")
    );
    landed
}

#[test]
fn sigkill_during_load_or_sync_leaves_every_shard_old_or_new() {
    if !kernel_tests_enabled() {
        return;
    }
    let ns = Netns::new();
    let dir = std::env::temp_dir().join(format!("mipset-crash-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut rng = Rng(0x6b69_6c6c);
    let scenarios = [
        Scenario {
            what: "sync hash:ip 1%",
            set_type: SetType::HashIp,
            family: AddrFamily::Inet,
            command: "sync",
            entries: 40_000,
            churn: 1,
            kills: 8,
        },
        Scenario {
            what: "sync hash:ip 10%",
            set_type: SetType::HashIp,
            family: AddrFamily::Inet,
            command: "sync",
            entries: 40_000,
            churn: 10,
            kills: 10,
        },
        Scenario {
            what: "sync hash:ip 40%",
            set_type: SetType::HashIp,
            family: AddrFamily::Inet,
            command: "sync",
            entries: 40_000,
            churn: 40,
            kills: 10,
        },
        Scenario {
            what: "sync hash:ip 50% (rebuilt)",
            set_type: SetType::HashIp,
            family: AddrFamily::Inet,
            command: "sync",
            entries: 40_000,
            churn: 50,
            kills: 6,
        },
        Scenario {
            what: "sync hash:net 10%",
            set_type: SetType::HashNet,
            family: AddrFamily::Inet,
            command: "sync",
            entries: 20_000,
            churn: 10,
            kills: 8,
        },
        Scenario {
            what: "sync hash:ip inet6 40%",
            set_type: SetType::HashIp,
            family: AddrFamily::Inet6,
            command: "sync",
            entries: 20_000,
            churn: 40,
            kills: 6,
        },
        Scenario {
            what: "sync hash:net inet6 10%",
            set_type: SetType::HashNet,
            family: AddrFamily::Inet6,
            command: "sync",
            entries: 10_000,
            churn: 10,
            kills: 6,
        },
        Scenario {
            what: "load hash:ip 10%",
            set_type: SetType::HashIp,
            family: AddrFamily::Inet,
            command: "load",
            entries: 40_000,
            churn: 10,
            kills: 6,
        },
    ];
    let mut kills = 0;
    let mut landed = 0;
    for s in &scenarios {
        kills += s.kills;
        landed += run_scenario(&ns, s, &mut rng, &dir);
    }
    std::fs::remove_dir_all(&dir).unwrap();
    assert!(kills >= 50);
    // Most kills must land while mipset runs, or the test proves little.
    assert!(
        landed * 2 >= kills,
        "only {landed} of {kills} kills landed mid-run"
    );
}

/// SIGKILL at a random moment of `resize` (growing 16 -> 32 shards and
/// shrinking back, hash:ip and hash:net): every entry is still found in the
/// shard its lookup consults under the umbrella's shard count at that
/// moment (old or new, never a mix); re-running the same resize finishes
/// it: exact contents, no temporary set, `check` healthy.
#[test]
fn sigkill_during_resize_keeps_answers_and_the_next_run_finishes() {
    if !kernel_tests_enabled() {
        return;
    }
    let ns = Netns::new();
    let dir = std::env::temp_dir().join(format!("mipset-crash-resize-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut rng = Rng(0x7265_7a65);
    let mut kills = 0;
    for (set_type, entries, rounds) in
        [(SetType::HashIp, 30_000, 10), (SetType::HashNet, 15_000, 6)]
    {
        let s = Scenario {
            what: "resize",
            set_type,
            family: AddrFamily::Inet,
            command: "resize",
            entries,
            churn: 0,
            kills: rounds,
        };
        let (list, _) = lists(&s, &mut rng);
        let file = dir.join("list.txt");
        write_list(&file, &list);
        let route_arg = match set_type {
            SetType::HashIp => "bits:0",
            SetType::HashNet => "bits:8",
        };
        ns.mipset(&[
            "create",
            "crash",
            "--type",
            set_type.as_str(),
            "--route",
            route_arg,
            "--shards",
            "16",
            "--maxelem",
            "4000000",
        ])
        .expect(0);
        ns.mipset(&["load", "crash", file.to_str().unwrap()])
            .expect(0);
        let routing = match set_type {
            SetType::HashIp => Routing::Bits { shift: 0 },
            SetType::HashNet => Routing::Bits { shift: 8 },
        };
        let started = Instant::now();
        ns.mipset(&["resize", "crash", "--shards", "32"]).expect(0);
        let span = started.elapsed();
        ns.mipset(&["resize", "crash", "--shards", "16"]).expect(0);
        for k in 0..rounds {
            let target = if k % 2 == 0 { "32" } else { "16" };
            let delay = span.mul_f64(1.2 * rng.below(1000) as f64 / 1000.0);
            kill_after(&ns, &["resize", "crash", "--shards", target], delay);
            kills += 1;
            // Answers: each entry is in the shard a lookup consults now.
            let save = ns.ipset_save();
            let shards = save
                .lines()
                .filter(|l| l.starts_with("add crash crash-s"))
                .count() as u32;
            assert!(
                shards == 16 || shards == 32,
                "kill {k}: umbrella lists {shards} shards"
            );
            let mut held: BTreeSet<(u32, Entry)> = BTreeSet::new();
            for line in save.lines() {
                let w: Vec<&str> = line.split_whitespace().collect();
                if let ["add", set, elem, ..] = w.as_slice() {
                    if let Some(i) = set.strip_prefix("crash-s").and_then(|i| i.parse().ok()) {
                        held.insert((i, parse_entry(elem, set_type, AddrFamily::Inet).unwrap()));
                    }
                }
            }
            for e in &list {
                let i = mipset::route::lookup_shard(e, shards, routing);
                assert!(
                    held.contains(&(i, *e)),
                    "kill {k} after {delay:?}: {e} not in shard {i} of {shards}"
                );
            }
            // The next run finishes the job.
            ns.mipset(&["resize", "crash", "--shards", target])
                .expect(0);
            let after: BTreeSet<(u32, Entry)> = {
                let n: u32 = target.parse().unwrap();
                list.iter()
                    .flat_map(|e| shards_for(e, n, routing).map(move |i| (i, *e)))
                    .collect()
            };
            let (got, sets) =
                kernel_shards_n(&ns, set_type, AddrFamily::Inet, target.parse().unwrap());
            assert_eq!(
                got, after,
                "kill {k}: the next resize did not finish the job"
            );
            assert!(
                !sets.iter().any(|n| n.starts_with("crash-t")),
                "kill {k}: temporaries left: {sets:?}"
            );
            ns.mipset(&["check", "crash"]).expect(0);
        }
        ns.mipset(&["destroy", "crash"]).expect(0);
    }
    std::fs::remove_dir_all(&dir).unwrap();
    assert!(kills >= 16);
}

/// (shard, entry) pairs of a family of `n` shards, and every set's name.
fn kernel_shards_n(
    ns: &Netns,
    t: SetType,
    af: AddrFamily,
    n: u32,
) -> (BTreeSet<(u32, Entry)>, Vec<String>) {
    let mut got = BTreeSet::new();
    let mut sets = Vec::new();
    for line in ns.ipset_save().lines() {
        let w: Vec<&str> = line.split_whitespace().collect();
        match w.as_slice() {
            ["create", name, ..] => sets.push(name.to_string()),
            ["add", set, elem, ..] => {
                if let Some(i) = set
                    .strip_prefix("crash-s")
                    .and_then(|i| i.parse::<u32>().ok())
                {
                    assert!(i < n, "shard {set} past the shard count");
                    got.insert((i, parse_entry(elem, t, af).unwrap()));
                }
            }
            _ => {}
        }
    }
    (got, sets)
}

/// `ipset save` as set name -> its element lines (what follows the name).
fn sets_with_elements(save: &str) -> std::collections::BTreeMap<String, BTreeSet<String>> {
    let mut sets = std::collections::BTreeMap::new();
    for line in save.lines() {
        let w: Vec<&str> = line.splitn(3, ' ').collect();
        match w.as_slice() {
            ["create", name, ..] => {
                sets.insert(name.to_string(), BTreeSet::new());
            }
            ["add", set, rest] => {
                sets.entry(set.to_string())
                    .or_insert_with(BTreeSet::new)
                    .insert(rest.to_string());
            }
            _ => {}
        }
    }
    sets
}

/// After a kill: every family of `names` is absent (no set of its names)
/// or whole (umbrella and every shard), and each shard is empty or holds
/// exactly what `want` (a save of the finished families) says. Problems
/// found, described.
fn half_made(
    now: &std::collections::BTreeMap<String, BTreeSet<String>>,
    want: &std::collections::BTreeMap<String, BTreeSet<String>>,
    names: &[&str],
) -> Vec<String> {
    let mut problems = Vec::new();
    for name in names {
        let shards: Vec<&String> = want
            .keys()
            .filter(|s| s.starts_with(&format!("{name}-s")))
            .collect();
        let present: Vec<&String> = now
            .keys()
            .filter(|s| s.starts_with(&format!("{name}-")))
            .collect();
        if !now.contains_key(*name) {
            if !present.is_empty() {
                problems.push(format!("{name}: sets without an umbrella: {present:?}"));
            }
            continue;
        }
        for shard in shards {
            match now.get(shard) {
                None => problems.push(format!("{name}: shard {shard} missing")),
                Some(held) if !held.is_empty() && held != &want[shard] => problems.push(format!(
                    "{shard} holds {} elements, neither empty nor the {} dumped",
                    held.len(),
                    want[shard].len()
                )),
                Some(_) => {}
            }
        }
    }
    problems
}

/// SIGKILL at a random moment of `restore` (a dump of two families,
/// hash:ip inet and hash:net inet6) and of `create`: no set is left that
/// no umbrella records, each shard is empty or as dumped, and the next
/// `restore --exist` (or `create --exist`) finishes the job: exact
/// contents, no temporary set, `check` healthy.
#[test]
fn sigkill_during_restore_or_create_leaves_whole_families() {
    if !kernel_tests_enabled() {
        return;
    }
    let ns = Netns::new();
    let dir = std::env::temp_dir().join(format!("mipset-crash-restore-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut rng = Rng(0x7265_7374);
    let families = [
        ("alpha", SetType::HashIp, AddrFamily::Inet, 16, 30_000),
        ("beta", SetType::HashNet, AddrFamily::Inet6, 8, 10_000),
    ];
    let mut dump = String::new();
    for (name, set_type, family, shards, entries) in families {
        let shards = shards.to_string();
        ns.mipset(&[
            "create",
            name,
            "--type",
            set_type.as_str(),
            "--family",
            family.as_str(),
            "--shards",
            &shards,
            "--maxelem",
            "1000000",
        ])
        .expect(0);
        let s = Scenario {
            what: name,
            set_type,
            family,
            command: "restore",
            entries,
            churn: 0,
            kills: 0,
        };
        let (list, _) = lists(&s, &mut rng);
        let file = dir.join(format!("{name}.txt"));
        write_list(&file, &list);
        ns.mipset(&["load", name, file.to_str().unwrap()]).expect(0);
        dump.push_str(&ns.mipset(&["save", name]).expect(0).stdout);
    }
    let dump_file = dir.join("dump.save");
    std::fs::write(&dump_file, &dump).unwrap();
    let want = sets_with_elements(&ns.ipset_save());
    let names = ["alpha", "beta"];
    let destroy_all = || {
        for name in names {
            ns.mipset(&["destroy", name]).expect(0);
        }
    };
    destroy_all();
    let restore = ["restore", dump_file.to_str().unwrap()];
    let started = Instant::now();
    ns.mipset(&restore).expect(0);
    let span = started.elapsed();
    destroy_all();
    let mut problems = Vec::new();
    let mut landed = 0;
    let kills = 14;
    for k in 0..kills {
        let delay = span.mul_f64(1.2 * rng.below(1000) as f64 / 1000.0);
        if kill_after(&ns, &restore, delay) {
            landed += 1;
        }
        let now = sets_with_elements(&ns.ipset_save());
        for p in half_made(&now, &want, &names) {
            problems.push(format!("restore kill {k} after {delay:?}: {p}"));
        }
        ns.mipset(&["restore", "--exist", dump_file.to_str().unwrap()])
            .expect(0);
        assert_eq!(
            sets_with_elements(&ns.ipset_save()),
            want,
            "restore kill {k}: the next restore --exist did not finish the job"
        );
        for name in names {
            ns.mipset(&["check", name]).expect(0);
        }
        destroy_all();
    }
    // `create` is one kernel call: kills land before it or after it.
    let create = ["create", "gamma", "--shards", "256"];
    let started = Instant::now();
    ns.mipset(&create).expect(0);
    let span = started.elapsed();
    let whole = sets_with_elements(&ns.ipset_save());
    ns.mipset(&["destroy", "gamma"]).expect(0);
    for k in 0..8 {
        let delay = span.mul_f64(1.2 * rng.below(1000) as f64 / 1000.0);
        kill_after(&ns, &create, delay);
        let now = sets_with_elements(&ns.ipset_save());
        for p in half_made(&now, &whole, &["gamma"]) {
            problems.push(format!("create kill {k} after {delay:?}: {p}"));
        }
        ns.mipset(&["create", "gamma", "--shards", "256", "--exist"])
            .expect(0);
        ns.mipset(&["check", "gamma"]).expect(0);
        ns.mipset(&["destroy", "gamma"]).expect(0);
    }
    std::fs::remove_dir_all(&dir).unwrap();
    assert!(
        problems.is_empty(),
        "half-made families:\n{}",
        problems.join("\n")
    );
    assert!(
        landed * 2 >= kills,
        "only {landed} of {kills} restore kills landed mid-run"
    );
}
