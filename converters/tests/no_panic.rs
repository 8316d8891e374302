//! Randomized robustness: arbitrary and mutated bytes fed to every built-in converter's `to_connect_data` (and every
//! header converter's `to_connect_header`) give a value or a DataException, never a panic.

use connect_api::header::Headers;
use connect_api::Config;
use connect_converters::{converter_plugins, header_converter_plugins};

/// xorshift64*: deterministic, dependency-free pseudo-random numbers.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

const SEEDS: &[&str] = &[
    r#"{"schema":{"type":"struct","fields":[{"type":"int32","optional":false,"field":"id"},{"type":"string","optional":true,"field":"n"},{"type":"bytes","optional":false,"name":"org.apache.kafka.connect.data.Decimal","version":1,"parameters":{"scale":"2"},"field":"d"},{"type":"map","keys":{"type":"int32"},"values":{"type":"array","items":{"type":"double"}},"field":"m"}],"optional":false,"name":"rec"},"payload":{"id":1,"n":"x","d":"AJw=","m":[[1,[1.5,2e10]]]}}"#,
    r#"{"schema":{"type":"map","keys":{"type":"string"},"values":{"type":"int64","name":"org.apache.kafka.connect.data.Timestamp"},"default":{"a":1}},"payload":null}"#,
    r#"{"schema":null,"payload":{"a":[1,-2.5e-3,"\u00e9\ud83d\ude00",true,null,{"b":{}}]}}"#,
    r#"[1, "2", {"k": [true, false, null]}, -0.0, 1e400, 123456789012345678901234567890]"#,
    r#"[1, 2, {"a": "2019-08-23T14:34:54.346Z", "b": 14:34:54.346Z}, "x"]"#,
    "true",
    "",
];

const TOKENS: &[&[u8]] = &[
    b"{",
    b"}",
    b"[",
    b"]",
    b":",
    b",",
    b"\"",
    b"\\",
    b"\\u",
    b"\\ud800",
    b"null",
    b"true",
    b"-",
    b"1e",
    b".",
    b"0",
    b"9999999999999999999999",
    b"\"schema\"",
    b"\"payload\"",
    b"\"type\"",
    b"\"struct\"",
    b"\"fields\"",
    b"\"default\"",
    b"\xff",
    b"\xc3",
    b" ",
    b"\n",
];

fn random_input(rng: &mut Rng) -> Vec<u8> {
    match rng.below(3) {
        // Pure noise.
        0 => (0..rng.below(64)).map(|_| rng.next() as u8).collect(),
        // Soup of JSON-ish tokens.
        1 => {
            let mut out = Vec::new();
            for _ in 0..rng.below(40) {
                out.extend_from_slice(TOKENS[rng.below(TOKENS.len())]);
            }
            out
        }
        // A valid document with a few bytes changed, removed or inserted.
        _ => {
            let mut out = SEEDS[rng.below(SEEDS.len())].as_bytes().to_vec();
            for _ in 0..=rng.below(4) {
                if out.is_empty() {
                    break;
                }
                let at = rng.below(out.len());
                match rng.below(3) {
                    0 => out[at] = TOKENS[rng.below(TOKENS.len())][0],
                    1 => {
                        out.remove(at);
                    }
                    _ => out
                        .splice(at..at, TOKENS[rng.below(TOKENS.len())].iter().copied())
                        .for_each(drop),
                }
            }
            out
        }
    }
}

fn configs() -> Vec<Config> {
    // The Avro converter needs a registry URL; nothing listens on port 1, so ids it meets fail to resolve.
    let mut base = Config::new();
    base.insert("schema.registry.url".into(), "http://127.0.0.1:1".into());
    let mut plain = base.clone();
    plain.insert("schemas.enable".into(), "false".into());
    let mut numeric = base.clone();
    numeric.insert("decimal.format".into(), "NUMERIC".into());
    numeric.insert("replace.null.with.default".into(), "false".into());
    vec![base, plain, numeric]
}

#[test]
fn converters_never_panic_on_arbitrary_bytes() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let headers = Headers::new();
    for (info, create) in converter_plugins() {
        for config in configs() {
            let mut converter = create();
            converter.configure(&config, false).unwrap();
            for seed in SEEDS {
                let _ = converter.to_connect_data("t", &headers, Some(seed.as_bytes()));
            }
            for _ in 0..3000 {
                let input = random_input(&mut rng);
                let result = converter.to_connect_data("t", &headers, Some(&input));
                if let Err(e) = result {
                    assert_eq!(
                        e.class_name(),
                        "org.apache.kafka.connect.errors.DataException",
                        "{}: {e}",
                        info.class_name
                    );
                }
            }
            assert!(converter.to_connect_data("t", &headers, None).is_ok());
        }
    }
}

#[test]
fn header_converters_never_panic_on_arbitrary_bytes() {
    let mut rng = Rng(0x2545_f491_4f6c_dd1d);
    for (_, create) in header_converter_plugins() {
        let mut converter = create();
        converter.configure(&Config::new()).unwrap();
        for _ in 0..3000 {
            let input = random_input(&mut rng);
            let _ = converter.to_connect_header("t", "h", Some(&input));
        }
    }
}
