//! TLS for the REST API: Kafka's `listeners.https.ssl.*` (else `ssl.*`) settings with PEM key and trust stores, turned
//! into a rustls server config, an https listener for axum, and the roots the worker's own REST client trusts.

use std::collections::BTreeMap;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use connect_api::config::with_prefix;
use rustls::server::WebPkiClientVerifier;
use rustls::{RootCertStore, ServerConfig};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio_rustls::server::TlsStream;
use tokio_rustls::TlsAcceptor;
use tracing::debug;

use crate::config::pem::{load_keystore, setting, trust_roots};
use crate::config::worker::{
    SSL_CLIENT_AUTH, SSL_KEYSTORE_CERTIFICATE_CHAIN, SSL_KEYSTORE_KEY, SSL_KEYSTORE_LOCATION,
    SSL_KEYSTORE_TYPE, SSL_TRUSTSTORE_CERTIFICATES, SSL_TRUSTSTORE_LOCATION, SSL_TRUSTSTORE_TYPE,
};

/// Prefix of the REST server's own SSL settings (Kafka's `RestServerConfig.LISTENERS_HTTPS_CONFIGS_PREFIX`).
pub const HTTPS_PREFIX: &str = "listeners.https.";
/// A client that has not finished its TLS handshake by then is dropped.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// Handshaken connections waiting for axum to pick them up.
const ACCEPT_QUEUE: usize = 64;
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

/// How an https listener treats client certificates (Kafka's `ssl.client.auth`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClientAuth {
    None,
    /// Asked for and checked against the trust store when given; a client without one still gets in.
    Requested,
    /// Every client must present a certificate the trust store vouches for.
    Required,
}

impl ClientAuth {
    /// `ssl.client.auth` of the REST SSL settings; `none` when unset.
    pub fn of(settings: &BTreeMap<String, String>) -> Result<ClientAuth, String> {
        match setting(settings, SSL_CLIENT_AUTH).map(str::to_ascii_lowercase).as_deref() {
            None | Some("none") => Ok(ClientAuth::None),
            Some("requested") => Ok(ClientAuth::Requested),
            Some("required") => Ok(ClientAuth::Required),
            Some(other) => Err(format!(
                "Invalid value {other} for configuration {SSL_CLIENT_AUTH}: String must be one of: required, \
                 requested, none"
            )),
        }
    }
}

/// The rustls config of the https listeners (ring provider, TLS 1.2 and 1.3, HTTP/1.1). With `ssl.client.auth`
/// `requested` or `required`, client certificates are checked against the PEM trust store.
pub fn server_config(settings: &BTreeMap<String, String>) -> Result<Arc<ServerConfig>, String> {
    let client_auth = ClientAuth::of(settings)?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let verifier = match client_auth {
        ClientAuth::None => None,
        ClientAuth::Requested | ClientAuth::Required => {
            Some(client_verifier(settings, client_auth, provider.clone())?)
        }
    };
    let (chain, key) = load_keystore(settings)?.ok_or_else(|| {
        format!(
            "an https listener needs {SSL_KEYSTORE_LOCATION} (a PEM file with the private key and certificate \
             chain, {SSL_KEYSTORE_TYPE}=PEM) or {SSL_KEYSTORE_CERTIFICATE_CHAIN} and {SSL_KEYSTORE_KEY}"
        )
    })?;
    let builder = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS setup failed: {e}"))?;
    let builder = match verifier {
        None => builder.with_no_client_auth(),
        Some(verifier) => builder.with_client_cert_verifier(verifier),
    };
    let mut config = builder
        .with_single_cert(chain, key)
        .map_err(|e| format!("the REST keystore's key and certificate are unusable: {e}"))?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

/// Checks client certificates against the PEM trust store; with `Requested`, a client without one is let in.
fn client_verifier(
    settings: &BTreeMap<String, String>,
    client_auth: ClientAuth,
    provider: Arc<rustls::crypto::CryptoProvider>,
) -> Result<Arc<dyn rustls::server::danger::ClientCertVerifier>, String> {
    let roots = trust_roots(settings)?.ok_or_else(|| {
        format!(
            "{SSL_CLIENT_AUTH}={} needs a trust store to check client certificates against: \
             {SSL_TRUSTSTORE_LOCATION} (a PEM file, {SSL_TRUSTSTORE_TYPE}=PEM) or {SSL_TRUSTSTORE_CERTIFICATES}",
            setting(settings, SSL_CLIENT_AUTH).unwrap_or_default()
        )
    })?;
    let mut store = RootCertStore::empty();
    for root in roots {
        store
            .add(root)
            .map_err(|e| format!("the REST trust store holds an unusable certificate: {e}"))?;
    }
    let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(store), provider);
    let verifier = if client_auth == ClientAuth::Requested {
        verifier.allow_unauthenticated()
    } else {
        verifier
    };
    verifier
        .build()
        .map_err(|e| format!("client certificate checking cannot be set up: {e}"))
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
    use crate::config::pem::trust_roots;

    use crate::config::settings_of as map;

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
    fn non_pem_stores_and_unusable_client_auth_are_refused_clearly() {
        let jks = map(&[("ssl.keystore.location", "/x.jks")]);
        let err = server_config(&jks).unwrap_err();
        assert!(
            err.contains("ssl.keystore.type=JKS is not supported") && err.contains("PEM"),
            "{err}"
        );
        let nothing = server_config(&map(&[])).unwrap_err();
        assert!(nothing.contains("needs ssl.keystore.location"), "{nothing}");
        let auth = server_config(&map(&[("ssl.client.auth", "required")])).unwrap_err();
        assert!(
            auth.contains("ssl.client.auth=required needs a trust store"),
            "{auth}"
        );
        let odd = server_config(&map(&[("ssl.client.auth", "sometimes")])).unwrap_err();
        assert!(odd.contains("Invalid value sometimes"), "{odd}");
        assert_eq!(
            ClientAuth::of(&map(&[("ssl.client.auth", "REQUESTED")])),
            Ok(ClientAuth::Requested)
        );
        assert_eq!(ClientAuth::of(&map(&[])), Ok(ClientAuth::None));
        assert_eq!(trust_roots(&map(&[])).unwrap(), None);
        let p12 = map(&[
            ("ssl.truststore.type", "PKCS12"),
            ("ssl.truststore.certificates", "x"),
        ]);
        assert!(trust_roots(&p12)
            .unwrap_err()
            .contains("ssl.truststore.type=PKCS12"));
    }
}
