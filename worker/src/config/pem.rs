//! PEM key and trust stores named by Kafka's `ssl.*` settings, read into rustls types: for the REST API's https
//! listeners and client, and for the distributed group connection to Kafka.

use std::collections::BTreeMap;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use rustls::pki_types::{
    CertificateDer, PrivateKeyDer, PrivatePkcs1KeyDer, PrivatePkcs8KeyDer, PrivateSec1KeyDer,
};
use tracing::debug;

use crate::config::worker::{
    DEFAULT_STORE_TYPE, SSL_KEYSTORE_CERTIFICATE_CHAIN, SSL_KEYSTORE_KEY, SSL_KEYSTORE_LOCATION,
    SSL_KEYSTORE_TYPE, SSL_KEY_PASSWORD, SSL_TRUSTSTORE_CERTIFICATES, SSL_TRUSTSTORE_LOCATION,
    SSL_TRUSTSTORE_TYPE,
};

const CONVERT_HINT: &str =
    "convert it to PEM (README, \"Securing the REST API\") and set the type to PEM";

/// A setting's trimmed value, `None` when it is missing or blank.
pub fn setting<'a>(settings: &'a BTreeMap<String, String>, key: &str) -> Option<&'a str> {
    settings
        .get(key)
        .map(|v| v.trim())
        .filter(|v| !v.is_empty())
}

/// One PEM block: its label (`CERTIFICATE`, `PRIVATE KEY` ...) and DER bytes.
#[derive(Debug)]
struct PemBlock {
    label: String,
    der: Vec<u8>,
}

/// Every `-----BEGIN X-----` ... `-----END X-----` block of `text`. Whitespace inside a block is ignored, so a PEM
/// value squeezed onto one properties line (continuation lines lose their line breaks) reads too.
fn pem_blocks(text: &str, source: &str) -> Result<Vec<PemBlock>, String> {
    const BEGIN: &str = "-----BEGIN ";
    let mut blocks = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find(BEGIN) {
        let after = &rest[start + BEGIN.len()..];
        let label_end = after
            .find("-----")
            .ok_or_else(|| format!("{source}: unterminated PEM header"))?;
        let label = after[..label_end].trim().to_string();
        let body = &after[label_end + 5..];
        let footer = format!("-----END {label}-----");
        let end = body
            .find(&footer)
            .ok_or_else(|| format!("{source}: the {label} block has no `{footer}` line"))?;
        if label == "ENCRYPTED PRIVATE KEY" || body[..end].contains("ENCRYPTED") {
            return Err(format!(
                "{source}: encrypted private keys are not supported (ssl.key.password); decrypt the key first, \
                 e.g. `openssl pkey -in key.pem -out key-plain.pem`, and keep the file readable only by the worker"
            ));
        }
        let base64: String = body[..end].chars().filter(|c| !c.is_whitespace()).collect();
        let der = STANDARD
            .decode(base64)
            .map_err(|e| format!("{source}: the {label} block is not valid base64 ({e})"))?;
        blocks.push(PemBlock { label, der });
        rest = &body[end + footer.len()..];
    }
    Ok(blocks)
}

fn certificates(blocks: &[PemBlock]) -> Vec<CertificateDer<'static>> {
    blocks
        .iter()
        .filter(|b| b.label == "CERTIFICATE")
        .map(|b| CertificateDer::from(b.der.clone()))
        .collect()
}

fn private_key(blocks: &[PemBlock], source: &str) -> Result<PrivateKeyDer<'static>, String> {
    blocks
        .iter()
        .find_map(|b| match b.label.as_str() {
            "PRIVATE KEY" => Some(PrivatePkcs8KeyDer::from(b.der.clone()).into()),
            "RSA PRIVATE KEY" => Some(PrivatePkcs1KeyDer::from(b.der.clone()).into()),
            "EC PRIVATE KEY" => Some(PrivateSec1KeyDer::from(b.der.clone()).into()),
            _ => None,
        })
        .ok_or_else(|| format!("{source} holds no PEM private key"))
}

/// Reads a PEM file named by a setting.
fn read_pem_file(key: &str, path: &str) -> Result<String, String> {
    std::fs::read_to_string(path).map_err(|e| format!("cannot read {key} {path}: {e}"))
}

/// Rejects a key or trust store whose type is not PEM.
fn require_pem(settings: &BTreeMap<String, String>, type_key: &str) -> Result<(), String> {
    let kind = setting(settings, type_key).unwrap_or(DEFAULT_STORE_TYPE);
    if kind.eq_ignore_ascii_case("PEM") {
        Ok(())
    } else {
        Err(format!(
            "{type_key}={kind} is not supported, only PEM is: {CONVERT_HINT}"
        ))
    }
}

/// A certificate chain and its private key.
pub type KeyStore = (Vec<CertificateDer<'static>>, PrivateKeyDer<'static>);

