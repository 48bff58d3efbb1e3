//! Per-packet cost of one set versus a family (tree, linear, umbrella) on
//! the real loopback packet path, in a private network namespace (needs
//! root). See `mipset::bench::packet_path` for the method.
//!
//! `cargo bench --bench packet_path -- --entries 1000000 --packets 200000 --rounds 7 [--backend legacy]`

use mipset::bench::packet_path::{self, Config};
use mipset::rules::spec::Layout;

fn arg(name: &str) -> Option<String> {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
}

fn number(name: &str, default: usize) -> usize {
    arg(name).and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return; // `cargo bench -- --list` probes benches; nothing to list.
    }
    // SAFETY: geteuid has no preconditions.
    assert_eq!(
        unsafe { libc::geteuid() },
        0,
        "this benchmark needs root (it creates a network namespace)"
    );
    // SAFETY: moves this (still single-threaded) process into a new
    // network namespace: its sets, rules and packets stay there.
    assert_eq!(
        unsafe { libc::unshare(libc::CLONE_NEWNET) },
        0,
        "unshare(CLONE_NEWNET)"
    );
    let up = std::process::Command::new("ip")
        .args(["link", "set", "lo", "up"])
        .status()
        .expect("run ip");
    assert!(up.success(), "ip link set lo up");
    let shards: Vec<u32> = arg("--shards")
        .unwrap_or_else(|| "16,64".into())
        .split(',')
        .map(|s| s.parse().expect("--shards N,M"))
        .collect();
    let cfg = Config {
        entries: number("--entries", 1_000_000),
        shards,
        layouts: vec![
            Layout::TwoLevel,
            Layout::Tree,
            Layout::Linear,
            Layout::Umbrella,
        ],
        packets: number("--packets", 200_000),
        rounds: number("--rounds", 7),
        seed: number("--seed", 1) as u64,
        backend: arg("--backend").map(|b| b.parse().expect("--backend nft|legacy")),
        set_type: mipset::addr::SetType::HashIp,
        routing: mipset::route::Routing::Bits { shift: 0 },
    };
    let mut kernel = mipset::kernel::Kernel::open().unwrap_or_else(|e| panic!("{e}"));
    let report = packet_path::run(&mut kernel, &cfg, &mut |step| {
        eprintln!("packet_path: {step}")
    })
    .unwrap_or_else(|e| panic!("{e}"));
    print!("{}", packet_path::markdown(&report));
    if !report.counters_ok {
        std::process::exit(1);
    }
}
