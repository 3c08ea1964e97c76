//! Rust code a mapping can call by name: validation predicates, value transforms, and
//! whole-record hooks. A few predicates are built in.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use serde_json::Value;

use crate::error::FieldFailure;

/// A validation predicate on a value's text.
pub type Predicate = Arc<dyn Fn(&str) -> bool + Send + Sync>;

/// A value transform: JSON in, JSON out (`null` = nothing), or a message why not.
pub type CustomTransform = Arc<dyn Fn(&Value) -> Result<Value, String> + Send + Sync>;

/// A hook on the whole record after the rules ran: the source and the target being built.
pub type Hook = Arc<dyn Fn(&Value, &mut Value) -> Result<(), FieldFailure> + Send + Sync>;

/// Named predicates and transforms a mapping may refer to.
#[derive(Clone)]
pub struct Functions {
    pub(crate) predicates: HashMap<String, Predicate>,
    pub(crate) transforms: HashMap<String, CustomTransform>,
}

impl fmt::Debug for Functions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut p: Vec<&String> = self.predicates.keys().collect();
        p.sort();
        let mut t: Vec<&String> = self.transforms.keys().collect();
        t.sort();
        f.debug_struct("Functions").field("predicates", &p).field("transforms", &t).finish()
    }
}

impl Default for Functions {
    fn default() -> Self {
        let mut f = Functions { predicates: HashMap::new(), transforms: HashMap::new() };
        f.add_predicate("email", is_email);
        f.add_predicate("gtin", is_gtin);
        f.add_predicate("fi_business_id", is_fi_business_id);
        f
    }
}

impl Functions {
    /// The built-in predicates (`email`, `gtin`, `fi_business_id`) and no transform.
    pub fn new() -> Self {
        Self::default()
    }

    /// Registers (or replaces) a predicate, used in files as `{ custom = "<name>" }`.
    pub fn add_predicate(
        &mut self,
        name: impl Into<String>,
        p: impl Fn(&str) -> bool + Send + Sync + 'static,
    ) {
        self.predicates.insert(name.into(), Arc::new(p));
    }

    /// Registers (or replaces) a transform, used in files as `{ op = "custom", name = "<name>" }`.
    pub fn add_transform(
        &mut self,
        name: impl Into<String>,
        t: impl Fn(&Value) -> Result<Value, String> + Send + Sync + 'static,
    ) {
        self.transforms.insert(name.into(), Arc::new(t));
    }

    /// The names of the registered predicates, sorted.
    pub fn predicate_names(&self) -> Vec<&str> {
        let mut v: Vec<&str> = self.predicates.keys().map(String::as_str).collect();
        v.sort_unstable();
        v
    }

    /// The names of the registered transforms, sorted.
    pub fn transform_names(&self) -> Vec<&str> {
        let mut v: Vec<&str> = self.transforms.keys().map(String::as_str).collect();
        v.sort_unstable();
        v
    }
}

/// A plausible e-mail address: one `@`, something before it, a dotted domain, no spaces.
pub fn is_email(s: &str) -> bool {
    let Some((local, domain)) = s.split_once('@') else { return false };
    !local.is_empty()
        && !domain.contains('@')
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !s.chars().any(char::is_whitespace)
}

/// An EAN/GTIN-8, -12, -13 or -14 with a valid check digit.
pub fn is_gtin(s: &str) -> bool {
    let b = s.as_bytes();
    if !matches!(b.len(), 8 | 12 | 13 | 14) || !b.iter().all(u8::is_ascii_digit) {
        return false;
    }
    let (body, check) = b.split_at(b.len() - 1);
    let sum: u32 = body
        .iter()
        .rev()
        .enumerate()
        .map(|(i, d)| u32::from(d - b'0') * if i % 2 == 0 { 3 } else { 1 })
        .sum();
    (10 - sum % 10) % 10 == u32::from(check[0] - b'0')
}

/// A Finnish business ID (Y-tunnus) `NNNNNNN-C` with a valid check digit: weights
/// 7, 9, 10, 5, 8, 4, 2; r = sum mod 11; r = 0 gives 0, r = 1 is invalid, else 11 − r.
pub fn is_fi_business_id(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() != 9 || b[7] != b'-' || !b[..7].iter().chain(&b[8..]).all(u8::is_ascii_digit) {
        return false;
    }
    const W: [u32; 7] = [7, 9, 10, 5, 8, 4, 2];
    let r: u32 = b[..7].iter().zip(W).map(|(d, w)| u32::from(d - b'0') * w).sum::<u32>() % 11;
    let check = match r {
        0 => 0,
        1 => return false,
        r => 11 - r,
    };
    u32::from(b[8] - b'0') == check
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_predicates() {
        assert!(is_email("a@b.fi"));
        assert!(!is_email("a@b"));
        assert!(!is_email("a b@c.fi"));
        assert!(!is_email("@c.fi"));
        assert!(is_gtin("4006381333931"));
        assert!(is_gtin("96385074"));
        assert!(!is_gtin("4006381333932"));
        assert!(!is_gtin("40063813339A1"));
        assert!(is_fi_business_id("1572860-0"));
        assert!(is_fi_business_id("0737546-2"));
        assert!(!is_fi_business_id("1572860-1"));
        assert!(!is_fi_business_id("157286-0"));
        let f = Functions::new();
        assert_eq!(f.predicate_names(), vec!["email", "fi_business_id", "gtin"]);
        assert!(f.transform_names().is_empty());
    }
}
