//! The contract every [`Sink`] keeps, as a suite any connector (ours or a third party's) runs
//! against its own sink with a few records it accepts:
//! `assert_sink_contract(&sink, records).await`.

use std::collections::HashMap;

use connector_core::model::Entity;
use connector_core::sink::{
    Outcome, Sink, WriteAction, WriteOutcome, WriteRequest, default_lookup,
};

/// What the suite's writes came to.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SinkRun {
    /// Records the first write created.
    pub created: usize,
    /// Records a retry of the same requests answered (any outcome but failed).
    pub retried: usize,
    /// Records found again by their natural key after the writes (`can_find` sinks).
    pub found: usize,
    /// Records updated through their target id.
    pub updated: usize,
    /// Records deactivated (`can_deactivate` sinks).
    pub deactivated: usize,
}

/// Checks the contract with `records` (valid records the sink accepts, with distinct
/// natural keys) and lists every breach (empty when the sink keeps it):
/// - its capabilities name its entity and allow at least one record per batch and one call at
///   a time, and a sink that finds names its natural-key field;
/// - its connection test passes;
/// - every `write` answers exactly one outcome per request, matched by key, none for a key it
///   was not given; the records are written as creates in batches of at most `max_batch`,
///   and none fails; a created, updated or unchanged record names its target id;
/// - a retry of the same requests (the first answers lost) creates nothing twice: a sink
///   that deduplicates writes (`idempotent_writes`) answers the first write's target ids, and
///   a sink that finds answers each record's natural key with the first write's target id
///   after the retry (a sink that does neither relies on the flow's ledger, which this suite
///   does not run);
/// - an update through the target id is not a create and keeps the id;
/// - a sink that deactivates deactivates (or knowingly skips) a record by its target id.
pub async fn check_sink_contract<E: Entity>(
    sink: &dyn Sink<E>,
    records: Vec<E>,
) -> (SinkRun, Vec<String>) {
    let mut run = SinkRun::default();
    let mut breaches = Vec::new();
    let name = sink.name().to_owned();
    let caps = sink.capabilities();
    if caps.entity != E::KIND {
        breaches.push(format!("{name}: capabilities name {}, not {}", caps.entity, E::KIND));
    }
    if caps.max_batch == 0 || caps.max_concurrency == 0 {
        breaches.push(format!("{name}: max_batch and max_concurrency must be at least 1"));
    }
    if caps.can_find && caps.natural_key.is_empty() {
        breaches.push(format!("{name}: it finds, but names no natural-key field"));
    }
    if let Err(e) = sink.check().await {
        breaches.push(format!("{name}: the connection test failed: {e}"));
    }
    let mut keyed = Vec::with_capacity(records.len());
    for record in records {
        match record.key().map(|k| k.into_owned()) {
            Some(key) => keyed.push((key, record)),
            None => breaches.push(format!("{name}: a sample record has no natural key")),
        }
    }
    if keyed.is_empty() || !breaches.is_empty() {
        return (run, breaches);
    }
    let creates: Vec<WriteRequest<E>> = keyed
        .iter()
        .map(|(key, record)| request(&name, key, None, WriteAction::Upsert(record.clone())))
        .collect();

    // Creates, in batches the sink takes.
    let first =
        write_all(sink, &creates, caps.max_batch.max(1), "the first write", &mut breaches).await;
    run.created = first.values().filter(|o| matches!(o, Outcome::Created { .. })).count();
    let ids: HashMap<String, String> = first
        .iter()
        .filter_map(|(k, o)| o.target_id().map(|id| (k.clone(), id.to_owned())))
        .collect();
    for (key, outcome) in &first {
        let names_id = outcome.target_id().is_some();
        if matches!(
            outcome,
            Outcome::Created { .. } | Outcome::Updated { .. } | Outcome::Unchanged { .. }
        ) && !names_id
        {
            breaches.push(format!("{name}: `{key}` was {} without a target id", outcome.as_str()));
        }
    }

    // The same requests again, as a retry after lost answers.
    let again = write_all(sink, &creates, caps.max_batch.max(1), "the retry", &mut breaches).await;
    run.retried = again.values().filter(|o| o.is_success()).count();
    if caps.idempotent_writes {
        for (key, outcome) in &again {
            let (before, now) = (ids.get(key).map(String::as_str), outcome.target_id());
            if now.is_some() && now != before {
                breaches.push(format!(
                    "{name}: the retry of `{key}` answered target id {now:?}, the first write \
                     {before:?}: it deduplicates writes, so a retry must not create anew"
                ));
            }
        }
    }
    if caps.can_find {
        for (key, record) in &keyed {
            let Some(lookup) = default_lookup(record, &caps.natural_key, key) else {
                breaches.push(format!(
                    "{name}: the sample `{key}` has no {} to find it by",
                    caps.natural_key
                ));
                continue;
            };
            match sink.find(&lookup).await {
                Ok(Some(found)) if found.answers(&lookup) => {
                    run.found += 1;
                    if let Some(id) = ids.get(key).filter(|id| **id != found.target_id) {
                        breaches.push(format!(
                            "{name}: `{key}` is found as {}, but was written as {id}: the \
                             retry created it twice",
                            found.target_id
                        ));
                    }
                }
                Ok(Some(found)) => breaches.push(format!(
                    "{name}: find({}={key}) answered a record whose {} is `{}`",
                    lookup.field, lookup.field, found.matched
                )),
                Ok(None) => breaches.push(format!(
                    "{name}: find({}={key}) answered nothing after the write",
                    lookup.field
                )),
                Err(e) => {
                    breaches.push(format!("{name}: find({}={key}) failed: {e}", lookup.field))
                }
            }
        }
    }

    // An update through the target id of the first record.
    let Some((key, record)) = keyed.first() else { return (run, breaches) };
    let Some(id) = ids.get(key) else { return (run, breaches) };
    let update = request(&name, key, Some(id), WriteAction::Upsert(record.clone()));
    let updated = write_all(sink, &[update], 1, "the update", &mut breaches).await;
    match updated.get(key) {
        Some(Outcome::Created { target_id }) => breaches.push(format!(
            "{name}: an update of `{key}` through its target id {id} created {target_id}"
        )),
        Some(o) if o.target_id().is_some_and(|t| t != id) => breaches.push(format!(
            "{name}: an update of `{key}` answered target id {:?}, not {id}",
            o.target_id()
        )),
        Some(o) if o.is_success() => run.updated += 1,
        _ => {}
    }
    if caps.can_deactivate {
        let deactivate = request(&name, key, Some(id), WriteAction::Deactivate);
        let done = write_all(sink, &[deactivate], 1, "the deactivation", &mut breaches).await;
        match done.get(key) {
            Some(Outcome::Deactivated { .. } | Outcome::Skipped { .. }) => run.deactivated += 1,
            Some(Outcome::Failed { .. }) | None => {}
            Some(other) => breaches
                .push(format!("{name}: a deactivation of `{key}` answered {}", other.as_str())),
        }
    }
    (run, breaches)
}

