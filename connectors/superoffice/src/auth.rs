//! SuperOffice Online's handshake (`IIntegrationServiceConnectorAuth.Authenticate`): the
//! Application Authorization Service sends a JWT signed with SuperOffice's federated-login
//! certificate, issued by `SuperOffice AS` for the audience `spn:<application id>` and carrying
//! a nonce; the connector checks it and answers with a JWT signed by the application's RSA key
//! that carries the same nonce. Only RS256 JWTs are taken.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::Utc;
use connector_core::http::{Jws, pem_decode};
use connector_core::{Error, Result};
use ring::rand::SystemRandom;
use ring::signature::{
    RSA_PKCS1_2048_8192_SHA256, RSA_PKCS1_SHA256, RsaKeyPair, UnparsedPublicKey,
};
use secrecy::{ExposeSecret, SecretString};
use serde_json::json;

/// The issuer of SuperOffice's tokens.
pub const SUPEROFFICE_ISSUER: &str = "SuperOffice AS";
/// The nonce's claim: the standard one, or SuperOffice's schema form.
const NONCE_CLAIMS: [&str; 2] = ["nonce", "http://schemes.superoffice.net/identity/nonce"];
/// How long the answer token is valid.
const ANSWER_LIFETIME_SECS: i64 = 300;

/// The outcome of a handshake: `AuthenticationResponse`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthAnswer {
    /// Whether SuperOffice's token was taken.
    pub succeeded: bool,
    /// The application's signed token (when it succeeded).
    pub signed_application_token: Option<String>,
    /// Why not (when it failed).
    pub reason: Option<String>,
}

impl AuthAnswer {
    fn refused(reason: impl Into<String>) -> Self {
        Self { succeeded: false, signed_application_token: None, reason: Some(reason.into()) }
    }
}

/// What the handshake needs: the application id, SuperOffice's public key and the
/// application's private key. `Debug` shows no key.
pub struct OnlineAuth {
    application_id: String,
    superoffice_key: Vec<u8>,
    app_key: RsaKeyPair,
    rng: SystemRandom,
}

impl std::fmt::Debug for OnlineAuth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OnlineAuth")
            .field("application_id", &self.application_id)
            .finish_non_exhaustive()
    }
}

fn key_error(message: impl Into<String>) -> Error {
    Error::config(message.into()).with_connector("superoffice")
}

impl OnlineAuth {
    /// The handshake of application `application_id` (its client id), checking SuperOffice's
    /// tokens against `superoffice_pem` (its federated-login certificate, `BEGIN CERTIFICATE`,
    /// or the key itself, `BEGIN PUBLIC KEY` / `BEGIN RSA PUBLIC KEY`) and signing answers
    /// with `app_private_pem` (`BEGIN PRIVATE KEY` or `BEGIN RSA PRIVATE KEY`). Errors never
    /// quote a key.
    pub fn new(
        application_id: impl Into<String>,
        superoffice_pem: &str,
        app_private_pem: &SecretString,
    ) -> Result<Self> {
        let (label, der) = pem_decode(superoffice_pem)
            .ok_or_else(|| key_error("SuperOffice's key is not PEM text"))?;
        let superoffice_key = match label.as_str() {
            "RSA PUBLIC KEY" => Some(der),
            "PUBLIC KEY" => rsa_key_of_spki(&der),
            "CERTIFICATE" => spki_of_certificate(&der).and_then(rsa_key_of_spki),
            other => {
                return Err(key_error(format!(
                    "SuperOffice's key is a {other:?} block, not a certificate or public key"
                )));
            }
        }
        .ok_or_else(|| key_error("SuperOffice's certificate or key holds no RSA public key"))?;
        let (label, der) = pem_decode(app_private_pem.expose_secret())
            .ok_or_else(|| key_error("the application's private key is not PEM text"))?;
        let app_key = match label.as_str() {
            "PRIVATE KEY" => RsaKeyPair::from_pkcs8(&der),
            "RSA PRIVATE KEY" => RsaKeyPair::from_der(&der),
            _ => {
                return Err(key_error(
                    "the application's private key is not an unencrypted RSA private key",
                ));
            }
        }
        .map_err(|e| key_error(format!("the application's private key was refused: {e}")))?;
        Ok(Self {
            application_id: application_id.into(),
            superoffice_key,
            app_key,
            rng: SystemRandom::new(),
        })
    }

