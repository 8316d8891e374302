//! TLS for the connections the worker makes to Kafka itself (the distributed group membership): the worker's
//! `security.protocol` and PEM `ssl.*` stores as a rustls client config. (SASL: `security::group_connection_sasl`.)

use std::collections::BTreeMap;
use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{
    CertificateError, ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme,
};

use crate::config::pem::{load_keystore, setting, trust_roots};

const SECURITY_PROTOCOL: &str = "security.protocol";
const ENDPOINT_IDENTIFICATION: &str = "ssl.endpoint.identification.algorithm";

/// The TLS client config for the worker's own Kafka connections: `None` for PLAINTEXT (the default) and
/// SASL_PLAINTEXT, a config for SSL and SASL_SSL.
pub fn group_connection_tls(
    settings: &BTreeMap<String, String>,
) -> Result<Option<Arc<ClientConfig>>, String> {
    let protocol = setting(settings, SECURITY_PROTOCOL).unwrap_or("PLAINTEXT");
    match protocol.to_ascii_uppercase().as_str() {
        "PLAINTEXT" | "SASL_PLAINTEXT" => return Ok(None),
        "SSL" | "SASL_SSL" => {}
        _ => {
            return Err(format!(
            "{SECURITY_PROTOCOL}={protocol} is not one of PLAINTEXT, SSL, SASL_PLAINTEXT, SASL_SSL"
        ))
        }
    }
    let mut roots = RootCertStore::empty();
    match trust_roots(settings)? {
        Some(certificates) => {
            for certificate in certificates {
                roots
                    .add(certificate)
                    .map_err(|e| format!("a trust store certificate is unusable: {e}"))?;
            }
        }
        None => roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned()),
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS setup failed: {e}"))?;
    // Kafka's default is `https` (host names checked); an empty value turns the check off.
    let check_host_names = settings
        .get(ENDPOINT_IDENTIFICATION)
        .is_none_or(|v| !v.trim().is_empty());
    let builder = if check_host_names {
        builder.with_root_certificates(roots)
    } else {
        let verifier = WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider)
            .build()
            .map_err(|e| format!("TLS setup failed: {e}"))?;
        builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(AnyHostName(verifier)))
    };
    let config = match load_keystore(settings)? {
        Some((chain, key)) => builder
            .with_client_auth_cert(chain, key)
            .map_err(|e| format!("the key store's key and certificate are unusable: {e}"))?,
        None => builder.with_no_client_auth(),
    };
    Ok(Some(Arc::new(config)))
}

/// Checks the server's chain against the roots but not its host name (`ssl.endpoint.identification.algorithm=`).
#[derive(Debug)]
struct AnyHostName(Arc<WebPkiServerVerifier>);

impl ServerCertVerifier for AnyHostName {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        match self
            .0
            .verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
        {
            Err(rustls::Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            )) => Ok(ServerCertVerified::assertion()),
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.supported_verify_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::config::settings_of as map;

    #[test]
    fn plaintext_protocols_need_no_tls_and_unknown_ones_are_refused() {
        for protocol in [None, Some("PLAINTEXT"), Some("SASL_PLAINTEXT")] {
            let settings = map(&protocol
                .map(|p| ("security.protocol", p))
                .into_iter()
                .collect::<Vec<_>>());
            assert!(
                group_connection_tls(&settings).unwrap().is_none(),
                "{protocol:?}"
            );
        }
        assert!(
            group_connection_tls(&map(&[("security.protocol", "sasl_ssl")]))
                .unwrap()
                .is_some()
        );
        let err = group_connection_tls(&map(&[("security.protocol", "TLS")])).unwrap_err();
        assert!(err.contains("security.protocol=TLS is not one of"), "{err}");
    }

    #[test]
    fn ssl_without_a_trust_store_uses_the_built_in_roots() {
        let config = group_connection_tls(&map(&[("security.protocol", "SSL")])).unwrap();
        assert!(config.is_some());
        let jks = map(&[
            ("security.protocol", "SSL"),
            ("ssl.truststore.location", "/etc/kafka/truststore.jks"),
        ]);
        let err = group_connection_tls(&jks).unwrap_err();
        assert!(
            err.contains("ssl.truststore.type=JKS is not supported"),
            "{err}"
        );
    }
}
