//! Sealing secrets at rest: ChaCha20-Poly1305 with a 256-bit key from the environment
//! ([`STATE_KEY_ENV`]). A sealed value reads `sealed:v1:<base64 of nonce and ciphertext>`;
//! without a key, secrets are stored as given (as a token file would hold them).

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use ring::aead::{Aad, CHACHA20_POLY1305, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use ring::rand::{SecureRandom, SystemRandom};

use crate::error::{Error, Result};

/// The variable that holds the state key: 64 hex digits (32 bytes).
pub const STATE_KEY_ENV: &str = "CONNECTOR_STATE_KEY";

const PREFIX: &str = "sealed:v1:";

/// Seals and opens secrets with one key. `Debug` shows no key material.
pub struct Sealer {
    key: LessSafeKey,
}

impl fmt::Debug for Sealer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Sealer(..)")
    }
}

impl Sealer {
    /// A sealer with a 32-byte key.
    pub fn new(key: &[u8; 32]) -> Self {
        let key = UnboundKey::new(&CHACHA20_POLY1305, key).expect("a 32-byte ChaCha20 key");
        Self { key: LessSafeKey::new(key) }
    }

    /// A sealer with a fresh random key, for state that lives only as long as the process
    /// (a demo, a test): what it seals cannot be opened by another process.
    pub fn ephemeral() -> Result<Self> {
        let mut key = [0u8; 32];
        SystemRandom::new()
            .fill(&mut key)
            .map_err(|_| Error::internal("no randomness for a sealing key"))?;
        Ok(Self::new(&key))
    }

    /// The sealer of [`STATE_KEY_ENV`], `None` when it is unset or empty.
    pub fn from_env() -> Result<Option<Self>> {
        match std::env::var(STATE_KEY_ENV) {
            Ok(v) if !v.trim().is_empty() => Self::from_hex(v.trim()).map(Some),
            _ => Ok(None),
        }
    }

    /// A sealer from 64 hex digits.
    pub fn from_hex(hex: &str) -> Result<Self> {
        let bad = || Error::config(format!("{STATE_KEY_ENV} must be 64 hex digits (32 bytes)"));
        if hex.len() != 64 || !hex.is_ascii() {
            return Err(bad());
        }
        let mut key = [0u8; 32];
        for (i, byte) in key.iter_mut().enumerate() {
            *byte = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).map_err(|_| bad())?;
        }
        Ok(Self::new(&key))
    }

    /// `plain`, sealed under a fresh random nonce.
    pub fn seal(&self, plain: &str) -> Result<String> {
        let mut nonce = [0u8; NONCE_LEN];
        SystemRandom::new()
            .fill(&mut nonce)
            .map_err(|_| Error::internal("no randomness for sealing a secret"))?;
        let mut data = plain.as_bytes().to_vec();
        self.key
            .seal_in_place_append_tag(Nonce::assume_unique_for_key(nonce), Aad::empty(), &mut data)
            .map_err(|_| Error::internal("sealing a secret failed"))?;
        let mut out = nonce.to_vec();
        out.extend_from_slice(&data);
        Ok(format!("{PREFIX}{}", B64.encode(out)))
    }

    /// The text of a sealed value; fails when it was sealed with another key or altered.
    pub fn open(&self, sealed: &str) -> Result<String> {
        let wrong = || {
            Error::config(format!(
                "a stored secret does not open with {STATE_KEY_ENV}: it was sealed with another \
                 key or altered"
            ))
        };
        let body = sealed.strip_prefix(PREFIX).ok_or_else(wrong)?;
        let data = B64.decode(body).map_err(|_| wrong())?;
        if data.len() < NONCE_LEN {
            return Err(wrong());
        }
        let (nonce, rest) = data.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| wrong())?;
        let mut rest = rest.to_vec();
        let plain = self.key.open_in_place(nonce, Aad::empty(), &mut rest).map_err(|_| wrong())?;
        String::from_utf8(plain.to_vec()).map_err(|_| wrong())
    }
}

/// A stored value's text: opened with `sealer` when sealed, as stored when not. A sealed
/// value without a sealer is an error naming [`STATE_KEY_ENV`].
pub fn unseal(sealer: Option<&Sealer>, stored: &str) -> Result<String> {
    if !stored.starts_with(PREFIX) {
        return Ok(stored.to_owned());
    }
    match sealer {
        Some(s) => s.open(stored),
        None => Err(Error::config(format!(
            "a stored secret is sealed: set {STATE_KEY_ENV} to the key it was sealed with"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";

    #[test]
    fn sealed_text_opens_with_its_key_only() {
        let s = Sealer::from_hex(KEY).unwrap();
        let sealed = s.seal("refresh-me").unwrap();
        assert!(sealed.starts_with(PREFIX) && !sealed.contains("refresh-me"), "{sealed}");
        assert_ne!(sealed, s.seal("refresh-me").unwrap(), "a fresh nonce each time");
        assert_eq!(s.open(&sealed).unwrap(), "refresh-me");
        assert_eq!(unseal(Some(&s), &sealed).unwrap(), "refresh-me");
        let other = Sealer::new(&[7; 32]);
        assert!(other.open(&sealed).unwrap_err().message().contains("another key"));
        let err = unseal(None, &sealed).unwrap_err();
        assert!(err.message().contains(STATE_KEY_ENV), "{err}");
        assert_eq!(unseal(None, "{\"plain\":1}").unwrap(), "{\"plain\":1}");
        assert_eq!(format!("{s:?}"), "Sealer(..)");
    }

    #[test]
    fn a_key_is_64_hex_digits() {
        assert!(Sealer::from_hex("abc").is_err());
        assert!(Sealer::from_hex(&"zz".repeat(32)).is_err());
    }
}
