//! TLS for the REST API: Kafka's `listeners.https.ssl.*` (else `ssl.*`) settings with PEM key and trust stores, turned
//! into a rustls server config, an https listener for axum, and the roots the worker's own REST client trusts.

use std::collections::BTreeMap;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use connect_api::config::with_prefix;
use rustls::pki_types::{
    CertificateDer, PrivateKeyDer, PrivatePkcs1KeyDer, PrivatePkcs8KeyDer, PrivateSec1KeyDer,
};
use rustls::ServerConfig;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio_rustls::server::TlsStream;
use tokio_rustls::TlsAcceptor;
use tracing::debug;

use crate::config::worker::{
    DEFAULT_STORE_TYPE, SSL_CLIENT_AUTH, SSL_KEYSTORE_CERTIFICATE_CHAIN, SSL_KEYSTORE_KEY,
    SSL_KEYSTORE_LOCATION, SSL_KEYSTORE_TYPE, SSL_KEY_PASSWORD, SSL_TRUSTSTORE_CERTIFICATES,
    SSL_TRUSTSTORE_LOCATION, SSL_TRUSTSTORE_TYPE,
};

/// Prefix of the REST server's own SSL settings (Kafka's `RestServerConfig.LISTENERS_HTTPS_CONFIGS_PREFIX`).
pub const HTTPS_PREFIX: &str = "listeners.https.";
/// A client that has not finished its TLS handshake by then is dropped.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// Handshaken connections waiting for axum to pick them up.
const ACCEPT_QUEUE: usize = 64;
const CONVERT_HINT: &str =
    "convert it to PEM (README, \"Securing the REST API\") and set the type to PEM";

/// The SSL settings of the REST server and client, as Kafka's `valuesWithPrefixAllOrNothing("listeners.https.")`
/// picks them: the `listeners.https.` ones (prefix removed) if there is at least one, otherwise the plain ones.
pub fn ssl_settings(raw: &BTreeMap<String, String>) -> BTreeMap<String, String> {
    let prefixed = with_prefix(raw, HTTPS_PREFIX);
    if prefixed.is_empty() {
        raw.clone()
    } else {
        prefixed
    }
}

fn setting<'a>(settings: &'a BTreeMap<String, String>, key: &str) -> Option<&'a str> {
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
            "{type_key}={kind} is not supported for the REST API, only PEM is: {CONVERT_HINT}"
        ))
    }
}

