//! TLS fronts for test services that have none (OpenSearch's osmem, the tansu broker): a test CA, a server
//! certificate for 127.0.0.1 signed by it, and `tests/scripts/tls_proxy.py` relaying to the plain service.

use std::io::BufRead;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use tempfile::TempDir;

use crate::util::{test_python, workspace_root};

/// A TLS listener on 127.0.0.1 in front of a plain upstream. Stopped when dropped.
pub struct TlsFront {
    /// The port the front listens on.
    pub port: u16,
    child: Child,
    dir: TempDir,
}

impl TlsFront {
    /// Starts a front for `upstream`: `http://host:port` forwards HTTP requests, `tcp://host:port` relays the bytes
    /// of each connection (the upstream may start after the front: it is dialled per connection).
    pub fn start(upstream: &str) -> TlsFront {
        let dir = tempfile::tempdir().expect("temp dir");
        make_certificates(dir.path());
        let mut child = Command::new(test_python())
            .arg(workspace_root().join("tests/scripts/tls_proxy.py"))
            .args(["server.pem", "server.key", upstream])
            .current_dir(dir.path())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("starting tls_proxy.py");
        let mut port = String::new();
        std::io::BufReader::new(child.stdout.take().expect("proxy stdout"))
            .read_line(&mut port)
            .expect("reading the proxy port");
        let port = port
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("tls_proxy.py did not print its port: {port:?}"));
        TlsFront { port, child, dir }
    }

    /// The PEM file of the CA that signed the front's certificate (what clients must trust).
    pub fn ca(&self) -> PathBuf {
        self.dir.path().join("ca.pem")
    }
}

impl Drop for TlsFront {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Writes `ca.pem` and `server.pem`/`server.key` (for IP 127.0.0.1 and localhost, signed by the CA) into `dir`
/// with the `openssl` CLI.
fn make_certificates(dir: &Path) {
    let run = |args: &[&str]| {
        let out = Command::new("openssl")
            .args(args)
            .current_dir(dir)
            .output()
            .expect("running openssl (needed to make test certificates)");
        assert!(
            out.status.success(),
            "openssl {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    run(&[
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        "ca.key",
        "-out",
        "ca.pem",
        "-days",
        "2",
        "-subj",
        "/CN=connect-test-ca",
    ]);
    run(&[
        "req",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        "server.key",
        "-out",
        "server.csr",
        "-subj",
        "/CN=127.0.0.1",
    ]);
    std::fs::write(
        dir.join("ext.cnf"),
        "subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\n",
    )
    .expect("writing ext.cnf");
    run(&[
        "x509",
        "-req",
        "-in",
        "server.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-out",
        "server.pem",
        "-days",
        "2",
        "-extfile",
        "ext.cnf",
    ]);
}
