//! The worker's own REST client (forwarding to the leader, internal task-config requests): ureq agents that trust
//! the REST truststore when one is configured, ureq's built-in Mozilla roots otherwise.

use std::sync::OnceLock;
use std::time::Duration;

use rustls::pki_types::CertificateDer;
use ureq::tls::{Certificate, RootCerts, TlsConfig};
use ureq::Agent;

/// Roots from `ssl.truststore.*`, set once at startup.
static TRUSTED_ROOTS: OnceLock<Vec<Certificate<'static>>> = OnceLock::new();

/// Makes every agent built afterwards trust exactly these roots for https peers (first call wins).
pub fn trust_roots(roots: &[CertificateDer<'static>]) {
    let roots = roots
        .iter()
        .map(|der| Certificate::from_der(der.as_ref()).to_owned())
        .collect();
    let _ = TRUSTED_ROOTS.set(roots);
}

/// An agent for worker-to-worker requests: HTTP errors come back as responses, no proxy, `timeout` overall.
pub fn agent(timeout: Duration) -> Agent {
    let mut config = Agent::config_builder()
        .http_status_as_error(false)
        .proxy(None)
        .timeout_global(Some(timeout));
    if let Some(roots) = TRUSTED_ROOTS.get() {
        config = config.tls_config(
            TlsConfig::builder()
                .root_certs(RootCerts::new_with_certs(roots))
                .build(),
        );
    }
    Agent::new_with_config(config.build())
}