    /// Checks SuperOffice's `signed_token` and answers with the application's token.
    pub fn authenticate(&self, signed_token: &str) -> AuthAnswer {
        let Some(jws) = Jws::parse(signed_token.trim()) else {
            return AuthAnswer::refused("the token is not a JWT (only JWT is accepted, not SAML)");
        };
        if jws.header.get("alg").and_then(|a| a.as_str()) != Some("RS256") {
            return AuthAnswer::refused("the token is not signed with RS256");
        }
        let key = UnparsedPublicKey::new(&RSA_PKCS1_2048_8192_SHA256, &self.superoffice_key);
        if key.verify(jws.signing_input.as_bytes(), &jws.signature).is_err() {
            return AuthAnswer::refused(
                "the token's signature does not match SuperOffice's certificate",
            );
        }
        let claim = |name: &str| jws.payload.get(name);
        if claim("iss").and_then(|v| v.as_str()) != Some(SUPEROFFICE_ISSUER) {
            return AuthAnswer::refused(format!("the token is not issued by {SUPEROFFICE_ISSUER}"));
        }
        let audience = format!("spn:{}", self.application_id);
        let aud_ok = match claim("aud") {
            Some(serde_json::Value::String(a)) => a.eq_ignore_ascii_case(&audience),
            Some(serde_json::Value::Array(list)) => {
                list.iter().filter_map(|a| a.as_str()).any(|a| a.eq_ignore_ascii_case(&audience))
            }
            _ => false,
        };
        if !aud_ok {
            return AuthAnswer::refused("wrong audience: the token is for another application");
        }
        let now = Utc::now().timestamp();
        let skew = 60;
        if claim("exp").and_then(|v| v.as_i64()).is_some_and(|exp| exp + skew < now) {
            return AuthAnswer::refused("the token has expired");
        }
        if claim("nbf").and_then(|v| v.as_i64()).is_some_and(|nbf| nbf - skew > now) {
            return AuthAnswer::refused("the token is not valid yet");
        }
        let Some(nonce) = NONCE_CLAIMS.iter().find_map(|n| claim(n)).and_then(|v| v.as_str())
        else {
            return AuthAnswer::refused("the token carries no nonce");
        };
        match self.sign(nonce, now) {
            Ok(token) => {
                AuthAnswer { succeeded: true, signed_application_token: Some(token), reason: None }
            }
            Err(e) => AuthAnswer::refused(e.to_string()),
        }
    }

    fn sign(&self, nonce: &str, now: i64) -> Result<String> {
        let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"RS256","typ":"JWT"}"#);
        let payload = json!({
            "iss": self.application_id,
            "nonce": nonce,
            NONCE_CLAIMS[1]: nonce,
            "iat": now,
            "nbf": now,
            "exp": now + ANSWER_LIFETIME_SECS,
        });
        let signing_input = format!("{header}.{}", URL_SAFE_NO_PAD.encode(payload.to_string()));
        let mut signature = vec![0; self.app_key.public().modulus_len()];
        self.app_key
            .sign(&RSA_PKCS1_SHA256, &self.rng, signing_input.as_bytes(), &mut signature)
            .map_err(|_| Error::internal("RS256 signing failed"))?;
        Ok(format!("{signing_input}.{}", URL_SAFE_NO_PAD.encode(signature)))
    }
}

/// One DER element: its tag, its content and what follows it.
fn der(input: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = input.split_first()?;
    let (&first, rest) = rest.split_first()?;
    let (len, rest) = if first < 0x80 {
        (usize::from(first), rest)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 4 || rest.len() < n {
            return None;
        }
        let len = rest[..n].iter().fold(0usize, |acc, b| (acc << 8) | usize::from(*b));
        (len, &rest[n..])
    };
    (rest.len() >= len).then(|| (tag, &rest[..len], &rest[len..]))
}

/// The `SubjectPublicKeyInfo` of an X.509 certificate (DER).
fn spki_of_certificate(cert: &[u8]) -> Option<Vec<u8>> {
    let (0x30, certificate, _) = der(cert)? else { return None };
    let (0x30, tbs, _) = der(certificate)? else { return None };
    let mut rest = tbs;
    let (tag, _, after) = der(rest)?;
    if tag == 0xa0 {
        rest = after; // the explicit version
    }
    // serial, signature algorithm, issuer, validity, subject, then the key.
    for _ in 0..5 {
        rest = der(rest)?.2;
    }
    let (tag, _, after) = der(rest)?;
    (tag == 0x30).then(|| rest[..rest.len() - after.len()].to_vec())
}

