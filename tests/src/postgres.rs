//! The test PostgreSQL (`tests/scripts/services.sh up postgres`): its port and `psql` against it.

use std::process::Command;

/// Where Debian puts the PostgreSQL 15 client and server binaries.
pub const PG_BIN: &str = "/usr/lib/postgresql/15/bin";

/// The port of the test PostgreSQL (`CONNECT_POSTGRES_PORT`, default 5433).
pub fn pg_port() -> String {
    std::env::var("CONNECT_POSTGRES_PORT").unwrap_or_else(|_| "5433".into())
}

/// A PostgreSQL client program (`psql`, `pg_recvlogical`, ...) with the connection options of the test server
/// (user postgres, database `db`); add the program's own arguments.
pub fn pg_command(program: &str, db: &str) -> Command {
    let mut command = Command::new(format!("{PG_BIN}/{program}"));
    command.args([
        "-h",
        "127.0.0.1",
        "-p",
        &pg_port(),
        "-U",
        "postgres",
        "-d",
        db,
    ]);
    command
}

/// Runs SQL through `psql -c` as user postgres (several statements run as one transaction) and returns the
/// unaligned, tuples-only output.
#[track_caller]
pub fn psql(db: &str, sql: &str) -> String {
    let out = pg_command("psql", db)
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

/// Runs a file of SQL statements through `psql -f`, each statement its own transaction.
#[track_caller]
pub fn psql_file(db: &str, file: &std::path::Path) {
    let status = pg_command("psql", db)
        .args(["-v", "ON_ERROR_STOP=1", "-q", "-f"])
        .arg(file)
        .status()
        .expect("running psql");
    assert!(status.success(), "psql -f {} failed", file.display());
}

/// A PostgresConnector reading database `db` of the test server through slot and publication `db`, with topics
/// `<prefix>.<schema>.<table>`.
pub fn postgres_source_props(name: &str, db: &str, prefix: &str) -> Vec<(&'static str, String)> {
    vec![
        ("name", name.to_string()),
        (
            "connector.class",
            "io.debezium.connector.postgresql.PostgresConnector".to_string(),
        ),
        ("tasks.max", "1".to_string()),
        ("database.hostname", "127.0.0.1".to_string()),
        ("database.port", pg_port()),
        ("database.user", "postgres".to_string()),
        ("database.dbname", db.to_string()),
        ("topic.prefix", prefix.to_string()),
        ("plugin.name", "pgoutput".to_string()),
        ("slot.name", db.to_string()),
        ("publication.name", db.to_string()),
        ("poll.interval.ms", "50".to_string()),
    ]
}
