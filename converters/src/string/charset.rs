//! The Java character sets `converter.encoding` accepts: UTF-8, ISO-8859-1, US-ASCII and the UTF-16 family, with
//! Java's aliases and its replacement rules for unmappable characters and malformed input.

/// A supported character set.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Charset {
    #[default]
    Utf8,
    Latin1,
    Ascii,
    /// UTF-16: big-endian with a byte-order mark when encoding; the mark (or big-endian) when decoding.
    Utf16,
    Utf16Be,
    Utf16Le,
}

impl Charset {
    /// Looks up a Java charset name or alias, case-insensitively (`Charset.forName`).
    pub fn for_name(name: &str) -> Option<Charset> {
        let upper = name.trim().to_ascii_uppercase();
        Some(match upper.as_str() {
            "UTF-8" | "UTF8" | "UNICODE-1-1-UTF-8" => Charset::Utf8,
            "ISO-8859-1" | "ISO8859-1" | "ISO_8859_1" | "ISO8859_1" | "ISO_8859-1"
            | "ISO-8859-1:1987" | "ISO-IR-100" | "8859_1" | "LATIN1" | "L1" | "IBM819"
            | "CP819" | "CSISOLATIN1" | "IBM-819" | "819" => Charset::Latin1,
            "US-ASCII" | "ASCII" | "ASCII7" | "646" | "ISO646-US" | "US" | "IBM367" | "CP367"
            | "CSASCII" | "DEFAULT" | "ISO_646.IRV:1983" | "ANSI_X3.4-1968" | "ANSI_X3.4-1986"
            | "ISO-IR-6" => Charset::Ascii,
            "UTF-16" | "UTF_16" | "UTF16" | "UNICODE" => Charset::Utf16,
            "UTF-16BE" | "UTF_16BE" | "X-UTF-16BE" | "ISO-10646-UCS-2" | "UNICODEBIGUNMARKED" => {
                Charset::Utf16Be
            }
            "UTF-16LE" | "UTF_16LE" | "X-UTF-16LE" | "UNICODELITTLEUNMARKED" => Charset::Utf16Le,
            _ => return None,
        })
    }

    /// Java's canonical name.
    pub fn name(self) -> &'static str {
        match self {
            Charset::Utf8 => "UTF-8",
            Charset::Latin1 => "ISO-8859-1",
            Charset::Ascii => "US-ASCII",
            Charset::Utf16 => "UTF-16",
            Charset::Utf16Be => "UTF-16BE",
            Charset::Utf16Le => "UTF-16LE",
        }
    }

    /// `String.getBytes(charset)`: unmappable characters become `?`.
    pub fn encode(self, text: &str) -> Vec<u8> {
        match self {
            Charset::Utf8 => text.as_bytes().to_vec(),
            Charset::Latin1 => text
                .chars()
                .map(|c| u8::try_from(u32::from(c)).unwrap_or(b'?'))
                .collect(),
            Charset::Ascii => text
                .chars()
                .map(|c| if c.is_ascii() { c as u8 } else { b'?' })
                .collect(),
            Charset::Utf16 => {
                let mut out = vec![0xfe, 0xff];
                out.extend(text.encode_utf16().flat_map(u16::to_be_bytes));
                out
            }
            Charset::Utf16Be => text.encode_utf16().flat_map(u16::to_be_bytes).collect(),
            Charset::Utf16Le => text.encode_utf16().flat_map(u16::to_le_bytes).collect(),
        }
    }

    /// `new String(bytes, charset)`: malformed input becomes U+FFFD.
    pub fn decode(self, bytes: &[u8]) -> String {
        match self {
            Charset::Utf8 => String::from_utf8_lossy(bytes).into_owned(),
            Charset::Latin1 => bytes.iter().map(|&b| char::from(b)).collect(),
            Charset::Ascii => bytes
                .iter()
                .map(|&b| {
                    if b.is_ascii() {
                        char::from(b)
                    } else {
                        '\u{FFFD}'
                    }
                })
                .collect(),
            Charset::Utf16 => match bytes {
                [0xfe, 0xff, rest @ ..] => utf16(rest, u16::from_be_bytes),
                [0xff, 0xfe, rest @ ..] => utf16(rest, u16::from_le_bytes),
                _ => utf16(bytes, u16::from_be_bytes),
            },
            Charset::Utf16Be => utf16(bytes, u16::from_be_bytes),
            Charset::Utf16Le => utf16(bytes, u16::from_le_bytes),
        }
    }
}

fn utf16(bytes: &[u8], unit: fn([u8; 2]) -> u16) -> String {
    let units = bytes.chunks_exact(2).map(|c| unit([c[0], c[1]]));
    let mut out: String = char::decode_utf16(units)
        .map(|r| r.unwrap_or('\u{FFFD}'))
        .collect();
    if bytes.len() % 2 == 1 {
        out.push('\u{FFFD}');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_java_names_and_aliases() {
        assert_eq!(Charset::for_name("utf8"), Some(Charset::Utf8));
        assert_eq!(Charset::for_name("latin1"), Some(Charset::Latin1));
        assert_eq!(Charset::for_name("ASCII"), Some(Charset::Ascii));
        assert_eq!(Charset::for_name("EBCDIC-XYZ"), None);
    }

    #[test]
    fn round_trips_and_replaces_like_java() {
        assert_eq!(Charset::Latin1.encode("aé€"), vec![b'a', 0xe9, b'?']);
        assert_eq!(Charset::Latin1.decode(&[b'a', 0xe9]), "aé");
        assert_eq!(Charset::Ascii.encode("aé"), b"a?".to_vec());
        assert_eq!(Charset::Ascii.decode(&[b'a', 0xe9]), "a\u{FFFD}");
        assert_eq!(Charset::Utf8.decode(&[b'a', 0xff]), "a\u{FFFD}");
        assert_eq!(Charset::Utf16.encode("a"), vec![0xfe, 0xff, 0, b'a']);
        assert_eq!(Charset::Utf16.decode(&[0xff, 0xfe, b'a', 0]), "a");
        assert_eq!(Charset::Utf16Le.decode(&[b'a', 0, 1]), "a\u{FFFD}");
    }
}