/// [`check_sink_contract`], panicking with every breach.
pub async fn assert_sink_contract<E: Entity>(sink: &dyn Sink<E>, records: Vec<E>) -> SinkRun {
    let (run, breaches) = check_sink_contract(sink, records).await;
    assert!(breaches.is_empty(), "the sink breaks its contract:\n{}", breaches.join("\n"));
    run
}

fn request<E>(
    sink: &str,
    key: &str,
    target_id: Option<&str>,
    action: WriteAction<E>,
) -> WriteRequest<E> {
    let what = if matches!(action, WriteAction::Deactivate) { "deactivate" } else { "upsert" };
    WriteRequest {
        key: key.to_owned(),
        target_id: target_id.map(str::to_owned),
        action,
        // The same request always carries the same key, as the flow's do.
        idempotency_key: format!("contract:{sink}:{key}:{what}:{}", target_id.unwrap_or("new")),
        is_create: target_id.is_none(),
    }
}

/// Writes `requests` in batches of at most `max_batch`, checking each batch answers exactly
/// its keys and that none failed; the outcome of each key answered once.
async fn write_all<E: Entity>(
    sink: &dyn Sink<E>,
    requests: &[WriteRequest<E>],
    max_batch: usize,
    what: &str,
    breaches: &mut Vec<String>,
) -> HashMap<String, Outcome> {
    let name = sink.name();
    let mut outcomes = HashMap::new();
    for batch in requests.chunks(max_batch) {
        let answers: Vec<WriteOutcome> = match sink.write(batch.to_vec()).await {
            Ok(answers) => answers,
            Err(e) => {
                breaches.push(format!("{name}: {what} failed as a whole: {e}"));
                continue;
            }
        };
        let mut answered: HashMap<String, usize> = HashMap::new();
        for answer in answers {
            *answered.entry(answer.key.clone()).or_default() += 1;
            if !batch.iter().any(|r| r.key == answer.key) {
                breaches.push(format!("{name}: {what} answered `{}`, a key not in it", answer.key));
                continue;
            }
            if let Outcome::Failed { error } = &answer.outcome {
                breaches.push(format!("{name}: {what} failed `{}`: {error}", answer.key));
            }
            outcomes.insert(answer.key, answer.outcome);
        }
        for r in batch {
            match answered.get(&r.key).copied().unwrap_or(0) {
                1 => {}
                0 => breaches.push(format!("{name}: {what} answered nothing for `{}`", r.key)),
                n => breaches.push(format!("{name}: {what} answered `{}` {n} times", r.key)),
            }
        }
    }
    outcomes
}

#[cfg(test)]
mod tests {
    use connector_core::memory::MemorySink;
    use connector_core::model::Customer;

    use super::*;

    fn customers(n: usize) -> Vec<Customer> {
        (1..=n)
            .map(|i| Customer {
                number: Some(format!("C-{i}")),
                name: Some(format!("Customer {i}")),
                ..Default::default()
            })
            .collect()
    }

    #[tokio::test]
    async fn the_memory_sink_keeps_the_contract() {
        let sink = MemorySink::<Customer>::new("mem");
        let run = assert_sink_contract(&sink, customers(3)).await;
        assert_eq!(run.created, 3);
        assert_eq!(run.retried, 3);
        assert_eq!(run.updated, 1);
    }
}