/// The PEM key store the settings name: `ssl.keystore.location` (one PEM file with both the key and the chain) or
/// the inline `ssl.keystore.certificate.chain` and `ssl.keystore.key`; `None` when none of them is set.
pub fn load_keystore(settings: &BTreeMap<String, String>) -> Result<Option<KeyStore>, String> {
    let location = setting(settings, SSL_KEYSTORE_LOCATION);
    let chain = setting(settings, SSL_KEYSTORE_CERTIFICATE_CHAIN);
    let key = setting(settings, SSL_KEYSTORE_KEY);
    let (chain_text, key_text, source) = match (location, chain, key) {
        (None, None, None) => return Ok(None),
        (Some(path), None, None) => {
            require_pem(settings, SSL_KEYSTORE_TYPE)?;
            let text = read_pem_file(SSL_KEYSTORE_LOCATION, path)?;
            (text.clone(), text, path.to_string())
        }
        (None, Some(chain), Some(key)) => {
            require_pem(settings, SSL_KEYSTORE_TYPE)?;
            (
                chain.to_string(),
                key.to_string(),
                format!("{SSL_KEYSTORE_CERTIFICATE_CHAIN}/{SSL_KEYSTORE_KEY}"),
            )
        }
        _ => {
            return Err(format!(
                "set either {SSL_KEYSTORE_LOCATION} or both {SSL_KEYSTORE_CERTIFICATE_CHAIN} and {SSL_KEYSTORE_KEY}"
            ))
        }
    };
    let chain = certificates(&pem_blocks(&chain_text, &source)?);
    if chain.is_empty() {
        return Err(format!("{source} holds no PEM certificate"));
    }
    let key = private_key(&pem_blocks(&key_text, &source)?, &source)?;
    if setting(settings, SSL_KEY_PASSWORD).is_some() {
        debug!("{SSL_KEY_PASSWORD} is ignored: the PEM private key is not encrypted");
    }
    Ok(Some((chain, key)))
}

/// The roots of a PEM trust store (`ssl.truststore.location` or inline `ssl.truststore.certificates`) if one is set,
/// `None` otherwise (the caller's built-in roots).
pub fn trust_roots(
    settings: &BTreeMap<String, String>,
) -> Result<Option<Vec<CertificateDer<'static>>>, String> {
    let (location, inline) = (
        setting(settings, SSL_TRUSTSTORE_LOCATION),
        setting(settings, SSL_TRUSTSTORE_CERTIFICATES),
    );
    if location.is_none() && inline.is_none() {
        return Ok(None);
    }
    require_pem(settings, SSL_TRUSTSTORE_TYPE)?;
    let (text, source) = match (location, inline) {
        (Some(path), _) => (
            read_pem_file(SSL_TRUSTSTORE_LOCATION, path)?,
            path.to_string(),
        ),
        (None, inline) => (
            inline.unwrap_or_default().to_string(),
            SSL_TRUSTSTORE_CERTIFICATES.to_string(),
        ),
    };
    let roots = certificates(&pem_blocks(&text, &source)?);
    if roots.is_empty() {
        return Err(format!("{source} holds no PEM certificate"));
    }
    Ok(Some(roots))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pem_blocks_read_with_or_without_line_breaks() {
        let multi = "junk\n-----BEGIN CERTIFICATE-----\nAAEC\nAw==\n-----END CERTIFICATE-----\n\
                     -----BEGIN PRIVATE KEY-----\nBAU=\n-----END PRIVATE KEY-----\n";
        let blocks = pem_blocks(multi, "t").unwrap();
        assert_eq!(blocks.len(), 2);
        assert_eq!(certificates(&blocks)[0].as_ref(), &[0, 1, 2, 3]);
        assert!(matches!(
            private_key(&blocks, "t").unwrap(),
            PrivateKeyDer::Pkcs8(_)
        ));
        let one_line = "-----BEGIN CERTIFICATE----- AAEC Aw== -----END CERTIFICATE-----";
        assert_eq!(
            certificates(&pem_blocks(one_line, "t").unwrap())[0].as_ref(),
            &[0, 1, 2, 3]
        );
        let encrypted =
            "-----BEGIN ENCRYPTED PRIVATE KEY-----\nAA==\n-----END ENCRYPTED PRIVATE KEY-----";
        assert!(pem_blocks(encrypted, "t")
            .unwrap_err()
            .contains("encrypted private keys are not supported"));
        assert!(pem_blocks("-----BEGIN CERTIFICATE-----\nAA==\n", "t")
            .unwrap_err()
            .contains("no `-----END CERTIFICATE-----` line"));
        assert!(private_key(&certificate_only(), "f")
            .unwrap_err()
            .contains("no PEM private key"));
    }

    fn certificate_only() -> Vec<PemBlock> {
        pem_blocks(
            "-----BEGIN CERTIFICATE-----\nAA==\n-----END CERTIFICATE-----",
            "t",
        )
        .unwrap()
    }
}