/// The `RSAPublicKey` inside a `SubjectPublicKeyInfo` (DER).
fn rsa_key_of_spki(spki: impl AsRef<[u8]>) -> Option<Vec<u8>> {
    let (0x30, info, _) = der(spki.as_ref())? else { return None };
    let (0x30, _algorithm, rest) = der(info)? else { return None };
    let (0x03, bits, _) = der(rest)? else { return None };
    let (&unused, key) = bits.split_first()?;
    (unused == 0).then(|| key.to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;

    const APP_KEY: &str = include_str!("../tests/keys/app_key.pem");
    const SO_KEY: &str = include_str!("../tests/keys/superoffice_key.pem");
    const SO_CERT: &str = include_str!("../tests/keys/superoffice_cert.pem");

    /// A token as SuperOffice's authorization service makes it.
    fn superoffice_token(claims: serde_json::Value, key: &str) -> String {
        let (_, der) = pem_decode(key).unwrap();
        let pair = RsaKeyPair::from_pkcs8(&der).unwrap();
        let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"RS256","typ":"JWT"}"#);
        let input = format!("{header}.{}", URL_SAFE_NO_PAD.encode(claims.to_string()));
        let mut sig = vec![0; pair.public().modulus_len()];
        pair.sign(&RSA_PKCS1_SHA256, &SystemRandom::new(), input.as_bytes(), &mut sig).unwrap();
        format!("{input}.{}", URL_SAFE_NO_PAD.encode(sig))
    }

    fn claims(aud: &str) -> serde_json::Value {
        let now = Utc::now().timestamp();
        json!({"iss": "SuperOffice AS", "aud": aud, "exp": now + 60, "nbf": now - 5, "nonce": "n-123"})
    }

    #[test]
    fn a_good_token_gets_an_answer_with_its_nonce_signed_by_the_app() {
        let auth = OnlineAuth::new("app-42", SO_CERT, &SecretString::from(APP_KEY)).unwrap();
        let answer = auth.authenticate(&superoffice_token(claims("spn:APP-42"), SO_KEY));
        assert!(answer.succeeded, "{answer:?}");
        let token = answer.signed_application_token.unwrap();
        let jws = Jws::parse(&token).unwrap();
        assert_eq!(jws.payload["nonce"], "n-123");
        // SuperOffice checks it with the application's registered public key.
        let (_, spki) = pem_decode(include_str!("../tests/keys/app_key.pub.pem")).unwrap();
        let public = rsa_key_of_spki(spki).unwrap();
        UnparsedPublicKey::new(&RSA_PKCS1_2048_8192_SHA256, public)
            .verify(jws.signing_input.as_bytes(), &jws.signature)
            .unwrap();
        assert!(!format!("{auth:?}").contains("PRIVATE"));
    }

    #[test]
    fn forged_foreign_stale_and_nonce_less_tokens_are_refused() {
        let auth = OnlineAuth::new("app-42", SO_CERT, &SecretString::from(APP_KEY)).unwrap();
        let now = Utc::now().timestamp();
        let cases = [
            (superoffice_token(claims("spn:app-42"), APP_KEY), "signature"),
            (superoffice_token(claims("spn:other"), SO_KEY), "audience"),
            (
                superoffice_token(
                    json!({"iss": "Mallory", "aud": "spn:app-42", "nonce": "x"}),
                    SO_KEY,
                ),
                "issued",
            ),
            (
                superoffice_token(
                    json!({"iss": "SuperOffice AS", "aud": "spn:app-42", "nonce": "x", "exp": now - 600}),
                    SO_KEY,
                ),
                "expired",
            ),
            (
                superoffice_token(json!({"iss": "SuperOffice AS", "aud": "spn:app-42"}), SO_KEY),
                "nonce",
            ),
            ("<saml:Assertion/>".to_owned(), "only JWT"),
        ];
        for (token, needle) in cases {
            let answer = auth.authenticate(&token);
            assert!(!answer.succeeded && answer.signed_application_token.is_none());
            assert!(
                answer.reason.as_deref().unwrap_or_default().contains(needle),
                "{needle}: {answer:?}"
            );
        }
        let err = OnlineAuth::new("a", "not pem", &SecretString::from(APP_KEY)).unwrap_err();
        assert!(err.to_string().contains("not PEM"));
    }
}
