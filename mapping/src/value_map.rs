//! Value maps: named translation tables (payment terms, sales-rep code → user, VAT codes,
//! units, warehouses, countries) with a policy for values they do not know.

use rustc_hash::FxHashMap;

use crate::countries::{COUNTRIES, enum_name};
use crate::coverage::Counters;
use crate::spec::{Builtin, Unmapped, ValueMapSpec};

/// How keys are compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Norm {
    Exact,
    IgnoreCase,
    /// Upper-cased, non-alphanumerics folded to `_` (country names in any spelling).
    EnumName,
}

/// A compiled value map.
#[derive(Debug)]
pub struct ValueMap {
    name: String,
    /// FxHash: the keys are short codes, and the table is fixed when the plan is built.
    table: FxHashMap<String, String>,
    norm: Norm,
    unmapped: Unmapped,
    pub(crate) counters: Counters,
}

/// What a lookup decided.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Looked<'m> {
    /// The mapped value (or the policy's default).
    Value(&'m str),
    /// Policy `pass`: keep the input.
    Pass,
    /// Policy `fail`.
    Fail,
    /// Policy `quarantine`.
    Quarantine,
}

impl ValueMap {
    /// Compiles a map from its spec.
    pub(crate) fn new(spec: &ValueMapSpec) -> ValueMap {
        let mut table = FxHashMap::default();
        let norm = match spec.builtin {
            Some(Builtin::CountryToIso) => Norm::EnumName,
            _ if spec.ignore_case => Norm::IgnoreCase,
            Some(_) => Norm::IgnoreCase,
            None => Norm::Exact,
        };
        match spec.builtin {
            Some(Builtin::CountryIsoToName) => {
                for (code, name) in COUNTRIES {
                    table.insert(code.to_ascii_lowercase(), (*name).to_string());
                }
            }
            Some(Builtin::CountryIsoToEnum) => {
                for (code, name) in COUNTRIES {
                    table.insert(code.to_ascii_lowercase(), enum_name(name));
                }
            }
            Some(Builtin::CountryToIso) => {
                for (code, name) in COUNTRIES {
                    table.insert(enum_name(name), (*code).to_string());
                    table.insert((*code).to_string(), (*code).to_string());
                }
            }
            None => {}
        }
        let mut map = ValueMap {
            name: spec.name.clone(),
            table,
            norm,
            unmapped: spec.unmapped.clone(),
            counters: Counters::default(),
        };
        for (k, v) in &spec.entries {
            let key = map.normalize(k).into_owned();
            map.table.insert(key, v.clone());
        }
        map
    }

    /// The map's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// How many entries it has.
    pub fn len(&self) -> usize {
        self.table.len()
    }

    /// Whether it has no entry.
    pub fn is_empty(&self) -> bool {
        self.table.is_empty()
    }

    /// The policy for unmapped values.
    pub fn unmapped(&self) -> &Unmapped {
        &self.unmapped
    }

    /// The entry for `key`, without counting or applying the policy.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.table.get(&*self.normalize(key)).map(String::as_str)
    }

    fn normalize<'k>(&self, key: &'k str) -> std::borrow::Cow<'k, str> {
        use std::borrow::Cow;
        match self.norm {
            Norm::Exact => Cow::Borrowed(key),
            Norm::IgnoreCase => {
                if key.bytes().any(|b| b.is_ascii_uppercase()) || !key.is_ascii() {
                    Cow::Owned(key.to_lowercase())
                } else {
                    Cow::Borrowed(key)
                }
            }
            Norm::EnumName => Cow::Owned(enum_name(key)),
        }
    }

    /// Looks `key` up, counting misses and applying the policy.
    pub(crate) fn lookup(&self, key: &str) -> Looked<'_> {
        if let Some(v) = self.get(key) {
            self.counters.hit();
            return Looked::Value(v);
        }
        self.counters.miss(key);
        match &self.unmapped {
            Unmapped::Fail => Looked::Fail,
            Unmapped::Quarantine => Looked::Quarantine,
            Unmapped::Pass => Looked::Pass,
            Unmapped::Default(d) => Looked::Value(d),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(unmapped: Unmapped) -> ValueMapSpec {
        ValueMapSpec::new("reps").entry("JV", "jan@example.com").unmapped(unmapped)
    }

    #[test]
    fn policies_on_a_miss() {
        assert_eq!(ValueMap::new(&spec(Unmapped::Fail)).lookup("XX"), Looked::Fail);
        assert_eq!(ValueMap::new(&spec(Unmapped::Quarantine)).lookup("XX"), Looked::Quarantine);
        assert_eq!(ValueMap::new(&spec(Unmapped::Pass)).lookup("XX"), Looked::Pass);
        let m = ValueMap::new(&spec(Unmapped::Default("house".into())));
        assert_eq!(m.lookup("XX"), Looked::Value("house"));
        assert_eq!(m.lookup("JV"), Looked::Value("jan@example.com"));
        assert_eq!(m.counters.lookups(), 2);
        assert_eq!(m.counters.misses(), vec![("XX".to_string(), 1)]);
        m.counters.reset();
        assert_eq!(m.counters.lookups(), 0);
        assert!(m.counters.misses().is_empty());
    }

    #[test]
    fn case_and_builtins() {
        let m = ValueMap::new(&spec(Unmapped::Fail));
        assert_eq!(m.get("jv"), None);
        let m = ValueMap::new(&spec(Unmapped::Fail).ignore_case(true));
        assert_eq!(m.get("jv"), Some("jan@example.com"));

        let to_enum = ValueMap::new(&ValueMapSpec::new("c").builtin(Builtin::CountryIsoToEnum));
        assert_eq!(to_enum.get("FI"), Some("FINLAND"));
        assert_eq!(to_enum.get("gb"), Some("UNITED_KINGDOM_OF_GREAT_BRITAIN_AND_NORTHERN_IRELAND"));
        let to_name = ValueMap::new(&ValueMapSpec::new("c").builtin(Builtin::CountryIsoToName));
        assert_eq!(to_name.get("SE"), Some("Sweden"));
        let to_iso = ValueMap::new(&ValueMapSpec::new("c").builtin(Builtin::CountryToIso));
        assert_eq!(to_iso.get("FINLAND"), Some("FI"));
        assert_eq!(to_iso.get("Finland"), Some("FI"));
        assert_eq!(to_iso.get("FI"), Some("FI"));
        assert_eq!(to_iso.get("Atlantis"), None);
        // Entries override the built-in table.
        let over = ValueMap::new(
            &ValueMapSpec::new("c")
                .builtin(Builtin::CountryIsoToEnum)
                .entry("GB", "UNITED_KINGDOM"),
        );
        assert_eq!(over.get("GB"), Some("UNITED_KINGDOM"));
    }
}
