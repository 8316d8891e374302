//! Small helpers shared by the harness and the tests: paths, free ports, polling, unique names, log tails.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// Runs one of the project's service scripts (`tests/scripts/<script> ARGS...`); the error carries its output.
pub fn service_script(script: &str, args: &[&str]) -> Result<(), String> {
    let path = workspace_root().join("tests/scripts").join(script);
    let output = std::process::Command::new("bash")
        .arg(&path)
        .args(args)
        .output()
        .map_err(|e| format!("cannot run {}: {e}", path.display()))?;
    if output.status.success() {
        return Ok(());
    }
    Err(format!(
        "`{script} {}` failed ({}):\n{}{}",
        args.join(" "),
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    ))
}

/// Starts test services (`services.sh up NAME...`, idempotent and safe across parallel test binaries).
pub fn services_up(services: &[&str]) -> Result<(), String> {
    let args: Vec<&str> = std::iter::once("up")
        .chain(services.iter().copied())
        .collect();
    service_script("services.sh", &args)
}

/// The test services' state dir, as tests/scripts/lib.sh computes it (`CONNECT_TEST_HOME`, else
/// `<workspace>/.local/test-services`); the service scripts install their Python tools under it.
pub fn services_home() -> PathBuf {
    match std::env::var_os("CONNECT_TEST_HOME") {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => workspace_root().join(".local/test-services"),
    }
}

/// The Python the service scripts install for (`CONNECT_TEST_PYTHON`, default `python3`).
pub fn test_python() -> String {
    std::env::var("CONNECT_TEST_PYTHON").unwrap_or_else(|_| "python3".into())
}

/// The workspace root (the directory holding the top-level Cargo.toml).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ has a parent directory")
        .to_path_buf()
}

/// A TCP port on 127.0.0.1 that was free a moment ago (the OS picked it; it is released before returning).
pub fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0 to find a free port");
    listener
        .local_addr()
        .expect("local_addr of a bound listener")
        .port()
}

/// Polls `condition` every 100 ms until it returns true (returns true) or `timeout` passes (returns false).
/// The condition is always evaluated at least once, and once more at the deadline.
pub fn wait_until(timeout: Duration, mut condition: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + timeout;
    loop {
        if condition() {
            return true;
        }
        let now = Instant::now();
        if now >= deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(100).min(deadline - now));
    }
}

/// A name unique to this process, this run and this call, e.g. `src-2a1f-9c03e1-7`: usable as a topic,
/// connector or group name, so that tests can run in parallel against the one shared broker.
pub fn unique_name(prefix: &str) -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    format!(
        "{prefix}-{:x}-{:06x}-{n}",
        std::process::id(),
        (nanos & 0xff_ffff) as u32
    )
}

/// The last `lines` lines of a text file (lossy UTF-8), or a note saying why there are none.
pub fn tail_file(path: &Path, lines: usize) -> String {
    match std::fs::read(path) {
        Ok(bytes) => {
            let text = String::from_utf8_lossy(&bytes);
            let all: Vec<&str> = text.lines().collect();
            let start = all.len().saturating_sub(lines);
            if all.is_empty() {
                format!("({} is empty)", path.display())
            } else {
                all[start..].join("\n")
            }
        }
        Err(e) => format!("(cannot read {}: {e})", path.display()),
    }
}
