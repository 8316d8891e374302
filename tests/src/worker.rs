//! Worker processes under test: spawn `connect standalone` or `connect distributed` in a temp dir, log to a file,
//! wait for REST, stop or kill.

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use tempfile::TempDir;

use crate::broker::ensure_broker;
use crate::rest::Rest;
use crate::util::{free_port, tail_file, workspace_root};

/// Until a started worker's REST API answers. Workers start in well under a second on the test broker; on librdkafka's
/// mock cluster the internal topics' compaction check waits out its 10 s timeout first (the mock names no reachable
/// controller), and CI machines are slower.
const STARTUP_TIMEOUT: Duration = Duration::from_secs(40);
const STOP_TIMEOUT: Duration = Duration::from_secs(30);
/// Lines of the worker log quoted in failure messages.
const TAIL_LINES: usize = 60;
const BUILD_HINT: &str =
    "run `cargo build --release --workspace` first (with the same CARGO_TARGET_DIR as the tests)";
const PLUGIN_FILE: &str = "libconnect_file.so";

/// The cargo target dir: `$CARGO_TARGET_DIR` at test runtime (relative paths taken from the workspace root),
/// else `<workspace root>/target`.
pub fn target_dir() -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) if !dir.is_empty() => workspace_root().join(dir),
        _ => workspace_root().join("target"),
    }
}

/// `<target>/release/connect`; panics with a build hint if it is missing.
#[track_caller]
pub fn worker_binary() -> PathBuf {
    let path = target_dir().join("release/connect");
    assert!(
        path.is_file(),
        "worker binary {} not found: {BUILD_HINT}",
        path.display()
    );
    path
}

/// `<target>/release/libconnect_file.so` (the FileStream plugins); panics with a build hint if it is missing.
#[track_caller]
pub fn plugin_library() -> PathBuf {
    let path = target_dir().join("release").join(PLUGIN_FILE);
    assert!(
        path.is_file(),
        "FileStream plugin {} not found: {BUILD_HINT}",
        path.display()
    );
    path
}

/// `<target>/release/libconnect_test_plugins.so` (the test-only plugins of `tests/plugins`); panics with a build hint
/// if it is missing.
#[track_caller]
pub fn test_plugin_library() -> PathBuf {
    let path = target_dir().join("release/libconnect_test_plugins.so");
    assert!(
        path.is_file(),
        "test plugins {} not found: {BUILD_HINT}",
        path.display()
    );
    path
}

/// A fresh temp dir holding a copy of the FileStream plugin library, usable as `plugin.path`.
#[track_caller]
pub fn plugin_dir() -> TempDir {
    let dir = tempfile::Builder::new()
        .prefix("connect-plugins-")
        .tempdir()
        .expect("creating a plugin temp dir");
    install_plugin(dir.path());
    dir
}

/// Hard-links (or copies) the plugin into `dir`, so a rebuild during the test cannot change it under the worker.
#[track_caller]
fn install_plugin(dir: &Path) {
    let source = plugin_library();
    let target = dir.join(PLUGIN_FILE);
    if fs::hard_link(&source, &target).is_err() {
        fs::copy(&source, &target).unwrap_or_else(|e| {
            panic!("copying {} to {}: {e}", source.display(), target.display())
        });
    }
}

/// Which `connect` command a [`Worker`] runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    Standalone,
    Distributed,
}

/// A `connect standalone` or `connect distributed` process. Killed (SIGKILL) when dropped; if the test is panicking, its temp dir (worker
/// properties, offsets file, plugin copy, `worker.log`) is kept and its path printed.
///
/// The process gets PR_SET_PDEATHSIG=SIGKILL, so it also dies if the test process dies; note that this fires when
/// the *thread* that started it exits, so keep a Worker on the thread that created it.
pub struct Worker {
    mode: Mode,
    child: Option<Child>,
    dir: PathBuf,
    owned_dir: Option<TempDir>,
    props: Vec<(String, String)>,
    /// True if the caller chose `listeners`; otherwise every (re)start picks a new free port.
    fixed_listener: bool,
    connector_files: Vec<PathBuf>,
    port: u16,
    log: PathBuf,
    starts: u32,
    security: Security,
}

/// How to launch and reach a worker whose REST API is secured (see `tests/tests/rest_security.rs`).
#[derive(Clone, Debug, Default)]
pub struct Security {
    /// PEM root certificate of an https first listener: [`Worker::url`] is then `https://` and [`Worker::rest`]
    /// trusts only this root.
    pub root_cert_pem: Option<Vec<u8>>,
    /// PEM private key and certificate that [`Worker::rest`] presents when the worker asks for a client certificate.
    pub client_cert_pem: Option<Vec<u8>>,
    /// `(user, password)` that [`Worker::rest`] (and the readiness check) sends as HTTP basic credentials.
    pub basic_auth: Option<(String, String)>,
    /// Extra environment variables for the worker process (e.g. `KAFKA_OPTS`).
    pub env: Vec<(String, String)>,
}