/// The certificate chain and private key of the https listeners: `ssl.keystore.location` (one PEM file with both)
/// or the inline `ssl.keystore.certificate.chain` and `ssl.keystore.key`.
fn load_keystore(
    settings: &BTreeMap<String, String>,
) -> Result<(Vec<CertificateDer<'static>>, PrivateKeyDer<'static>), String> {
    let location = setting(settings, SSL_KEYSTORE_LOCATION);
    let chain = setting(settings, SSL_KEYSTORE_CERTIFICATE_CHAIN);
    let key = setting(settings, SSL_KEYSTORE_KEY);
    let (chain_text, key_text, source) = match (location, chain, key) {
        (None, None, None) => {
            return Err(format!(
                "an https listener needs {SSL_KEYSTORE_LOCATION} (a PEM file with the private key and certificate \
                 chain, {SSL_KEYSTORE_TYPE}=PEM) or {SSL_KEYSTORE_CERTIFICATE_CHAIN} and {SSL_KEYSTORE_KEY}"
            ))
        }
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
    Ok((chain, key))
}

/// The rustls config of the https listeners (ring provider, TLS 1.2 and 1.3, HTTP/1.1).
pub fn server_config(settings: &BTreeMap<String, String>) -> Result<Arc<ServerConfig>, String> {
    let client_auth = setting(settings, SSL_CLIENT_AUTH).unwrap_or("none");
    if !client_auth.eq_ignore_ascii_case("none") {
        return Err(format!(
            "{SSL_CLIENT_AUTH}={client_auth} is not supported for the REST API yet (only none)"
        ));
    }
    let (chain, key) = load_keystore(settings)?;
    let mut config =
        ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .with_safe_default_protocol_versions()
            .map_err(|e| format!("TLS setup failed: {e}"))?
            .with_no_client_auth()
            .with_single_cert(chain, key)
            .map_err(|e| format!("the REST keystore's key and certificate are unusable: {e}"))?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

/// The roots the worker's REST client trusts for https peers: the PEM truststore (`ssl.truststore.location` or
/// inline `ssl.truststore.certificates`) if one is set, `None` otherwise (the client's built-in Mozilla roots).
pub fn client_roots(
    settings: &BTreeMap<String, String>,
) -> Result<Option<Vec<CertificateDer<'static>>>, String> {
    let (text, source) = match (
        setting(settings, SSL_TRUSTSTORE_LOCATION),
        setting(settings, SSL_TRUSTSTORE_CERTIFICATES),
    ) {
        (None, None) => return Ok(None),
        (Some(path), _) => (
            read_pem_file(SSL_TRUSTSTORE_LOCATION, path)?,
            path.to_string(),
        ),
        (None, Some(inline)) => (inline.to_string(), SSL_TRUSTSTORE_CERTIFICATES.to_string()),
    };
    require_pem(settings, SSL_TRUSTSTORE_TYPE)?;
    let roots = certificates(&pem_blocks(&text, &source)?);
    if roots.is_empty() {
        return Err(format!("{source} holds no PEM certificate"));
    }
    Ok(Some(roots))
}

/// An https listener for `axum::serve`: a background task accepts TCP connections and runs each TLS handshake in its
/// own task (a slow client cannot hold up the others); finished connections queue here.
pub struct TlsListener {
    ready: mpsc::Receiver<(TlsStream<TcpStream>, SocketAddr)>,
    local: SocketAddr,
}

impl TlsListener {
    /// Starts accepting on `tcp`; must be called inside the tokio runtime.
    pub fn new(tcp: TcpListener, config: Arc<ServerConfig>) -> io::Result<TlsListener> {
        let local = tcp.local_addr()?;
        let (send, ready) = mpsc::channel(ACCEPT_QUEUE);
        let acceptor = TlsAcceptor::from(config);
        tokio::spawn(async move {
            loop {
                let (stream, peer) = match tcp.accept().await {
                    Ok(accepted) => accepted,
                    Err(e) => {
                        debug!("accepting an https connection failed: {e}");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                };
                let acceptor = acceptor.clone();
                let queue = send.clone();
                tokio::spawn(async move {
                    match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(stream)).await {
                        Ok(Ok(tls)) => {
                            let _ = queue.send((tls, peer)).await;
                        }
                        Ok(Err(e)) => debug!("TLS handshake with {peer} failed: {e}"),
                        Err(_) => debug!("TLS handshake with {peer} timed out"),
                    }
                });
                if send.is_closed() {
                    return;
                }
            }
        });
        Ok(TlsListener { ready, local })
    }
}

impl axum::serve::Listener for TlsListener {
    type Io = TlsStream<TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        match self.ready.recv().await {
            Some(connection) => connection,
            None => std::future::pending().await,
        }
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        Ok(self.local)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn prefixed_settings_replace_plain_ones_all_or_nothing() {
        let plain = map(&[
            ("ssl.keystore.type", "PEM"),
            ("ssl.keystore.location", "/a.pem"),
        ]);
        assert_eq!(ssl_settings(&plain), plain);
        let mut both = plain.clone();
        both.insert(
            "listeners.https.ssl.keystore.location".into(),
            "/b.pem".into(),
        );
        let chosen = ssl_settings(&both);
        assert_eq!(chosen, map(&[("ssl.keystore.location", "/b.pem")]));
    }

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

    #[test]
    fn non_pem_stores_and_client_auth_are_refused_clearly() {
        let jks = map(&[("ssl.keystore.location", "/x.jks")]);
        let err = server_config(&jks).unwrap_err();
        assert!(
            err.contains("ssl.keystore.type=JKS is not supported") && err.contains("PEM"),
            "{err}"
        );
        let nothing = server_config(&map(&[])).unwrap_err();
        assert!(nothing.contains("needs ssl.keystore.location"), "{nothing}");
        let auth = server_config(&map(&[("ssl.client.auth", "required")])).unwrap_err();
        assert!(auth.contains("ssl.client.auth=required"), "{auth}");
        assert_eq!(client_roots(&map(&[])).unwrap(), None);
        let p12 = map(&[
            ("ssl.truststore.type", "PKCS12"),
            ("ssl.truststore.certificates", "x"),
        ]);
        assert!(client_roots(&p12)
            .unwrap_err()
            .contains("ssl.truststore.type=PKCS12"));
    }
}
