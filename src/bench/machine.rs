//! Where a benchmark ran, for its report.

use super::report::Machine;
use crate::rules::iptables::Backend;

fn first_line(text: &str) -> String {
    text.lines().next().unwrap_or("").trim().to_string()
}

/// Describe this machine: kernel, CPU, memory, iptables, ipset, mipset.
pub fn describe() -> Machine {
    let read = |path: &str| std::fs::read_to_string(path).unwrap_or_default();
    let cpuinfo = read("/proc/cpuinfo");
    let cpu = cpuinfo
        .lines()
        .find_map(|l| l.strip_prefix("model name"))
        .and_then(|l| l.split_once(':'))
        .map(|(_, v)| v.trim().to_string())
        .unwrap_or_else(|| "unknown".into());
    let memory_kib: f64 = read("/proc/meminfo")
        .lines()
        .find_map(|l| l.strip_prefix("MemTotal:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap_or(0.0);
    let iptables = match Backend::detect(None) {
        Ok(b) => format!("{} ({})", b.kind.kernel_name(), b.reason),
        Err(e) => format!("unavailable: {e}"),
    };
    let ipset = std::process::Command::new("ipset")
        .arg("version")
        .output()
        .map(|o| first_line(&String::from_utf8_lossy(&o.stdout)))
        .unwrap_or_else(|_| "ipset command not installed".into());
    Machine {
        kernel: format!("Linux {}", first_line(&read("/proc/sys/kernel/osrelease"))),
        cpu,
        cores: std::thread::available_parallelism().map_or(1, |n| n.get()),
        memory_gib: (memory_kib / 1024.0 / 1024.0 * 10.0).round() / 10.0,
        iptables,
        ipset,
        mipset: format!("mipset {}", env!("CARGO_PKG_VERSION")),
    }
}
