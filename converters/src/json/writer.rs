//! Low-level JSON output byte-for-byte as Jackson writes it: compact, Jackson's string escapes, Java's number
//! formats, base64 binary.

use base64::Engine;
use connect_api::data::values::{java_double_to_string, java_float_to_string};

/// Which bytes of ASCII need an escape, and how: 0 none, `b'u'` a `\u00XX` escape, else the short escape letter.
const ESCAPES: [u8; 128] = {
    let mut table = [0u8; 128];
    let mut i = 0;
    while i < 0x20 {
        table[i] = b'u';
        i += 1;
    }
    table[0x08] = b'b';
    table[0x09] = b't';
    table[0x0a] = b'n';
    table[0x0c] = b'f';
    table[0x0d] = b'r';
    table[b'"' as usize] = b'"';
    table[b'\\' as usize] = b'\\';
    table
};

const HEX_UPPER: &[u8; 16] = b"0123456789ABCDEF";

/// A quoted JSON string; non-ASCII is written as raw UTF-8 and control characters as `\b \t \n \f \r` or
/// `\u00XX` (upper-case hex), as Jackson does.
pub(crate) fn write_str(out: &mut Vec<u8>, s: &str) {
    let bytes = s.as_bytes();
    out.reserve(bytes.len() + 2);
    out.push(b'"');
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        if b >= 0x80 {
            continue;
        }
        let esc = ESCAPES[b as usize];
        if esc == 0 {
            continue;
        }
        out.extend_from_slice(&bytes[start..i]);
        out.push(b'\\');
        if esc == b'u' {
            out.extend_from_slice(b"u00");
            out.push(HEX_UPPER[(b >> 4) as usize]);
            out.push(HEX_UPPER[(b & 0xf) as usize]);
        } else {
            out.push(esc);
        }
        start = i + 1;
    }
    out.extend_from_slice(&bytes[start..]);
    out.push(b'"');
}

/// A JSON key followed by its colon.
pub(crate) fn write_key(out: &mut Vec<u8>, key: &str) {
    write_str(out, key);
    out.push(b':');
}

pub(crate) fn write_i64(out: &mut Vec<u8>, v: i64) {
    let mut buf = [0u8; 20];
    let mut i = buf.len();
    let mut n = v.unsigned_abs();
    loop {
        i -= 1;
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    if v < 0 {
        out.push(b'-');
    }
    out.extend_from_slice(&buf[i..]);
}

pub(crate) fn write_bool(out: &mut Vec<u8>, v: bool) {
    out.extend_from_slice(if v { b"true" } else { b"false" });
}

/// A double as Jackson writes it (`Double.toString`); NaN and infinities become quoted strings, as Jackson's
/// default `QUOTE_NON_NUMERIC_NUMBERS` does.
pub(crate) fn write_f64(out: &mut Vec<u8>, v: f64) {
    let text = java_double_to_string(v);
    if v.is_finite() {
        out.extend_from_slice(text.as_bytes());
    } else {
        write_str(out, &text);
    }
}

/// A float as Jackson writes it (`Float.toString`), non-finite values quoted.
pub(crate) fn write_f32(out: &mut Vec<u8>, v: f32) {
    let text = java_float_to_string(v);
    if v.is_finite() {
        out.extend_from_slice(text.as_bytes());
    } else {
        write_str(out, &text);
    }
}

/// Binary as a quoted base64 string (standard alphabet, padded, no line feeds: Jackson's default variant).
pub(crate) fn write_base64(out: &mut Vec<u8>, bytes: &[u8]) {
    let len = bytes.len().div_ceil(3) * 4;
    out.push(b'"');
    let start = out.len();
    out.resize(start + len, 0);
    let written = base64::engine::general_purpose::STANDARD
        .encode_slice(bytes, &mut out[start..])
        .unwrap_or(0);
    out.truncate(start + written);
    out.push(b'"');
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(f: impl FnOnce(&mut Vec<u8>)) -> String {
        let mut out = Vec::new();
        f(&mut out);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn escapes_like_jackson() {
        assert_eq!(
            text(|o| write_str(o, "a\"b\\c\n\t\u{1}\u{7f}é/")),
            "\"a\\\"b\\\\c\\n\\t\\u0001\u{7f}é/\""
        );
        assert_eq!(text(|o| write_str(o, "\u{1f}")), "\"\\u001F\"");
    }

    #[test]
    fn numbers_like_java() {
        assert_eq!(text(|o| write_i64(o, i64::MIN)), "-9223372036854775808");
        assert_eq!(text(|o| write_i64(o, 0)), "0");
        assert_eq!(text(|o| write_f64(o, 12.34)), "12.34");
        assert_eq!(text(|o| write_f64(o, 1e20)), "1.0E20");
        assert_eq!(text(|o| write_f64(o, f64::NAN)), "\"NaN\"");
        assert_eq!(text(|o| write_f32(o, 12.34)), "12.34");
        assert_eq!(
            text(|o| write_base64(o, b"test-string")),
            "\"dGVzdC1zdHJpbmc=\""
        );
        assert_eq!(text(|o| write_base64(o, b"")), "\"\"");
    }
}
