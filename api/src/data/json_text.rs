//! JSON text byte-for-byte as Jackson writes it (compact, Jackson's string escapes, Java's number formats, base64
//! binary), shared by the JSON converter and plugins that write JSON themselves (the S3 sink's JsonFormat).

use base64::Engine;

use super::values::{java_double_to_string, java_float_to_string};

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

/// The length of the longest prefix of `bytes` that needs no escape (no quote, backslash or control character),
/// tested eight bytes at a time.
pub fn plain_prefix_len(bytes: &[u8]) -> usize {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    // The lowest flagged byte of each mask is an exact match (borrows only flag bytes above a real one).
    let has_zero = |w: u64| w.wrapping_sub(ONES) & !w & HIGHS;
    let mut words = bytes.chunks_exact(8);
    let mut done = 0;
    for chunk in &mut words {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        let w = u64::from_le_bytes(word);
        let special = w.wrapping_sub(ONES * 0x20) & !w & HIGHS
            | has_zero(w ^ (ONES * u64::from(b'"')))
            | has_zero(w ^ (ONES * u64::from(b'\\')));
        if special != 0 {
            return done + special.trailing_zeros() as usize / 8;
        }
        done += 8;
    }
    done + words
        .remainder()
        .iter()
        .position(|&b| b < 0x20 || b == b'"' || b == b'\\')
        .unwrap_or(words.remainder().len())
}

/// A quoted JSON string; non-ASCII is written as raw UTF-8 and control characters as `\b \t \n \f \r` or
/// `\u00XX` (upper-case hex), as Jackson does.
pub fn write_str(out: &mut Vec<u8>, s: &str) {
    let bytes = s.as_bytes();
    out.reserve(bytes.len() + 2);
    out.push(b'"');
    let mut start = 0;
    loop {
        let plain = start + plain_prefix_len(&bytes[start..]);
        out.extend_from_slice(&bytes[start..plain]);
        let Some(&b) = bytes.get(plain) else {
            break;
        };
        out.push(b'\\');
        match ESCAPES[b as usize] {
            b'u' => {
                out.extend_from_slice(b"u00");
                out.push(HEX_UPPER[(b >> 4) as usize]);
                out.push(HEX_UPPER[(b & 0xf) as usize]);
            }
            esc => out.push(esc),
        }
        start = plain + 1;
    }
    out.push(b'"');
}

/// A JSON key followed by its colon.
pub fn write_key(out: &mut Vec<u8>, key: &str) {
    write_str(out, key);
    out.push(b':');
}

pub fn write_i64(out: &mut Vec<u8>, v: i64) {
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

pub fn write_bool(out: &mut Vec<u8>, v: bool) {
    out.extend_from_slice(if v { b"true" } else { b"false" });
}

/// A double as Jackson writes it (`Double.toString`); NaN and infinities become quoted strings, as Jackson's
/// default `QUOTE_NON_NUMERIC_NUMBERS` does.
pub fn write_f64(out: &mut Vec<u8>, v: f64) {
    let text = java_double_to_string(v);
    if v.is_finite() {
        out.extend_from_slice(text.as_bytes());
    } else {
        write_str(out, &text);
    }
}

/// A float as Jackson writes it (`Float.toString`), non-finite values quoted.
pub fn write_f32(out: &mut Vec<u8>, v: f32) {
    let text = java_float_to_string(v);
    if v.is_finite() {
        out.extend_from_slice(text.as_bytes());
    } else {
        write_str(out, &text);
    }
}

/// Binary as a quoted base64 string (standard alphabet, padded, no line feeds: Jackson's default variant).
pub fn write_base64(out: &mut Vec<u8>, bytes: &[u8]) {
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
        // Every position of a special byte in and after the eight-byte words, next to bytes that are not special.
        for special in [b'"', b'\\', 0x00, 0x1f] {
            for len in 0..20 {
                for at in 0..=len {
                    let mut bytes = vec![b' '; len];
                    bytes.extend_from_slice(&[0x7f, 0xc3, b'!', b'#', b'[', b']']);
                    if at < len {
                        bytes[at] = special;
                    }
                    let expected = if at < len { at } else { bytes.len() };
                    assert_eq!(
                        plain_prefix_len(&bytes),
                        expected,
                        "{special:#x} at {at} of {len}"
                    );
                }
            }
        }
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
