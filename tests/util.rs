//! Test harness: every kernel test runs in its own private network namespace.
//!
//! * [`Netns`] is a named namespace (`ip netns add`) for tests that run the
//!   `mipset` binary and stock `ipset`/`iptables` several times against the
//!   same kernel state; it is deleted on drop.
//! * [`private_netns`] moves the calling test thread into a fresh anonymous
//!   namespace (unshare(CLONE_NEWNET)) for in-process engine tests.
//!
//! Without the privileges to do either, the test fails loudly. The only way
//! to skip is the explicit opt-out `MIPSET_SKIP_KERNEL_TESTS=1`, which is
//! refused when `CI=true`.

use std::io::Write;
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};

pub const MIPSET: &str = env!("CARGO_BIN_EXE_mipset");

/// Returns false if the user explicitly opted out of kernel tests.
pub fn kernel_tests_enabled() -> bool {
    let opted_out = std::env::var("MIPSET_SKIP_KERNEL_TESTS").is_ok_and(|v| v == "1");
    let ci = std::env::var("CI").is_ok_and(|v| v == "true" || v == "1");
    if opted_out && ci {
        panic!(
            "MIPSET_SKIP_KERNEL_TESTS=1 is not allowed with CI=true: kernel tests must run in CI"
        );
    }
    if opted_out {
        eprintln!("kernel test skipped: MIPSET_SKIP_KERNEL_TESTS=1");
    }
    !opted_out
}

fn require_root() {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        panic!(
            "kernel tests need root (or CAP_SYS_ADMIN + CAP_NET_ADMIN) to create network namespaces; \
             run them as root, or opt out explicitly with MIPSET_SKIP_KERNEL_TESTS=1"
        );
    }
}

/// Move this thread into a fresh network namespace.
pub fn private_netns() {
    require_root();
    // SAFETY: unshare only affects the calling thread's namespaces.
    let rc = unsafe { libc::unshare(libc::CLONE_NEWNET) };
    assert_eq!(
        rc,
        0,
        "unshare(CLONE_NEWNET) failed: {}",
        std::io::Error::last_os_error()
    );
}

/// A named network namespace, deleted on drop.
pub struct Netns {
    pub name: String,
}

static COUNTER: AtomicU32 = AtomicU32::new(0);

impl Netns {
    pub fn new() -> Netns {
        require_root();
        let name = format!(
            "mipset-t{}-{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::SeqCst)
        );
        let out = Command::new("ip")
            .args(["netns", "add", &name])
            .output()
            .expect("run ip netns add");
        assert!(
            out.status.success(),
            "ip netns add {name} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        Netns { name }
    }

    /// A command line for `program` inside the namespace (to spawn, pipe...).
    pub fn command(&self, program: &str, args: &[&str]) -> Command {
        let mut c = Command::new("ip");
        c.args(["netns", "exec", &self.name, program]).args(args);
        c.env_remove("NO_COLOR");
        c
    }

    /// A command line for mipset inside the namespace (to spawn, pipe...).
    pub fn mipset_command(&self, args: &[&str]) -> Command {
        self.command(MIPSET, args)
    }

    /// Run mipset with `args` (no stdin).
    pub fn mipset(&self, args: &[&str]) -> Run {
        self.mipset_stdin(args, "")
    }

    /// Run mipset with `args`, feeding `stdin`.
    pub fn mipset_stdin(&self, args: &[&str], stdin: &str) -> Run {
        run(self.command(MIPSET, args), stdin)
    }

    /// Run any program inside the namespace.
    pub fn exec(&self, program: &str, args: &[&str]) -> Run {
        run(self.command(program, args), "")
    }

    /// Run any program inside the namespace, feeding `stdin`.
    pub fn exec_stdin(&self, program: &str, args: &[&str], stdin: &str) -> Run {
        run(self.command(program, args), stdin)
    }

    /// Run a program and require success; returns stdout.
    pub fn ok(&self, program: &str, args: &[&str]) -> String {
        let r = self.exec(program, args);
        assert_eq!(r.code, 0, "{program} {args:?} failed: {}", r.stderr);
        r.stdout
    }

    /// Hold this namespace's mipset node lock (its privileged port) from
    /// another process, as root, until the returned child is killed.
    pub fn hold_lock(&self) -> std::process::Child {
        let mut holder = self
            .command(
                "python3",
                &[
                    "-c",
                    "import socket, sys, time\ns = socket.socket()\ns.setsockopt(socket.SOL_IP, 15, 1)\ns.bind(('127.0.0.1', 1022))\ns.listen(1)\nprint('held', flush=True)\ntime.sleep(30)",
                ],
            )
            .stdout(Stdio::piped())
            .spawn()
            .expect("spawn the lock holder");
        let mut line = String::new();
        std::io::BufRead::read_line(
            &mut std::io::BufReader::new(holder.stdout.as_mut().expect("stdout")),
            &mut line,
        )
        .expect("read from the lock holder");
        assert_eq!(line, "held\n");
        holder
    }

    /// Run `work` on a new thread that has entered this namespace (with
    /// `lo` up), so sockets it opens live here; the test's own thread stays
    /// where it was.
    pub fn in_thread<T: Send + 'static>(&self, work: impl FnOnce() -> T + Send + 'static) -> T {
        self.ok("ip", &["link", "set", "lo", "up"]);
        let path = format!("/run/netns/{}", self.name);
        std::thread::spawn(move || {
            let ns = std::fs::File::open(&path).expect("open the namespace");
            // SAFETY: setns with a valid namespace fd moves only this thread.
            let rc =
                unsafe { libc::setns(std::os::fd::AsRawFd::as_raw_fd(&ns), libc::CLONE_NEWNET) };
            assert_eq!(rc, 0, "setns: {}", std::io::Error::last_os_error());
            work()
        })
        .join()
        .expect("the namespace thread panicked")
    }

    /// `ipset save` of the whole namespace: the kernel state to compare.
    pub fn ipset_save(&self) -> String {
        self.ok("ipset", &["save"])
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        let _ = Command::new("ip")
            .args(["netns", "del", &self.name])
            .output();
    }
}

/// The result of one process.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// Assert the exit code, showing stderr if it differs.
    #[track_caller]
    pub fn expect(&self, code: i32) -> &Self {
        assert_eq!(
            self.code, code,
            "expected exit {code}, got {}\nstdout: {}\nstderr: {}",
            self.code, self.stdout, self.stderr
        );
        self
    }
}

fn run(mut c: Command, stdin: &str) -> Run {
    c.stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = c.spawn().expect("spawn");
    {
        let mut input = child.stdin.take().expect("stdin");
        // The child may exit before reading everything; that is its answer.
        let _ = input.write_all(stdin.as_bytes());
    }
    let Output {
        status,
        stdout,
        stderr,
    } = child.wait_with_output().expect("wait");
    Run {
        code: status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&stdout).into_owned(),
        stderr: String::from_utf8_lossy(&stderr).into_owned(),
    }
}

/// A small deterministic random generator (SplitMix64) for test data.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        mipset::route::mix64(self.0)
    }

    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    pub fn u128(&mut self) -> u128 {
        (u128::from(self.next()) << 64) | u128::from(self.next())
    }
}
