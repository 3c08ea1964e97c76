//! `read`, `write` and `check`.

use std::path::Path;
use std::process::ExitCode;

use connector_sdk::flow::{content_hash, idempotency_key};
use connector_sdk::registry::{self, Options};
use connector_sdk::system::Registry;
use connector_sdk::{
    Change, Cursor, Entity, EntityKind, Error, LookupKey, Outcome, ReadMode, Result, WriteAction,
    WriteOutcome, WriteRequest, with_entity,
};
use futures_util::StreamExt;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

/// Parses an entity name; `quotes` reads orders of kind quote.
pub fn entity_kind(name: &str) -> Result<EntityKind> {
    let name = if name.eq_ignore_ascii_case("quotes") { "orders" } else { name };
    EntityKind::parse(name).ok_or_else(|| {
        Error::config(format!(
            "unknown entity `{name}`; known: {}, quotes",
            EntityKind::ALL.map(|k| k.as_str()).join(", ")
        ))
    })
}

/// How much output gathers before it is written.
const OUT_BUFFER: usize = 64 * 1024;

/// Writes to stdout; a closed pipe (`connector read ... | head`) ends the program quietly.
async fn emit(out: &mut tokio::io::Stdout, bytes: &[u8]) -> Result<()> {
    match out.write_all(bytes).await {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => std::process::exit(0),
        other => Ok(other?),
    }
}

pub async fn read(
    state: &Path,
    system: &str,
    entity: &str,
    full: bool,
    since: Option<String>,
    options: Options,
) -> Result<ExitCode> {
    let kind = entity_kind(entity)?;
    let systems = registry::with_state(crate::state::open(state)?)?;
    with_entity!(kind, E => read_entity::<E>(&systems, system, full, since, &options).await)
}

async fn read_entity<E: Entity>(
    systems: &Registry,
    system: &str,
    full: bool,
    since: Option<String>,
    options: &Options,
) -> Result<ExitCode> {
    let source = systems.source::<E>(system, options)?;
    let mode =
        if full { ReadMode::Full } else { ReadMode::Changes { since: since.map(Cursor::new) } };
    let mut stream = source.read(mode);
    let mut stdout = tokio::io::stdout();
    // Lines gather in one buffer written out 64 KiB at a time: tokio's stdout hands every
    // write to a blocking thread, so a write per record cost more system time than the
    // whole read.
    let mut out = Vec::with_capacity(OUT_BUFFER + 4096);
    let mut cursor: Option<Cursor> = None;
    let mut rejected = 0u64;
    while let Some(change) = stream.next().await {
        match change? {
            Change::Upsert(record) => {
                serde_json::to_writer(&mut out, &record)?;
                out.push(b'\n');
                if out.len() >= OUT_BUFFER {
                    emit(&mut stdout, &out).await?;
                    out.clear();
                }
            }
            Change::Delete { key } => eprintln!("deleted: {key}"),
            Change::Checkpoint(c) => cursor = Some(c),
            Change::SnapshotComplete => {}
            Change::Rejected(r) => {
                rejected += 1;
                eprintln!("rejected: {}", r.error);
            }
        }
    }
    emit(&mut stdout, &out).await?;
    stdout.flush().await?;
    if rejected > 0 {
        eprintln!("{rejected} records rejected");
    }
    eprintln!("cursor: {}", cursor.map(|c| c.0).unwrap_or_default());
    for (system, c) in &connector_sdk::http::stats::totals() {
        eprintln!("{}", crate::output::calls_line(system, c));
    }
    Ok(if rejected > 0 { ExitCode::from(2) } else { ExitCode::SUCCESS })
}

pub async fn write(
    state: &Path,
    system: &str,
    entity: &str,
    dry_run: bool,
    options: Options,
) -> Result<ExitCode> {
    let kind = entity_kind(entity)?;
    let systems = registry::with_state(crate::state::open(state)?)?;
    with_entity!(kind, E => write_entity::<E>(&systems, system, dry_run, &options).await)
}

async fn write_entity<E: Entity>(
    systems: &Registry,
    system: &str,
    dry_run: bool,
    options: &Options,
) -> Result<ExitCode> {
    let sink = systems.sink::<E>(system, options)?;
    let caps = sink.capabilities();
    let mut lines = BufReader::new(tokio::io::stdin()).lines();
    let mut stdout = tokio::io::stdout();
    let mut batch: Vec<WriteRequest<E>> = Vec::new();
    let mut failed = 0u64;
    let mut line_no = 0u64;
    loop {
        let line = lines.next_line().await?;
        let done = line.is_none();
        if let Some(line) = line {
            line_no += 1;
            if line.trim().is_empty() {
                continue;
            }
            match serde_json::from_str::<E>(&line) {
                Ok(record) => match record.key().map(|k| k.into_owned()) {
                    Some(key) => {
                        let hash = content_hash(&record)?;
                        batch.push(WriteRequest {
                            idempotency_key: idempotency_key("cli-write", &key, &hash),
                            key,
                            target_id: None,
                            action: WriteAction::Upsert(record),
                            is_create: true,
                        });
                    }
                    None => {
                        failed += 1;
                        let e = Error::invalid_field("key", "record has no natural key")
                            .with_record(format!("line {line_no}"));
                        print(
                            &mut stdout,
                            &WriteOutcome::new(
                                format!("line {line_no}"),
                                Outcome::Failed { error: e },
                            ),
                        )
                        .await?;
                    }
                },
                Err(e) => {
                    failed += 1;
                    let e = Error::decode(e.to_string()).with_record(format!("line {line_no}"));
                    print(
                        &mut stdout,
                        &WriteOutcome::new(format!("line {line_no}"), Outcome::Failed { error: e }),
                    )
                    .await?;
                }
            }
        }
        if batch.len() >= caps.max_batch.max(1) || (done && !batch.is_empty()) {
            let requests = std::mem::take(&mut batch);
            if dry_run {
                for r in requests {
                    let found = if caps.can_find {
                        sink.find(&LookupKey::new(caps.natural_key.clone(), r.key.clone())).await?
                    } else {
                        None
                    };
                    let plan = match found {
                        Some(f) => {
                            serde_json::json!({"key": r.key, "outcome": "would_update", "target_id": f.target_id})
                        }
                        None => serde_json::json!({"key": r.key, "outcome": "would_create"}),
                    };
                    emit(&mut stdout, format!("{plan}\n").as_bytes()).await?;
                }
            } else {
                for o in sink.write(requests).await? {
                    if !o.outcome.is_success() {
                        failed += 1;
                    }
                    print(&mut stdout, &o).await?;
                }
            }
        }
        if done {
            break;
        }
    }
    stdout.flush().await?;
    Ok(if failed > 0 { ExitCode::from(2) } else { ExitCode::SUCCESS })
}

async fn print(out: &mut tokio::io::Stdout, o: &WriteOutcome) -> Result<()> {
    let mut line = serde_json::to_vec(o)?;
    line.push(b'\n');
    emit(out, &line).await
}

pub async fn check(state: &Path, system: &str, options: Options) -> Result<ExitCode> {
    registry::with_state(crate::state::open(state)?)?.check(system, &options).await?;
    say!("{system}: ok");
    Ok(ExitCode::SUCCESS)
}
