//! Which values had no mapping, and how often: kept in the compiled plan, touched only on a
//! miss, read and reset after a run.

use rustc_hash::FxHashMap;
use std::fmt;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

/// Counters of one value map.
#[derive(Debug, Default)]
pub(crate) struct Counters {
    lookups: AtomicU64,
    misses: Mutex<FxHashMap<String, u64>>,
}

impl Counters {
    pub fn hit(&self) {
        self.lookups.fetch_add(1, Ordering::Relaxed);
    }

    pub fn miss(&self, value: &str) {
        self.lookups.fetch_add(1, Ordering::Relaxed);
        let mut m = self.misses.lock().unwrap_or_else(|p| p.into_inner());
        match m.get_mut(value) {
            Some(n) => *n += 1,
            None => {
                m.insert(value.to_string(), 1);
            }
        }
    }

    pub fn lookups(&self) -> u64 {
        self.lookups.load(Ordering::Relaxed)
    }

    pub fn misses(&self) -> Vec<(String, u64)> {
        let m = self.misses.lock().unwrap_or_else(|p| p.into_inner());
        m.iter().map(|(k, v)| (k.clone(), *v)).collect()
    }

    pub fn reset(&self) {
        self.lookups.store(0, Ordering::Relaxed);
        self.misses.lock().unwrap_or_else(|p| p.into_inner()).clear();
    }
}

/// One value a map could not translate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Miss {
    /// The value map.
    pub map: String,
    /// The value it has no entry for.
    pub value: String,
    /// How many times it was looked up.
    pub count: u64,
    /// What the map did with it (`fail`, `quarantine`, `default "x"`, `pass`).
    pub policy: String,
}

/// Value-map coverage after a run: misses, most frequent first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CoverageReport {
    /// The entity the mapping reads (`orders`), for the wording.
    pub entity: String,
    /// Lookups per map.
    pub lookups: Vec<(String, u64)>,
    /// Values without a mapping.
    pub misses: Vec<Miss>,
}

impl CoverageReport {
    /// Whether every lookup found an entry.
    pub fn is_complete(&self) -> bool {
        self.misses.is_empty()
    }

    /// How often `value` missed in `map`.
    pub fn count(&self, map: &str, value: &str) -> u64 {
        self.misses.iter().filter(|m| m.map == map && m.value == value).map(|m| m.count).sum()
    }
}

impl fmt::Display for CoverageReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.misses.is_empty() {
            return write!(f, "every value-map lookup in {} found an entry", self.entity);
        }
        for (i, m) in self.misses.iter().enumerate() {
            if i > 0 {
                f.write_str("\n")?;
            }
            write!(
                f,
                "{} {} used {:?} (value map `{}`), which has no mapping; policy: {}",
                m.count, self.entity, m.value, m.map, m.policy
            )?;
        }
        Ok(())
    }
}
