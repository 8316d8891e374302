//! SASL for the group connection: the client side of PLAIN and SCRAM-SHA-256/512 (RFC 5802, RFC 7677), whose
//! messages travel in Kafka's SaslAuthenticate requests after a SaslHandshake names the mechanism.

use std::fmt;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use hmac::{Hmac, KeyInit, Mac};
use sha2::{Digest, Sha256, Sha512};

/// A SASL mechanism this client speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mechanism {
    Plain,
    ScramSha256,
    ScramSha512,
}

impl Mechanism {
    /// Kafka's `sasl.mechanism` value; other mechanisms (GSSAPI, OAUTHBEARER) are refused with the reason.
    pub fn parse(name: &str) -> Result<Mechanism, String> {
        match name.trim() {
            "PLAIN" => Ok(Mechanism::Plain),
            "SCRAM-SHA-256" => Ok(Mechanism::ScramSha256),
            "SCRAM-SHA-512" => Ok(Mechanism::ScramSha512),
            other => Err(format!(
                "sasl.mechanism={other} is not supported by the group connection (PLAIN, SCRAM-SHA-256 and \
                 SCRAM-SHA-512 are)"
            )),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Mechanism::Plain => "PLAIN",
            Mechanism::ScramSha256 => "SCRAM-SHA-256",
            Mechanism::ScramSha512 => "SCRAM-SHA-512",
        }
    }

    pub(super) fn hmac(self, key: &[u8], data: &[u8]) -> Vec<u8> {
        fn run<M: Mac + KeyInit>(key: &[u8], data: &[u8]) -> Vec<u8> {
            let mut mac =
                <M as KeyInit>::new_from_slice(key).expect("HMAC takes keys of any length");
            mac.update(data);
            mac.finalize().into_bytes().to_vec()
        }
        match self {
            Mechanism::ScramSha512 => run::<Hmac<Sha512>>(key, data),
            _ => run::<Hmac<Sha256>>(key, data),
        }
    }

    pub(super) fn hash(self, data: &[u8]) -> Vec<u8> {
        match self {
            Mechanism::ScramSha512 => Sha512::digest(data).to_vec(),
            _ => Sha256::digest(data).to_vec(),
        }
    }

    /// PBKDF2 with this mechanism's HMAC, one block (the hash's length), as SCRAM's `Hi()`.
    pub(super) fn salted_password(self, password: &[u8], salt: &[u8], iterations: u32) -> Vec<u8> {
        let mut block = self.hmac(password, &[salt, &1u32.to_be_bytes()].concat());
        let mut result = block.clone();
        for _ in 1..iterations {
            block = self.hmac(password, &block);
            result.iter_mut().zip(&block).for_each(|(r, b)| *r ^= b);
        }
        result
    }
}

/// The mechanism and the user's credentials (from `sasl.mechanism` and `sasl.jaas.config`).
#[derive(Clone, PartialEq, Eq)]
pub struct SaslCredentials {
    pub mechanism: Mechanism,
    pub username: String,
    pub password: String,
}

impl fmt::Debug for SaslCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SaslCredentials")
            .field("mechanism", &self.mechanism)
            .field("username", &self.username)
            .field("password", &"[hidden]")
            .finish()
    }
}

/// One authentication exchange: feed it each server message, send what it returns.
pub struct Exchange {
    credentials: SaslCredentials,
    state: State,
}

enum State {
    Start,
    /// SCRAM: the client-first message went out.
    ScramFirstSent {
        nonce: String,
        client_first_bare: String,
    },
    /// SCRAM: the client-final message went out; the server must prove it knows the password too.
    ScramFinalSent {
        server_signature: Vec<u8>,
    },
    Done,
}

impl Exchange {
    /// An exchange whose SCRAM client nonce is `nonce` (printable, without commas; unused by PLAIN).
    pub fn new(credentials: SaslCredentials, nonce: String) -> Exchange {
        let state = if credentials.mechanism == Mechanism::Plain {
            State::Start
        } else {
            State::ScramFirstSent {
                client_first_bare: format!("n={},r={nonce}", saslname(&credentials.username)),
                nonce,
            }
        };
        Exchange { credentials, state }
    }

    /// The first message to send.
    pub fn first_message(&self) -> Vec<u8> {
        match &self.state {
            State::ScramFirstSent {
                client_first_bare, ..
            } => format!("n,,{client_first_bare}").into_bytes(),
            _ => {
                let c = &self.credentials;
                format!("\0{}\0{}", c.username, c.password).into_bytes()
            }
        }
    }

