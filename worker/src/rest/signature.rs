//! Internal request signing (KIP-507): `X-Connect-Authorization` is the base64 HMAC of the request body under the
//! group's session key, `X-Connect-Request-Signature-Algorithm` names the MAC (only `HmacSHA256` is supported).

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

pub const SIGNATURE_HEADER: &str = "X-Connect-Authorization";
pub const ALGORITHM_HEADER: &str = "X-Connect-Request-Signature-Algorithm";
pub const HMAC_SHA256: &str = "HmacSHA256";

fn mac(key: &[u8]) -> Option<Hmac<Sha256>> {
    <Hmac<Sha256> as KeyInit>::new_from_slice(key).ok()
}

/// The base64 signature of `body` under the base64 session key, or `None` if the key is not base64.
pub fn sign(key_base64: &str, body: &[u8]) -> Option<String> {
    let key = STANDARD.decode(key_base64).ok()?;
    let mut m = mac(&key)?;
    m.update(body);
    Some(STANDARD.encode(m.finalize().into_bytes()))
}

/// Whether `signature_base64` is the signature of `body` under the base64 session key (constant-time compare).
pub fn verify(key_base64: &str, body: &[u8], signature_base64: &str) -> bool {
    let (Ok(key), Ok(signature)) = (
        STANDARD.decode(key_base64),
        STANDARD.decode(signature_base64.trim()),
    ) else {
        return false;
    };
    let Some(mut m) = mac(&key) else {
        return false;
    };
    m.update(body);
    m.verify_slice(&signature).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hmac_sha256_matches_rfc_4231_and_verifies() {
        // RFC 4231 test case 2: key "Jefe", data "what do ya want for nothing?".
        let key = STANDARD.encode(b"Jefe");
        let signature = sign(&key, b"what do ya want for nothing?").unwrap();
        let expected = "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843";
        let hex: String = STANDARD
            .decode(&signature)
            .unwrap()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(hex, expected);
        assert!(verify(&key, b"what do ya want for nothing?", &signature));
        assert!(!verify(&key, b"what do ya want for nothing!", &signature));
        assert!(!verify(
            &STANDARD.encode(b"Jeff"),
            b"what do ya want for nothing?",
            &signature
        ));
        assert!(!verify(&key, b"x", "not base64!"));
        assert_eq!(sign("not base64!", b"x"), None);
    }
}
