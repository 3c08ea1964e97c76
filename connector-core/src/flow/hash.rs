//! Content hashes for the write ledger.

use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};

/// The hex SHA-256 (first 16 bytes) of a record's canonical JSON. Two records with the same
/// content always hash the same, so an unchanged record is never written twice.
pub fn content_hash<T: Serialize>(record: &T) -> Result<String> {
    let mut hasher = Sha256::new();
    serde_json::to_writer(HashWriter(&mut hasher), record)
        .map_err(|e| Error::internal(format!("cannot serialise record for hashing: {e}")))?;
    let digest = hasher.finalize();
    Ok(hex(&digest[..16]))
}

/// A deterministic idempotency key for a write: the same flow, key and content give the same
/// key, so a target that deduplicates (Xero) ignores a repeated send.
pub fn idempotency_key(flow: &str, key: &str, hash: &str) -> String {
    let mut hasher = Sha256::new();
    hasher.update(flow.as_bytes());
    hasher.update([0]);
    hasher.update(key.as_bytes());
    hasher.update([0]);
    hasher.update(hash.as_bytes());
    hex(&hasher.finalize()[..16])
}

fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(DIGITS[(b >> 4) as usize] as char);
        s.push(DIGITS[(b & 15) as usize] as char);
    }
    s
}

struct HashWriter<'a>(&'a mut Sha256);

impl std::io::Write for HashWriter<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.update(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_content_same_hash() {
        let a = serde_json::json!({"a": 1, "b": "x"});
        let b = serde_json::json!({"a": 1, "b": "x"});
        let c = serde_json::json!({"a": 2, "b": "x"});
        assert_eq!(content_hash(&a).unwrap(), content_hash(&b).unwrap());
        assert_ne!(content_hash(&a).unwrap(), content_hash(&c).unwrap());
        assert_eq!(content_hash(&a).unwrap().len(), 32);
    }

    #[test]
    fn idempotency_key_is_deterministic() {
        assert_eq!(idempotency_key("f", "k", "h"), idempotency_key("f", "k", "h"));
        assert_ne!(idempotency_key("f", "k", "h"), idempotency_key("f", "k2", "h"));
    }
}
