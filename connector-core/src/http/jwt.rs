//! The JWT bearer grant (RFC 7523): a signed assertion instead of a secret or a refresh
//! token (Salesforce's server-to-server flow).
//!
//! [`OAuth2::jwt_bearer`](super::OAuth2::jwt_bearer) asks an [`AssertionSigner`] for a fresh
//! assertion every time it needs a token, and sends it with
//! [`TokenEndpoint::jwt_bearer`](super::TokenEndpoint::jwt_bearer). [`RsaJwtSigner`] is the
//! RS256 signer (an RSA private key in PKCS#8 or PKCS#1 PEM); other signers (a key held in an
//! HSM or a cloud KMS) plug in through the trait.

use std::fmt;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use ring::rand::SystemRandom;
use ring::signature::{RSA_PKCS1_SHA256, RsaKeyPair};
use secrecy::{ExposeSecret, SecretString};
use serde_json::json;

use crate::error::{Error, ErrorKind, Result, RetryClass};

use super::clock;

/// The `grant_type` of the JWT bearer grant.
pub const JWT_BEARER_GRANT: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";

/// Makes the signed assertions of the JWT bearer grant.
///
/// Called each time a token is needed, so every assertion carries a fresh `exp`.
pub trait AssertionSigner: Send + Sync + fmt::Debug {
    /// A new signed assertion (a compact JWS).
    fn assertion(&self) -> Result<SecretString>;
}

/// The claims of a JWT bearer assertion.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JwtClaims {
    /// `iss`: the OAuth client id (Salesforce: the connected app's consumer key).
    pub issuer: String,
    /// `sub`: the user the token is for (Salesforce: the username).
    pub subject: String,
    /// `aud`: the authorisation server (Salesforce: `https://login.salesforce.com`).
    pub audience: String,
    /// How long each assertion is valid: its `exp` is now plus this (Salesforce allows at
    /// most 3 minutes).
    pub lifetime: Duration,
}

impl JwtClaims {
    /// Claims valid for 3 minutes.
    pub fn new(
        issuer: impl Into<String>,
        subject: impl Into<String>,
        audience: impl Into<String>,
    ) -> Self {
        Self {
            issuer: issuer.into(),
            subject: subject.into(),
            audience: audience.into(),
            lifetime: Duration::from_secs(180),
        }
    }

    /// Sets how long each assertion is valid.
    #[must_use]
    pub fn lifetime(mut self, lifetime: Duration) -> Self {
        self.lifetime = lifetime;
        self
    }
}

/// Signs JWT bearer assertions with RS256 (RSASSA-PKCS1-v1_5 with SHA-256).
///
/// The private key is parsed once into `ring`'s opaque key pair; neither the PEM text nor
/// the key reaches `Debug`, logs or errors.
pub struct RsaJwtSigner {
    key: RsaKeyPair,
    claims: JwtClaims,
    rng: SystemRandom,
}

impl RsaJwtSigner {
    /// A signer from an RSA private key in PEM: PKCS#8 (`BEGIN PRIVATE KEY`, what
    /// `openssl genpkey` writes) or PKCS#1 (`BEGIN RSA PRIVATE KEY`). Encrypted keys are
    /// refused. Errors never quote the key.
    pub fn from_pem(pem: &SecretString, claims: JwtClaims) -> Result<Self> {
        let (label, der) = pem_decode(pem.expose_secret())
            .ok_or_else(|| key_error("the private key is not PEM text"))?;
        let key = match label.as_str() {
            "PRIVATE KEY" => RsaKeyPair::from_pkcs8(&der),
            "RSA PRIVATE KEY" => RsaKeyPair::from_der(&der),
            "ENCRYPTED PRIVATE KEY" => {
                return Err(key_error("the private key is encrypted: give it unencrypted"));
            }
            other => {
                return Err(key_error(format!(
                    "the PEM block is {other:?}, not an RSA private key (PRIVATE KEY)"
                )));
            }
        }
        .map_err(|e| key_error(format!("the RSA private key was refused: {e}")))?;
        Ok(Self { key, claims, rng: SystemRandom::new() })
    }

    /// The claims this signer puts in every assertion.
    pub fn claims(&self) -> &JwtClaims {
        &self.claims
    }

    /// The public key (DER `RSAPublicKey`), to register or check against.
    pub fn public_key_der(&self) -> &[u8] {
        self.key.public().as_ref()
    }
}

impl AssertionSigner for RsaJwtSigner {
    fn assertion(&self) -> Result<SecretString> {
        let exp = (clock::now_utc() + clock::delta(self.claims.lifetime)).timestamp();
        let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"RS256","typ":"JWT"}"#);
        let payload = json!({
            "iss": self.claims.issuer,
            "sub": self.claims.subject,
            "aud": self.claims.audience,
            "exp": exp,
        });
        let payload = URL_SAFE_NO_PAD.encode(payload.to_string());
        let signing_input = format!("{header}.{payload}");
        let mut signature = vec![0; self.key.public().modulus_len()];
        self.key
            .sign(&RSA_PKCS1_SHA256, &self.rng, signing_input.as_bytes(), &mut signature)
            .map_err(|_| Error::new(ErrorKind::Internal, "RS256 signing failed"))?;
        Ok(SecretString::from(format!("{signing_input}.{}", URL_SAFE_NO_PAD.encode(signature))))
    }
}

