//! The `connect` binary: `connect standalone <worker.properties> [connector files...]` and
//! `connect distributed <worker.properties>`.

use std::path::Path;
use std::process::ExitCode;

/// The pipeline allocates and frees many small values per record; in profiles glibc's allocator took about a third
/// of the task threads' time.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const USAGE: &str = "usage: connect standalone <worker.properties> [<connector.properties|connector.json> ...]\n       connect distributed <worker.properties>";

fn main() -> ExitCode {
    connect_worker::logging::init();
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("standalone") if args.len() >= 2 => {
            let files: Vec<&Path> = args[2..].iter().map(Path::new).collect();
            connect_worker::standalone::run(Path::new(&args[1]), &files)
        }
        Some("distributed") if args.len() == 2 => {
            connect_worker::distributed::run(Path::new(&args[1]))
        }
        Some("--version") => {
            println!("connect {}", env!("CARGO_PKG_VERSION"));
            return ExitCode::SUCCESS;
        }
        _ => {
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!("{e:#}");
            ExitCode::FAILURE
        }
    }
}
