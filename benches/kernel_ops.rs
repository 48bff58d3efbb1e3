//! Family versus single set, on the real kernel, in a private network
//! namespace (needs root). Two comparisons, each interleaved in one run so
//! machine noise hits both sides alike:
//!
//! 1. in-process: one add/test/del through the family engine (routing + the
//!    shard's netlink request) versus the same call on one set directly;
//! 2. per process: `mipset test FAMILY ADDR` versus `ipset test SET ADDR`,
//!    one process each, as a script would run them.
//!
//! `cargo bench --bench kernel_ops` (options: `-- --entries 100000 --rounds 20000 --spawns 200`).

use std::net::{IpAddr, Ipv4Addr};
use std::process::Command;
use std::time::Instant;

use mipset::addr::{AddrFamily, Entry, SetType};
use mipset::family;
use mipset::kernel::{AddOptions, Kernel};
use mipset::meta::FamilySpec;
use mipset::route::Routing;

const SINGLE: &str = "single";
const FAMILY: &str = "fam";

fn arg(name: &str, default: usize) -> usize {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Summary of one distribution, in nanoseconds.
struct Stats {
    p5: f64,
    median: f64,
    p95: f64,
}

fn stats(samples: &mut [u64]) -> Stats {
    samples.sort_unstable();
    let at = |q: f64| samples[((samples.len() - 1) as f64 * q).round() as usize] as f64;
    Stats {
        p5: at(0.05),
        median: at(0.5),
        p95: at(0.95),
    }
}

fn addr(i: u64) -> Entry {
    // A bijection on 24 bits (odd multiplier): distinct i, distinct address,
    // spread over 10.0.0.0/8 so every shard gets its share.
    let low = (i as u32).wrapping_mul(0x9e37_79b1) & 0x00ff_ffff;
    Entry::host(IpAddr::V4(Ipv4Addr::from(0x0a00_0000 | low)))
}

fn row(name: &str, single: &mut [u64], fam: &mut [u64]) {
    let (s, f) = (stats(single), stats(fam));
    println!(
        "| {name} | {:.2} | {:.2} | {:.2} | {:.2} | {:.2} | {:.2} | {:.3} |",
        s.p5 / 1e3,
        s.median / 1e3,
        s.p95 / 1e3,
        f.p5 / 1e3,
        f.median / 1e3,
        f.p95 / 1e3,
        f.median / s.median
    );
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return; // `cargo bench -- --list` probes benches; nothing to list.
    }
    assert_eq!(
        unsafe { libc::geteuid() },
        0,
        "this benchmark needs root (it creates a network namespace)"
    );
    // SAFETY: moves this (single-threaded) process into a new network namespace.
    assert_eq!(
        unsafe { libc::unshare(libc::CLONE_NEWNET) },
        0,
        "unshare(CLONE_NEWNET)"
    );
    let entries = arg("--entries", 100_000) as u64;
    let rounds = arg("--rounds", 20_000);
    let spawns = arg("--spawns", 200);
    let shards = arg("--shards", 16) as u32;

    let mut kernel = Kernel::open().expect("open kernel");
    let spec = FamilySpec {
        name: FAMILY.into(),
        set_type: SetType::HashIp,
        family: AddrFamily::Inet,
        shards,
        routing: Routing::Bits { shift: 0 },
        hashsize: mipset::options::per_shard_hashsize(entries as u32, shards),
        maxelem: mipset::options::per_shard(4 * entries as u32, shards),
        timeout: None,
        counters: false,
        comment: false,
        reduce: mipset::prefix::levels::Reduce::Off,
        route_auto: false,
    };
    let single = FamilySpec {
        name: SINGLE.into(),
        shards: 1,
        hashsize: mipset::options::per_shard_hashsize(entries as u32, 1),
        maxelem: 4 * entries as u32,
        ..spec.clone()
    };
    family::create::create(&mut kernel, &spec, false).expect("create family");
    kernel
        .create_shard(&single, SINGLE)
        .expect("create single set");
    let opts = AddOptions::default();
    for i in 0..entries {
        let e = addr(i);
        kernel
            .add(SINGLE, SetType::HashIp, &e, &opts)
            .expect("fill single");
        assert!(family::add::add_one(&mut kernel, &spec, &e, &opts).expect("fill family"));
    }

    println!("## In-process, {entries} entries, {shards} shards, {rounds} interleaved rounds (microseconds)\n");
    println!("| operation | single p5 | single median | single p95 | family p5 | family median | family p95 | family/single (median) |");
    println!("|---|---|---|---|---|---|---|---|");
    let mut s_hit = Vec::with_capacity(rounds);
    let mut f_hit = Vec::with_capacity(rounds);
    let mut s_miss = Vec::with_capacity(rounds);
    let mut f_miss = Vec::with_capacity(rounds);
    let mut s_add = Vec::with_capacity(rounds);
    let mut f_add = Vec::with_capacity(rounds);
    let mut s_del = Vec::with_capacity(rounds);
    let mut f_del = Vec::with_capacity(rounds);
    let timed = |v: &mut Vec<u64>, f: &mut dyn FnMut() -> bool| {
        let t = Instant::now();
        let r = f();
        v.push(t.elapsed().as_nanos() as u64);
        r
    };
    for r in 0..rounds as u64 {
        let hit = addr(r % entries);
        let new = addr(entries + 1_000_000 + r);
        // Alternate which side goes first, so neither always runs warm.
        let first_single = r % 2 == 0;
        for side in [first_single, !first_single] {
            if side {
                assert!(timed(&mut s_hit, &mut || kernel
                    .test(SINGLE, SetType::HashIp, &hit)
                    .unwrap()));
                assert!(!timed(&mut s_miss, &mut || kernel
                    .test(SINGLE, SetType::HashIp, &new)
                    .unwrap()));
                assert!(timed(&mut s_add, &mut || kernel
                    .add(SINGLE, SetType::HashIp, &new, &opts)
                    .unwrap()));
                assert!(timed(&mut s_del, &mut || kernel
                    .del(SINGLE, SetType::HashIp, &new)
                    .unwrap()));
            } else {
                assert!(timed(&mut f_hit, &mut || family::lookup::test(
                    &mut kernel,
                    &spec,
                    &hit
                )
                .unwrap()));
                assert!(!timed(&mut f_miss, &mut || family::lookup::test(
                    &mut kernel,
                    &spec,
                    &new
                )
                .unwrap()));
                assert!(timed(&mut f_add, &mut || family::add::add_one(
                    &mut kernel,
                    &spec,
                    &new,
                    &opts
                )
                .unwrap()));
                assert!(timed(&mut f_del, &mut || family::remove::del_one(
                    &mut kernel,
                    &spec,
                    &new
                )
                .unwrap()));
            }
        }
    }
    row("test (member)", &mut s_hit, &mut f_hit);
    row("test (non-member)", &mut s_miss, &mut f_miss);
    row("add", &mut s_add, &mut f_add);
    row("del", &mut s_del, &mut f_del);
    drop(kernel);

    println!("\n## One process per test, {spawns} interleaved runs each (microseconds)\n");
    println!("Wall = fork to exit as the caller sees it; CPU = the child's user + system time (getrusage), less noisy on a shared machine.\n");
    println!("| command | wall p5 | wall median | wall p95 | CPU median |");
    println!("|---|---|---|---|---|");
    let mipset = env!("CARGO_BIN_EXE_mipset");
    let names = [
        "/bin/true",
        "ipset -q test single ADDR",
        "mipset -q test fam ADDR",
    ];
    let mut wall: [Vec<u64>; 3] = Default::default();
    let mut cpu: [Vec<u64>; 3] = Default::default();
    for r in 0..spawns as u64 {
        let a = addr(r % entries).addr.to_string();
        let commands: [(&str, Vec<&str>); 3] = [
            ("/bin/true", vec![]),
            ("ipset", vec!["-q", "test", SINGLE, &a]),
            (mipset, vec!["-q", "test", FAMILY, &a]),
        ];
        // Rotate the order each round so no command always runs first.
        for k in 0..3 {
            let i = (k + r as usize) % 3;
            let (program, args) = &commands[i];
            let (w, c) = run_timed(program, args);
            wall[i].push(w);
            cpu[i].push(c);
        }
    }
    let mut medians = [(0.0, 0.0); 3];
    for i in 0..3 {
        let w = stats(&mut wall[i]);
        let c = stats(&mut cpu[i]);
        medians[i] = (w.median, c.median);
        println!(
            "| `{}` | {:.0} | {:.0} | {:.0} | {:.0} |",
            names[i],
            w.p5 / 1e3,
            w.median / 1e3,
            w.p95 / 1e3,
            c.median / 1e3
        );
    }
    println!(
        "\nmipset/ipset (median): wall {:.3}, CPU {:.3}",
        medians[2].0 / medians[1].0,
        medians[2].1 / medians[1].1
    );
}

/// Run a program to completion; its wall time and its own CPU time (ns).
// The child is reaped by wait4 (which also reports its rusage), not by
// Child::wait, so clippy cannot see it.
#[allow(clippy::zombie_processes)]
fn run_timed(program: &str, args: &[&str]) -> (u64, u64) {
    let t = Instant::now();
    let child = Command::new(program).args(args).spawn().expect("spawn");
    let mut status = 0;
    // SAFETY: plain wait4 on our own child, with a zeroed rusage to fill.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let pid = unsafe { libc::wait4(child.id() as i32, &mut status, 0, &mut usage) };
    let wall = t.elapsed().as_nanos() as u64;
    assert_eq!(pid, child.id() as i32, "wait4");
    assert!(
        libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
        "{program} {args:?} failed"
    );
    let micros = |tv: libc::timeval| tv.tv_sec as u64 * 1_000_000 + tv.tv_usec as u64;
    (
        wall,
        (micros(usage.ru_utime) + micros(usage.ru_stime)) * 1000,
    )
}
