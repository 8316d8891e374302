//! The test PostgreSQL (`tests/scripts/services.sh up postgres`): its port and `psql` against it.

use std::process::Command;

/// Where Debian puts the PostgreSQL 15 client and server binaries.
pub const PG_BIN: &str = "/usr/lib/postgresql/15/bin";

/// The port of the test PostgreSQL (`CONNECT_POSTGRES_PORT`, default 5433).
pub fn pg_port() -> String {
    std::env::var("CONNECT_POSTGRES_PORT").unwrap_or_else(|_| "5433".into())
}

/// Runs SQL through `psql -c` as user postgres (several statements run as one transaction) and returns the
/// unaligned, tuples-only output.
#[track_caller]
pub fn psql(db: &str, sql: &str) -> String {
    let out = Command::new(format!("{PG_BIN}/psql"))
        .args([
            "-h",
            "127.0.0.1",
            "-p",
            &pg_port(),
            "-U",
            "postgres",
            "-d",
            db,
        ])
        .args(["-v", "ON_ERROR_STOP=1", "-qAt", "-c", sql])
        .output()
        .expect("running psql");
    assert!(
        out.status.success(),
        "psql {sql:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}