impl Worker {
    /// Starts `connect standalone <dir>/worker.properties <connector_files...>` and waits (up to 20 s) until
    /// `GET /` answers 200. Defaults, each overridden by `worker_props`: `bootstrap.servers` = the test broker,
    /// String key/value converters, `offset.storage.file.filename=<dir>/connect.offsets`,
    /// `plugin.path=<dir>/plugins` (with a copy of the FileStream plugin), `listeners=http://127.0.0.1:<free port>`.
    #[track_caller]
    pub fn start_standalone(worker_props: &[(&str, &str)], connector_files: &[PathBuf]) -> Worker {
        Self::start(
            Mode::Standalone,
            worker_props,
            connector_files,
            Security::default(),
        )
    }

    /// [`start_standalone`](Self::start_standalone) for a worker with a secured REST API, reached as `security` says.
    #[track_caller]
    pub fn start_standalone_secured(worker_props: &[(&str, &str)], security: Security) -> Worker {
        Self::start(Mode::Standalone, worker_props, &[], security)
    }

    /// Starts `connect distributed <dir>/worker.properties` and waits (up to 20 s) until `GET /` answers 200 (the
    /// worker may still be joining its group then). Defaults as [`start_standalone`](Self::start_standalone), minus
    /// the offsets file, plus replication factor 1 for the internal topics, `session.timeout.ms=6000` and
    /// `heartbeat.interval.ms=1000`; the caller must give `group.id` and the three `*.storage.topic` names.
    #[track_caller]
    pub fn start_distributed(worker_props: &[(&str, &str)]) -> Worker {
        Self::start(Mode::Distributed, worker_props, &[], Security::default())
    }

    #[track_caller]
    fn start(
        mode: Mode,
        worker_props: &[(&str, &str)],
        connector_files: &[PathBuf],
        security: Security,
    ) -> Worker {
        let binary = worker_binary();
        let owned = tempfile::Builder::new()
            .prefix("connect-e2e-")
            .tempdir()
            .expect("creating a worker temp dir");
        let dir = owned.path().to_path_buf();
        let plugins = dir.join("plugins");
        fs::create_dir(&plugins).unwrap_or_else(|e| panic!("creating {}: {e}", plugins.display()));
        install_plugin(&plugins);

        let string_converter = "org.apache.kafka.connect.storage.StringConverter";
        let mut props: Vec<(String, String)> = vec![
            ("bootstrap.servers".into(), ensure_broker()),
            ("key.converter".into(), string_converter.into()),
            ("value.converter".into(), string_converter.into()),
            ("plugin.path".into(), plugins.display().to_string()),
            ("listeners".into(), String::new()),
        ];
        match mode {
            Mode::Standalone => props.push((
                "offset.storage.file.filename".into(),
                dir.join("connect.offsets").display().to_string(),
            )),
            Mode::Distributed => {
                for (k, v) in [
                    ("config.storage.replication.factor", "1"),
                    ("offset.storage.replication.factor", "1"),
                    ("status.storage.replication.factor", "1"),
                    ("session.timeout.ms", "6000"),
                    ("heartbeat.interval.ms", "1000"),
                ] {
                    props.push((k.into(), v.into()));
                }
            }
        }
        for (key, value) in worker_props {
            match props.iter_mut().find(|(k, _)| k == key) {
                Some(entry) => entry.1 = (*value).to_owned(),
                None => props.push(((*key).to_owned(), (*value).to_owned())),
            }
        }
        let fixed_listener = worker_props.iter().any(|(k, _)| *k == "listeners");
        let mut worker = Worker {
            mode,
            child: None,
            log: dir.join("worker.log"),
            dir,
            owned_dir: Some(owned),
            props,
            fixed_listener,
            connector_files: connector_files.to_vec(),
            port: 0,
            starts: 0,
            security,
        };
        worker.launch(&binary);
        worker
    }

    /// Starts the worker again after [`kill9`](Self::kill9) or [`stop`](Self::stop): same properties, same
    /// connector files, same offsets file and temp dir, log appended to the same `worker.log`. Unless the test
    /// fixed `listeners`, the REST API moves to a new free port (see [`url`](Self::url)).
    #[track_caller]
    pub fn restart(&mut self) {
        assert!(
            !self.is_running(),
            "restart() on a worker that is still running; stop() or kill9() it first"
        );
        let binary = worker_binary();
        self.launch(&binary);
    }