impl fmt::Debug for RsaJwtSigner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RsaJwtSigner")
            .field("alg", &"RS256")
            .field("claims", &self.claims)
            .finish_non_exhaustive()
    }
}

fn key_error(msg: impl Into<String>) -> Error {
    Error::config(msg.into()).with_retry_class(RetryClass::Never)
}

/// Decodes the first PEM block of `text`: its label and its bytes. `None` if there is no
/// well-formed block. Errors in the caller must not quote `text`: it may be a private key.
pub fn pem_decode(text: &str) -> Option<(String, Vec<u8>)> {
    let start = text.find("-----BEGIN ")?;
    let rest = &text[start + "-----BEGIN ".len()..];
    let label_end = rest.find("-----")?;
    let label = rest[..label_end].to_owned();
    let body = &rest[label_end + 5..];
    let end = body.find(&format!("-----END {label}-----"))?;
    let b64: String = body[..end].chars().filter(|c| !c.is_ascii_whitespace()).collect();
    if b64.contains(':') {
        // RFC 1421 headers (`Proc-Type: 4,ENCRYPTED`): an encrypted legacy key.
        return Some(("ENCRYPTED PRIVATE KEY".to_owned(), Vec::new()));
    }
    STANDARD.decode(b64).ok().map(|der| (label, der))
}

/// A compact JWS (a signed JWT) taken apart: decoded header and payload, the signature and
/// the signing input (`header.payload`) it signs. Parsing checks the shape only; verify the
/// signature before trusting the payload.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Jws {
    /// The decoded header (`alg`, `kid`, `typ`, ...).
    pub header: serde_json::Value,
    /// The decoded payload (the claims).
    pub payload: serde_json::Value,
    /// The signature's bytes.
    pub signature: Vec<u8>,
    /// What the signature signs: the first two segments as sent.
    pub signing_input: String,
}

impl Jws {
    /// Splits `token` into its parts; `None` unless it has three base64url segments, the
    /// first two JSON.
    pub fn parse(token: &str) -> Option<Self> {
        let mut it = token.split('.');
        let (h, p, s) = (it.next()?, it.next()?, it.next()?);
        if it.next().is_some() {
            return None;
        }
        Some(Self {
            header: serde_json::from_slice(&URL_SAFE_NO_PAD.decode(h).ok()?).ok()?,
            payload: serde_json::from_slice(&URL_SAFE_NO_PAD.decode(p).ok()?).ok()?,
            signature: URL_SAFE_NO_PAD.decode(s).ok()?,
            signing_input: token[..h.len() + 1 + p.len()].to_owned(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // A throwaway 2048-bit test-only key (openssl genpkey); it protects nothing.
    const KEY: &str = include_str!("../../../connectors/salesforce/tests/cases/keys/test_key.pem");

    #[test]
    fn signs_verifiable_rs256_assertions_and_hides_the_key() {
        let claims = JwtClaims::new("consumer-key", "user@example.com", "https://login.example");
        let signer = RsaJwtSigner::from_pem(&SecretString::from(KEY), claims).unwrap();
        let a = signer.assertion().unwrap();
        let parts = Jws::parse(a.expose_secret()).unwrap();
        assert_eq!(parts.header["alg"], "RS256");
        assert_eq!(parts.payload["iss"], "consumer-key");
        assert_eq!(parts.payload["sub"], "user@example.com");
        assert_eq!(parts.payload["aud"], "https://login.example");
        let exp = parts.payload["exp"].as_i64().unwrap();
        let now = clock::now_utc().timestamp();
        assert!((now + 170..=now + 181).contains(&exp), "{exp} vs {now}");
        let public = ring::signature::UnparsedPublicKey::new(
            &ring::signature::RSA_PKCS1_2048_8192_SHA256,
            signer.public_key_der(),
        );
        public.verify(parts.signing_input.as_bytes(), &parts.signature).unwrap();

        let debug = format!("{signer:?}");
        assert!(debug.contains("consumer-key"), "{debug}");
        let body_line = KEY.lines().nth(1).unwrap();
        assert!(!debug.contains(&body_line[..20]), "{debug}");
        assert!(!debug.contains("PRIVATE"), "{debug}");
    }

    #[test]
    fn bad_keys_are_refused_without_quoting_them() {
        let claims = JwtClaims::new("i", "s", "a");
        for text in [
            "not a key at all",
            "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
            "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
            "-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n",
        ] {
            let e = RsaJwtSigner::from_pem(&SecretString::from(text), claims.clone()).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::Config, "{e}");
            assert!(!e.to_string().contains("AAAA"), "{e}");
        }
    }
}
