//! [`JwtVerifier`]: checks JWT bearer assertions (RS256) the way an authorisation server
//! does, for simulated token endpoints.

use std::fmt;
use std::time::Duration;

use ring::signature::{RSA_PKCS1_2048_8192_SHA256, UnparsedPublicKey};

use connector_core::http::{Jws, now_utc, pem_decode};

/// Why an assertion was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum JwtRejection {
    /// Not a compact JWS with JSON header and claims.
    #[error("the assertion is not a well-formed JWT")]
    Malformed,
    /// The header's `alg` is not `RS256`.
    #[error("the assertion is not signed with RS256")]
    Algorithm,
    /// The signature does not verify with the registered public key.
    #[error("the signature does not match the registered key")]
    Signature,
    /// `iss` is not the expected client id.
    #[error("unknown issuer (client id)")]
    Issuer,
    /// `sub` is not a known user.
    #[error("unknown subject (user)")]
    Subject,
    /// `aud` is not the expected audience.
    #[error("wrong audience")]
    Audience,
    /// `exp` is missing or past.
    #[error("the assertion has expired")]
    Expired,
    /// `exp` lies further ahead than the server allows.
    #[error("the assertion is valid for too long")]
    TooLong,
}

/// Checks RS256 JWT bearer assertions: the signature against a registered public key, then
/// `iss`, `sub`, `aud` and `exp` (on tokio's clock, so paused tests can expire them).
#[derive(Clone)]
pub struct JwtVerifier {
    public_key: Vec<u8>,
    issuer: String,
    subject: String,
    audience: String,
    max_lifetime: Duration,
}

impl fmt::Debug for JwtVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JwtVerifier")
            .field("issuer", &self.issuer)
            .field("subject", &self.subject)
            .field("audience", &self.audience)
            .field("max_lifetime", &self.max_lifetime)
            .finish_non_exhaustive()
    }
}

impl JwtVerifier {
    /// A verifier for assertions signed by the holder of the key whose public half is
    /// `public_key_pem` (`BEGIN RSA PUBLIC KEY`, PKCS#1, as `openssl rsa -RSAPublicKey_out`
    /// writes it), from `issuer` for `subject` to `audience`. `exp` may lie at most 3
    /// minutes ahead (Salesforce's rule) unless [`max_lifetime`](Self::max_lifetime) says
    /// otherwise. `None` if the PEM holds no RSA public key.
    pub fn new(
        public_key_pem: &str,
        issuer: impl Into<String>,
        subject: impl Into<String>,
        audience: impl Into<String>,
    ) -> Option<Self> {
        let (label, der) = pem_decode(public_key_pem)?;
        (label == "RSA PUBLIC KEY").then(|| Self {
            public_key: der,
            issuer: issuer.into(),
            subject: subject.into(),
            audience: audience.into(),
            max_lifetime: Duration::from_secs(180),
        })
    }

    /// How far ahead `exp` may lie (plus a few seconds of clock skew).
    #[must_use]
    pub fn max_lifetime(mut self, lifetime: Duration) -> Self {
        self.max_lifetime = lifetime;
        self
    }

    /// The expected issuer.
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// The expected subject.
    pub fn subject(&self) -> &str {
        &self.subject
    }

    /// The expected audience.
    pub fn audience(&self) -> &str {
        &self.audience
    }

    /// Checks an assertion: format, algorithm, signature, then `iss`, `sub`, `aud`, `exp`.
    pub fn verify(&self, assertion: &str) -> Result<(), JwtRejection> {
        let parts = Jws::parse(assertion.trim()).ok_or(JwtRejection::Malformed)?;
        if parts.header.get("alg").and_then(|v| v.as_str()) != Some("RS256") {
            return Err(JwtRejection::Algorithm);
        }
        UnparsedPublicKey::new(&RSA_PKCS1_2048_8192_SHA256, &self.public_key)
            .verify(parts.signing_input.as_bytes(), &parts.signature)
            .map_err(|_| JwtRejection::Signature)?;
        let claim = |name: &str| parts.payload.get(name).and_then(|v| v.as_str());
        if claim("iss") != Some(self.issuer.as_str()) {
            return Err(JwtRejection::Issuer);
        }
        if claim("sub") != Some(self.subject.as_str()) {
            return Err(JwtRejection::Subject);
        }
        if claim("aud").map(|a| a.trim_end_matches('/'))
            != Some(self.audience.trim_end_matches('/'))
        {
            return Err(JwtRejection::Audience);
        }
        let exp = parts.payload.get("exp").and_then(|v| v.as_i64()).ok_or(JwtRejection::Expired)?;
        let now = now_utc().timestamp();
        if exp <= now {
            return Err(JwtRejection::Expired);
        }
        // A few seconds of leeway for clock skew.
        if exp > now + self.max_lifetime.as_secs() as i64 + 5 {
            return Err(JwtRejection::TooLong);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use connector_core::http::{AssertionSigner, JwtClaims, RsaJwtSigner};
    use secrecy::{ExposeSecret, SecretString};

    // Throwaway test-only keys (openssl genpkey, 2048 bits); they protect nothing.
    const KEY: &str = include_str!("../../../connectors/salesforce/tests/cases/keys/test_key.pem");
    const PUBLIC: &str =
        include_str!("../../../connectors/salesforce/tests/cases/keys/test_key.pub.pem");
    const OTHER: &str =
        include_str!("../../../connectors/salesforce/tests/cases/keys/other_key.pem");

    fn sign(key: &str, claims: JwtClaims) -> String {
        let signer = RsaJwtSigner::from_pem(&SecretString::from(key), claims).unwrap();
        signer.assertion().unwrap().expose_secret().to_owned()
    }

    #[tokio::test(start_paused = true)]
    async fn checks_signature_claims_and_expiry() {
        let v = JwtVerifier::new(PUBLIC, "iss", "sub", "https://aud").unwrap();
        let good = JwtClaims::new("iss", "sub", "https://aud");
        let a = sign(KEY, good.clone());
        assert_eq!(v.verify(&a), Ok(()));
        assert_eq!(v.verify(&sign(OTHER, good.clone())), Err(JwtRejection::Signature));
        assert_eq!(
            v.verify(&sign(KEY, JwtClaims::new("x", "sub", "https://aud"))),
            Err(JwtRejection::Issuer)
        );
        assert_eq!(
            v.verify(&sign(KEY, JwtClaims::new("iss", "x", "https://aud"))),
            Err(JwtRejection::Subject)
        );
        assert_eq!(
            v.verify(&sign(KEY, JwtClaims::new("iss", "sub", "https://x"))),
            Err(JwtRejection::Audience)
        );
        assert_eq!(
            v.verify(&sign(KEY, good.clone().lifetime(Duration::from_secs(3600)))),
            Err(JwtRejection::TooLong)
        );
        // A tampered payload fails the signature.
        let mut parts: Vec<&str> = a.split('.').collect();
        let other = sign(KEY, JwtClaims::new("iss", "sub2", "https://aud"));
        parts[1] = other.split('.').nth(1).unwrap();
        assert_eq!(v.verify(&parts.join(".")), Err(JwtRejection::Signature));
        assert_eq!(v.verify("a.b"), Err(JwtRejection::Malformed));
        tokio::time::advance(Duration::from_secs(181)).await;
        assert_eq!(v.verify(&a), Err(JwtRejection::Expired));
        assert!(JwtVerifier::new(KEY, "i", "s", "a").is_none(), "a private key is no public key");
    }
}