    #[track_caller]
    fn launch(&mut self, binary: &Path) {
        self.starts += 1;
        if self.fixed_listener {
            let listeners = self.prop("listeners").unwrap_or_default();
            self.port = listeners
                .rsplit(':')
                .next()
                .and_then(|p| p.trim_end_matches('/').parse().ok())
                .unwrap_or_else(|| panic!("cannot find a port in listeners={listeners}"));
        } else {
            self.port = free_port();
            let listener = format!("http://127.0.0.1:{}", self.port);
            self.set_prop("listeners", &listener);
        }
        let props_file = self.dir.join("worker.properties");
        let mut file = File::create(&props_file)
            .unwrap_or_else(|e| panic!("creating {}: {e}", props_file.display()));
        for (key, value) in &self.props {
            writeln!(file, "{key}={value}")
                .unwrap_or_else(|e| panic!("writing {}: {e}", props_file.display()));
        }
        drop(file);

        let mut log = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log)
            .unwrap_or_else(|e| panic!("opening {}: {e}", self.log.display()));
        let mut command = Command::new(binary);
        match self.mode {
            Mode::Standalone => command
                .arg("standalone")
                .arg(&props_file)
                .args(&self.connector_files),
            Mode::Distributed => command.arg("distributed").arg(&props_file),
        };
        writeln!(
            log,
            "===== harness: start #{} at {:?}: {command:?}",
            self.starts,
            std::time::SystemTime::now()
        )
        .expect("writing worker log");
        let stdout = log.try_clone().expect("cloning log file handle");
        command.envs(self.security.env.iter().map(|(k, v)| (k, v)));
        command
            .current_dir(&self.dir)
            .stdin(Stdio::null())
            .stdout(stdout)
            .stderr(log)
            .env("NO_COLOR", "1")
            .env(
                "RUST_BACKTRACE",
                std::env::var("RUST_BACKTRACE").unwrap_or_else(|_| "1".into()),
            );
        // SAFETY: prctl is async-signal-safe and the closure touches no shared state.
        unsafe {
            command.pre_exec(|| {
                libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
                Ok(())
            });
        }
        let child = command
            .spawn()
            .unwrap_or_else(|e| panic!("spawning {}: {e}", binary.display()));
        self.child = Some(child);
        self.wait_ready();
    }

    #[track_caller]
    fn wait_ready(&mut self) {
        let rest = self.rest();
        let deadline = Instant::now() + STARTUP_TIMEOUT;
        let mut last: String;
        loop {
            if let Some(status) = self
                .child
                .as_mut()
                .and_then(|c| c.try_wait().ok().flatten())
            {
                self.child = None;
                panic!(
                    "worker exited with {status} before its REST API answered on {}\n{}",
                    self.url(),
                    self.log_tail_block()
                );
            }
            match rest.try_get("/", Duration::from_secs(2)) {
                Ok(response) if response.status == 200 => return,
                Ok(response) => last = response.to_string(),
                Err(e) => last = e,
            }
            if Instant::now() >= deadline {
                self.kill_quietly();
                panic!(
                    "worker did not answer GET {}/ with 200 within {STARTUP_TIMEOUT:?} (last: {last})\n{}",
                    self.url(),
                    self.log_tail_block()
                );
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// SIGKILL, then reap. Panics (with the log tail) if the worker had already exited on its own.
    #[track_caller]
    pub fn kill9(&mut self) -> ExitStatus {
        let mut child = self
            .child
            .take()
            .expect("kill9() on a worker that was not started or already stopped");
        if let Ok(Some(status)) = child.try_wait() {
            panic!(
                "worker had already exited with {status} before kill -9\n{}",
                self.log_tail_block()
            );
        }
        child.kill().expect("sending SIGKILL to the worker");
        child.wait().expect("reaping the killed worker")
    }

    /// SIGTERM, then waits up to 30 s for a graceful exit and returns its status. If it does not exit, sends
    /// SIGKILL and panics with the log tail.
    #[track_caller]
    pub fn stop(&mut self) -> ExitStatus {
        let mut child = self
            .child
            .take()
            .expect("stop() on a worker that was not started or already stopped");
        if let Ok(Some(status)) = child.try_wait() {
            panic!(
                "worker had already exited with {status} before SIGTERM\n{}",
                self.log_tail_block()
            );
        }
        let pid = libc::pid_t::try_from(child.id()).expect("pid fits pid_t");
        // SAFETY: plain kill(2) on our own child, which has not been reaped yet (so the pid is still ours).
        unsafe {
            libc::kill(pid, libc::SIGTERM);
        }
        let deadline = Instant::now() + STOP_TIMEOUT;
        loop {
            if let Some(status) = child.try_wait().expect("waiting for the worker") {
                return status;
            }
            if Instant::now() >= deadline {
                let _ = child.kill();
                let _ = child.wait();
                panic!(
                    "worker did not exit within {STOP_TIMEOUT:?} of SIGTERM\n{}",
                    self.log_tail_block()
                );
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// True while the process runs (not exited, not killed).
    pub fn is_running(&mut self) -> bool {
        match self.child.as_mut() {
            Some(child) => matches!(child.try_wait(), Ok(None)),
            None => false,
        }
    }

    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// `http://127.0.0.1:<port>` of the current run (`https://` with [`Security::root_cert_pem`]).
    pub fn url(&self) -> String {
        let scheme = if self.security.root_cert_pem.is_some() {
            "https"
        } else {
            "http"
        };
        format!("{scheme}://127.0.0.1:{}", self.port)
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// A REST client for [`url`](Self::url), with the root certificate and credentials of [`Security`] if any.
    pub fn rest(&self) -> Rest {
        let rest = Rest::with_tls(
            &self.url(),
            self.security.root_cert_pem.as_deref(),
            self.security.client_cert_pem.as_deref(),
        );
        match &self.security.basic_auth {
            Some((user, password)) => rest.with_basic_auth(user, password),
            None => rest,
        }
    }

    /// The worker's temp dir (properties, offsets, plugins, log).
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    pub fn log_path(&self) -> &Path {
        &self.log
    }

    /// The effective value of a worker property.
    pub fn prop(&self, key: &str) -> Option<String> {
        self.props
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.clone())
    }

    fn set_prop(&mut self, key: &str, value: &str) {
        match self.props.iter_mut().find(|(k, _)| k == key) {
            Some(entry) => entry.1 = value.to_owned(),
            None => self.props.push((key.to_owned(), value.to_owned())),
        }
    }

    /// The standalone offsets file.
    pub fn offsets_file(&self) -> PathBuf {
        PathBuf::from(
            self.prop("offset.storage.file.filename")
                .unwrap_or_default(),
        )
    }

    /// The whole log (all runs of this worker).
    pub fn log(&self) -> String {
        String::from_utf8_lossy(&fs::read(&self.log).unwrap_or_default()).into_owned()
    }

    /// The last `lines` lines of the log.
    pub fn log_tail(&self, lines: usize) -> String {
        tail_file(&self.log, lines)
    }

    /// The log tail framed for a panic message.
    pub fn log_tail_block(&self) -> String {
        format!(
            "----- last {TAIL_LINES} lines of {} -----\n{}\n----- end of worker log -----",
            self.log.display(),
            self.log_tail(TAIL_LINES)
        )
    }

    fn kill_quietly(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        self.kill_quietly();
        if std::thread::panicking() {
            if let Some(dir) = self.owned_dir.take() {
                let kept = dir.keep();
                eprintln!(
                    "worker files kept in {} (log: {})",
                    kept.display(),
                    self.log.display()
                );
            }
        }
    }
}

/// A distributed group and its three internal topics, unique to one test; starts workers that join it.
pub struct Cluster {
    pub group: String,
    pub configs: String,
    pub offsets: String,
    pub statuses: String,
}

impl Cluster {
    /// A fresh group named after `prefix`.
    pub fn new(prefix: &str) -> Cluster {
        let group = crate::unique_name(prefix);
        Cluster {
            configs: format!("{group}-configs"),
            offsets: format!("{group}-offsets"),
            statuses: format!("{group}-status"),
            group,
        }
    }

    /// Starts one worker of this cluster.
    #[track_caller]
    pub fn worker(&self) -> Worker {
        self.worker_with(&[])
    }

    /// Starts one worker of this cluster with extra properties (a repeated key overrides the default: the last
    /// occurrence in the properties file wins).
    #[track_caller]
    pub fn worker_with(&self, extra: &[(&str, &str)]) -> Worker {
        let mut props = vec![
            ("group.id", self.group.as_str()),
            ("config.storage.topic", &self.configs),
            ("offset.storage.topic", &self.offsets),
            ("offset.storage.partitions", "5"),
            ("status.storage.topic", &self.statuses),
            ("status.storage.partitions", "2"),
            ("offset.flush.interval.ms", "500"),
            ("scheduled.rebalance.max.delay.ms", "2000"),
            // A sink task that moves rejoins its consumer group; do not wait 45 s for the dead consumer.
            ("consumer.session.timeout.ms", "6000"),
            ("consumer.heartbeat.interval.ms", "1000"),
        ];
        props.extend_from_slice(extra);
        Worker::start_distributed(&props)
    }
}
