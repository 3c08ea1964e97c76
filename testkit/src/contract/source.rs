//! The contract every [`Source`] keeps, as a suite any connector (ours or a third party's)
//! runs against its own source: `assert_source_contract(&source).await`.

use futures_util::StreamExt;

use connector_core::model::Entity;
use connector_core::source::{Change, ChangeDetection, ReadMode, Source};

/// What a full read and a changes read from its last checkpoint delivered.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SourceRun {
    /// Upserts in the full read.
    pub upserts: usize,
    /// Rejected records in the full read.
    pub rejected: usize,
    /// Checkpoints in the full read.
    pub checkpoints: usize,
    /// Upserts in the changes read from the full read's last checkpoint.
    pub changes_upserts: usize,
}

/// Checks the contract and lists every breach (empty when the source keeps it):
/// - its capabilities name its entity;
/// - a full read ends without an error, with exactly one `SnapshotComplete` (at most one for
///   a `Ledger` source, a queue of documents) and no upsert, delete or rejection after it;
///   every upsert has a natural key;
/// - a source that detects changes reads changes from the full read's last checkpoint without
///   an error, claims no snapshot there, and delivers no more upserts than the full read did
///   (nothing changed in between).
pub async fn check_source_contract<E: Entity>(source: &dyn Source<E>) -> (SourceRun, Vec<String>) {
    let mut run = SourceRun::default();
    let mut breaches = Vec::new();
    let name = source.name().to_owned();
    let caps = source.capabilities();
    if caps.entity != E::KIND {
        breaches.push(format!("{name}: capabilities name {}, not {}", caps.entity, E::KIND));
    }
    let mut snapshot_seen = 0;
    let mut last_cursor = None;
    let mut stream = source.read(ReadMode::Full);
    while let Some(item) = stream.next().await {
        let late = snapshot_seen > 0;
        match item {
            Err(e) => {
                breaches.push(format!("{name}: the full read failed: {e}"));
                break;
            }
            Ok(Change::Upsert(r)) => {
                run.upserts += 1;
                if r.key().is_none() {
                    breaches.push(format!("{name}: an upsert without a natural key: {r:?}"));
                }
                if late {
                    breaches.push(format!("{name}: an upsert after SnapshotComplete"));
                }
            }
            Ok(Change::Delete { key }) if late => {
                breaches.push(format!("{name}: a delete of {key} after SnapshotComplete"));
            }
            Ok(Change::Delete { .. }) => {}
            Ok(Change::Rejected(r)) => {
                run.rejected += 1;
                if late {
                    breaches.push(format!("{name}: a rejection after SnapshotComplete: {r:?}"));
                }
            }
            Ok(Change::Checkpoint(c)) => {
                run.checkpoints += 1;
                last_cursor = Some(c);
            }
            Ok(Change::SnapshotComplete) => snapshot_seen += 1,
        }
    }
    drop(stream);
    // A source that hands out what it has not handed out before (`Ledger`: a queue of
    // documents) may not know a snapshot; every other one ends its full read with one.
    let queue = caps.changes == ChangeDetection::Ledger;
    if snapshot_seen > 1 || (snapshot_seen == 0 && !queue) {
        breaches.push(format!("{name}: a full read said SnapshotComplete {snapshot_seen} times"));
    }
    if caps.changes != ChangeDetection::None {
        let mut stream = source.read(ReadMode::Changes { since: last_cursor });
        while let Some(item) = stream.next().await {
            match item {
                Err(e) => {
                    breaches.push(format!("{name}: the changes read failed: {e}"));
                    break;
                }
                Ok(Change::Upsert(_)) => run.changes_upserts += 1,
                Ok(Change::SnapshotComplete) => {
                    breaches.push(format!("{name}: a changes read claimed a full snapshot"));
                }
                Ok(_) => {}
            }
        }
        if run.changes_upserts > run.upserts {
            breaches.push(format!(
                "{name}: the changes read from the last checkpoint delivered {} upserts, more \
                 than the full read's {}",
                run.changes_upserts, run.upserts
            ));
        }
    }
    (run, breaches)
}

/// [`check_source_contract`], panicking with every breach.
pub async fn assert_source_contract<E: Entity>(source: &dyn Source<E>) -> SourceRun {
    let (run, breaches) = check_source_contract(source).await;
    assert!(breaches.is_empty(), "the source breaks its contract:\n{}", breaches.join("\n"));
    run
}

#[cfg(test)]
mod tests {
    use super::*;
    use connector_core::memory::IterSource;
    use connector_core::model::Customer;

    fn customer(n: &str) -> Customer {
        Customer { number: Some(n.into()), name: Some(n.into()), ..Default::default() }
    }

    #[tokio::test]
    async fn an_in_memory_source_keeps_it() {
        let source = IterSource::from_vec("mem", vec![customer("C-1"), customer("C-2")]);
        let run = assert_source_contract(&source).await;
        assert_eq!(run.upserts, 2);
    }

    #[tokio::test]
    async fn a_keyless_record_is_a_breach() {
        let source = IterSource::from_vec("mem", vec![Customer::default()]);
        let (_, breaches) = check_source_contract(&source).await;
        assert!(breaches.iter().any(|b| b.contains("without a natural key")), "{breaches:?}");
    }
}