    /// Takes the server's answer to the last message: `Ok(Some(next))` to send next, `Ok(None)` when the exchange
    /// is complete, `Err` when the server's message is malformed or does not prove the server knows the password.
    pub fn answer(&mut self, server: &[u8]) -> Result<Option<Vec<u8>>, String> {
        let mechanism = self.credentials.mechanism;
        match std::mem::replace(&mut self.state, State::Done) {
            State::Start => Ok(None), // PLAIN: one message; the broker's error code says whether it was accepted
            State::ScramFirstSent {
                nonce,
                client_first_bare,
            } => {
                let server_first = std::str::from_utf8(server)
                    .map_err(|_| "the SCRAM server-first message is not UTF-8".to_string())?;
                let attributes = scram_attributes(server_first);
                let combined = attributes
                    .get("r")
                    .filter(|r| r.starts_with(&nonce) && r.len() > nonce.len())
                    .ok_or("the SCRAM server nonce does not extend the client's")?;
                let salt = attributes
                    .get("s")
                    .and_then(|s| STANDARD.decode(s).ok())
                    .ok_or("the SCRAM server-first message has no valid salt")?;
                let iterations: u32 = attributes
                    .get("i")
                    .and_then(|i| i.parse().ok())
                    .filter(|&i| i >= 1)
                    .ok_or("the SCRAM server-first message has no valid iteration count")?;
                let salted = mechanism.salted_password(
                    self.credentials.password.as_bytes(),
                    &salt,
                    iterations,
                );
                let client_key = mechanism.hmac(&salted, b"Client Key");
                let stored_key = mechanism.hash(&client_key);
                // "biws" is base64 of the GS2 header "n,,": no channel binding.
                let without_proof = format!("c=biws,r={combined}");
                let auth_message = format!("{client_first_bare},{server_first},{without_proof}");
                let signature = mechanism.hmac(&stored_key, auth_message.as_bytes());
                let proof: Vec<u8> = client_key
                    .iter()
                    .zip(&signature)
                    .map(|(k, s)| k ^ s)
                    .collect();
                let server_key = mechanism.hmac(&salted, b"Server Key");
                self.state = State::ScramFinalSent {
                    server_signature: mechanism.hmac(&server_key, auth_message.as_bytes()),
                };
                Ok(Some(
                    format!("{without_proof},p={}", STANDARD.encode(proof)).into_bytes(),
                ))
            }
            State::ScramFinalSent { server_signature } => {
                let server_final = String::from_utf8_lossy(server);
                let attributes = scram_attributes(&server_final);
                if let Some(error) = attributes.get("e") {
                    return Err(format!("SCRAM authentication failed: {error}"));
                }
                let verifier = attributes.get("v").and_then(|v| STANDARD.decode(v).ok());
                if verifier.as_deref() != Some(server_signature.as_slice()) {
                    return Err(
                        "the broker's SCRAM server signature is wrong: it does not know the \
                                password (or is not the broker it claims to be)"
                            .into(),
                    );
                }
                Ok(None)
            }
            State::Done => Err("the SASL exchange is already complete".into()),
        }
    }
}

/// A user name as SCRAM writes it: `=` and `,` escaped.
fn saslname(name: &str) -> String {
    name.replace('=', "=3D").replace(',', "=2C")
}

/// `k=value` attributes of a SCRAM message (a value may contain `=`).
fn scram_attributes(message: &str) -> std::collections::HashMap<&str, &str> {
    message
        .split(',')
        .filter_map(|part| part.split_once('='))
        .collect()
}

/// A fresh client nonce: 24 random bytes from the kernel, base64 (no commas).
pub fn new_nonce() -> Result<String, String> {
    let mut bytes = [0u8; 24];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| std::io::Read::read_exact(&mut f, &mut bytes))
        .map_err(|e| format!("cannot read /dev/urandom for a SCRAM nonce: {e}"))?;
    Ok(STANDARD.encode(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn credentials(mechanism: Mechanism, username: &str, password: &str) -> SaslCredentials {
        SaslCredentials {
            mechanism,
            username: username.into(),
            password: password.into(),
        }
    }

    /// The SCRAM-SHA-256 example exchange of RFC 7677, section 3.
    #[test]
    fn scram_sha_256_matches_the_rfc_example() {
        let mut exchange = Exchange::new(
            credentials(Mechanism::ScramSha256, "user", "pencil"),
            "rOprNGfwEbeRWgbNEkqO".into(),
        );
        assert_eq!(
            exchange.first_message(),
            b"n,,n=user,r=rOprNGfwEbeRWgbNEkqO"
        );
        let server_first = "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,\
                            s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096";
        let client_final = exchange.answer(server_first.as_bytes()).unwrap().unwrap();
        assert_eq!(
            String::from_utf8(client_final).unwrap(),
            "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,\
             p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ="
        );
        let server_final = b"v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=";
        assert_eq!(exchange.answer(server_final).unwrap(), None);
    }

    #[test]
    fn a_wrong_server_signature_or_an_error_fails_the_exchange() {
        let run = |server_final: &[u8]| {
            let mut exchange = Exchange::new(
                credentials(Mechanism::ScramSha512, "a=b,c", "pw"),
                "nonce".into(),
            );
            assert_eq!(exchange.first_message(), b"n,,n=a=3Db=2Cc,r=nonce");
            exchange
                .answer(b"r=nonceXYZ,s=c2FsdA==,i=2")
                .unwrap()
                .expect("a client-final message");
            exchange.answer(server_final)
        };
        assert!(run(b"v=AAAA")
            .unwrap_err()
            .contains("server signature is wrong"));
        assert!(run(b"e=invalid-proof")
            .unwrap_err()
            .contains("invalid-proof"));
        let mut foreign =
            Exchange::new(credentials(Mechanism::ScramSha256, "u", "p"), "abc".into());
        assert!(foreign
            .answer(b"r=xyz123,s=c2FsdA==,i=1")
            .unwrap_err()
            .contains("does not extend"));
    }

    #[test]
    fn plain_sends_one_message_and_other_mechanisms_are_refused() {
        let mut exchange = Exchange::new(
            credentials(Mechanism::Plain, "alice", "s3cr=t"),
            "unused".into(),
        );
        assert_eq!(exchange.first_message(), b"\0alice\0s3cr=t");
        assert_eq!(exchange.answer(b"").unwrap(), None);
        assert!(Mechanism::parse("GSSAPI").unwrap_err().contains("GSSAPI"));
        assert_eq!(
            Mechanism::parse("SCRAM-SHA-512"),
            Ok(Mechanism::ScramSha512)
        );
        let nonce = new_nonce().unwrap();
        assert_eq!(nonce.len(), 32);
        assert!(!nonce.contains(','));
    }
}
