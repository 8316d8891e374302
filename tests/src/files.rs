//! File helpers for the FileStream tests: line files and Java-style `.properties` files.

use std::fs;
use std::io::Write;
use std::path::Path;

/// Writes `lines` to `path`, each followed by `\n` (replaces the file).
pub fn write_lines<S: AsRef<str>>(path: &Path, lines: &[S]) {
    let mut buf = String::with_capacity(lines.iter().map(|l| l.as_ref().len() + 1).sum());
    for line in lines {
        buf.push_str(line.as_ref());
        buf.push('\n');
    }
    fs::write(path, buf).unwrap_or_else(|e| panic!("writing {}: {e}", path.display()));
}

/// Appends `lines` to the existing file `path`, each followed by `\n`.
pub fn append_lines<S: AsRef<str>>(path: &Path, lines: &[S]) {
    let mut file = fs::OpenOptions::new()
        .append(true)
        .open(path)
        .unwrap_or_else(|e| panic!("opening {}: {e}", path.display()));
    for line in lines {
        writeln!(file, "{}", line.as_ref())
            .unwrap_or_else(|e| panic!("appending to {}: {e}", path.display()));
    }
}

/// `line-00001`-style lines for the numbers in `range`: distinct, fixed width, in order.
pub fn numbered_lines(range: std::ops::RangeInclusive<usize>) -> Vec<String> {
    range.map(|i| format!("line-{i:05}")).collect()
}

/// Writes a `.properties` file (`key=value` lines) as `connect standalone` reads it.
pub fn write_properties(path: &Path, props: &[(&str, &str)]) {
    let mut file =
        fs::File::create(path).unwrap_or_else(|e| panic!("creating {}: {e}", path.display()));
    for (key, value) in props {
        writeln!(file, "{key}={value}")
            .unwrap_or_else(|e| panic!("writing {}: {e}", path.display()));
    }
}

/// The complete (newline-terminated) lines of `path`; a trailing fragment without `\n` is left out, since a
/// writer may be in the middle of it. A missing file has no lines.
pub fn read_complete_lines(path: &Path) -> Vec<String> {
    let bytes = match fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Vec::new(),
        Err(e) => panic!("reading {}: {e}", path.display()),
    };
    let end = bytes.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
    String::from_utf8_lossy(&bytes[..end])
        .lines()
        .map(str::to_owned)
        .collect()
}

/// The number of complete (newline-terminated) lines in `path`; 0 if it does not exist yet.
pub fn count_complete_lines(path: &Path) -> usize {
    match fs::read(path) {
        Ok(bytes) => bytes.iter().filter(|&&b| b == b'\n').count(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => 0,
        Err(e) => panic!("reading {}: {e}", path.display()),
    }
}
