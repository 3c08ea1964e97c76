//! Content hashes for the write ledger.

use serde::Serialize;

use crate::error::{Error, Result};

/// The hex XXH3-128 of a record's canonical JSON. Two records with the same content always
/// hash the same (the function and the serialisation are stable across releases), so an
/// unchanged record is never written twice. Change detection needs no cryptographic strength;
/// the hash runs once per record and must not cost more than the record's JSON.
pub fn content_hash<T: Serialize>(record: &T) -> Result<String> {
    with_json(record, |json| hex(&xxhash_rust::xxh3::xxh3_128(json).to_be_bytes()))
}

/// The content hash and the JSON it was taken of.
pub(crate) fn content_hash_json<T: Serialize>(record: &T) -> Result<(String, String)> {
    // Written into the reused buffer, then copied once into a string of the exact size.
    with_json(record, |json| {
        let hash = hex(&xxhash_rust::xxh3::xxh3_128(json).to_be_bytes());
        let json = String::from_utf8(json.to_vec())
            .map_err(|e| Error::internal(format!("record JSON is not UTF-8: {e}")))?;
        Ok((hash, json))
    })?
}

fn with_json<T: Serialize, R>(record: &T, f: impl FnOnce(&[u8]) -> R) -> Result<R> {
    thread_local! {
        static BUF: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
    }
    BUF.with(|buf| {
        let mut buf = buf.borrow_mut();
        buf.clear();
        serde_json::to_writer(&mut *buf, record)
            .map_err(|e| Error::internal(format!("cannot serialise record for hashing: {e}")))?;
        let out = f(&buf);
        if buf.capacity() > 1 << 20 {
            *buf = Vec::new();
        }
        Ok(out)
    })
}

/// A deterministic idempotency key for a write: the same flow, key and content give the same
/// key, so a target that deduplicates (Xero) ignores a repeated send. 32 hex characters.
pub fn idempotency_key(flow: &str, key: &str, hash: &str) -> String {
    // Length-prefixed parts in one buffer, hashed in one call (the same bytes a streaming
    // hasher would see).
    let mut buf = Vec::with_capacity(24 + flow.len() + key.len() + hash.len());
    for part in [flow, key, hash] {
        buf.extend_from_slice(&(part.len() as u64).to_le_bytes());
        buf.extend_from_slice(part.as_bytes());
    }
    hex(&xxhash_rust::xxh3::xxh3_128(&buf).to_be_bytes())
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
