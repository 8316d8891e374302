//! The worker's own REST client (forwarding to the leader, internal task-config requests): ureq agents that trust
//! the REST truststore when one is configured, ureq's built-in Mozilla roots otherwise, and present the REST keystore
//! to peers that ask for a client certificate.

use std::sync::OnceLock;
use std::time::Duration;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tracing::warn;
use ureq::tls::{Certificate, ClientCert, PrivateKey, RootCerts, TlsConfig};
use ureq::Agent;

/// Roots from `ssl.truststore.*`, set once at startup.
static TRUSTED_ROOTS: OnceLock<Vec<Certificate<'static>>> = OnceLock::new();

/// The REST keystore's certificate chain and key, presented to peers that ask for a client certificate.
static IDENTITY: OnceLock<ClientCert> = OnceLock::new();

/// Makes every agent built afterwards present this certificate chain and key when a peer asks (first call wins),
/// as Kafka's REST client presents the REST keystore.
pub fn identity(chain: &[CertificateDer<'static>], key: &PrivateKeyDer<'static>) {
    let chain = ureq_certificates(chain);
    let pem = key_as_pem(key);
    match PrivateKey::from_pem(pem.as_bytes()) {
        Ok(key) => {
            let _ = IDENTITY.set(ClientCert::new_with_certs(&chain, key));
        }
        Err(e) => warn!("the REST keystore's key cannot be used as a client certificate: {e}"),
    }
}

/// A private key as PEM, labelled with its kind (ureq takes a key of a known kind only as PEM).
fn key_as_pem(key: &PrivateKeyDer<'_>) -> String {
    let label = match key {
        PrivateKeyDer::Pkcs1(_) => "RSA PRIVATE KEY",
        PrivateKeyDer::Sec1(_) => "EC PRIVATE KEY",
        _ => "PRIVATE KEY",
    };
    let body = STANDARD.encode(key.secret_der());
    let lines: Vec<&str> = body
        .as_bytes()
        .chunks(64)
        .map(|line| std::str::from_utf8(line).unwrap_or_default())
        .collect();
    format!(
        "-----BEGIN {label}-----\n{}\n-----END {label}-----\n",
        lines.join("\n")
    )
}

/// Makes every agent built afterwards trust exactly these roots for https peers (first call wins).
pub fn trust_roots(roots: &[CertificateDer<'static>]) {
    let _ = TRUSTED_ROOTS.set(ureq_certificates(roots));
}

/// DER certificates as ureq takes them.
fn ureq_certificates(certificates: &[CertificateDer<'static>]) -> Vec<Certificate<'static>> {
    certificates
        .iter()
        .map(|der| Certificate::from_der(der.as_ref()).to_owned())
        .collect()
}

/// An agent for worker-to-worker requests: HTTP errors come back as responses, no proxy, `timeout` overall.
pub fn agent(timeout: Duration) -> Agent {
    let mut config = Agent::config_builder()
        .http_status_as_error(false)
        .proxy(None)
        .timeout_global(Some(timeout));
    let roots = TRUSTED_ROOTS.get();
    let identity = IDENTITY.get();
    if roots.is_some() || identity.is_some() {
        let mut tls = TlsConfig::builder().client_cert(identity.cloned());
        if let Some(roots) = roots {
            tls = tls.root_certs(RootCerts::new_with_certs(roots));
        }
        config = config.tls_config(tls.build());
    }
    Agent::new_with_config(config.build())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_of_every_kind_reach_ureq_intact_through_pem() {
        let der: Vec<u8> = (0..=200u8).collect();
        for key in [
            PrivateKeyDer::Pkcs1(der.clone().into()),
            PrivateKeyDer::Sec1(der.clone().into()),
            PrivateKeyDer::Pkcs8(der.clone().into()),
        ] {
            let pem = key_as_pem(&key);
            let parsed = PrivateKey::from_pem(pem.as_bytes()).expect("ureq reads the PEM");
            assert_eq!(parsed.der(), der.as_slice(), "{pem}");
        }
    }
}
