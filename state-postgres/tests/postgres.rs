//! `PostgresStore` against a throwaway PostgreSQL server (skipped when `initdb`/`pg_ctl` are
//! not installed, unless `CONNECTOR_REQUIRE_POSTGRES=1`): the state store contract, the
//! migrations and the secrets' compare-and-swap.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, Weak};

use connector_core::ErrorKind;
use connector_core::state::StateStore;
use connector_state_postgres::{Lease, PostgresStore};
use connector_testkit::assert_state_store_contract;
use connector_testkit::postgres::TempPostgres;

/// One server for the tests that run together; stopped when the last of them ends.
fn server() -> Option<Arc<TempPostgres>> {
    static SHARED: Mutex<Weak<TempPostgres>> = Mutex::new(Weak::new());
    let mut shared = SHARED.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(pg) = shared.upgrade() {
        return Some(pg);
    }
    let pg = Arc::new(TempPostgres::start()?);
    *shared = Arc::downgrade(&pg);
    Some(pg)
}

/// A schema no other store of this process uses.
fn fresh_schema() -> String {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    format!("test_{}_{}", std::process::id(), NEXT.fetch_add(1, Ordering::Relaxed))
}

#[tokio::test]
async fn keeps_the_state_store_contract() {
    let Some(pg) = server() else { return };
    let url = pg.url();
    assert_state_store_contract(|| PostgresStore::new(&url, &fresh_schema()).unwrap()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn is_shared_between_spawned_tasks() {
    let Some(pg) = server() else { return };
    let store = Arc::new(PostgresStore::new(&pg.url(), &fresh_schema()).unwrap());
    let handles: Vec<_> = (0..16)
        .map(|i| {
            let store = store.clone();
            tokio::spawn(async move { store.save_secret(&format!("k{i}"), "v").await })
        })
        .collect();
    for h in handles {
        h.await.unwrap().unwrap();
    }
    for i in 0..16 {
        assert_eq!(store.secret(&format!("k{i}")).await.unwrap().as_deref(), Some("v"));
    }
}

/// Rows of the schema's migration table, as (version, applied_at text).
async fn migrations(url: &str, schema: &str) -> Vec<(i32, String)> {
    let (client, conn) = tokio_postgres::connect(url, tokio_postgres::NoTls).await.unwrap();
    tokio::spawn(conn);
    client
        .query(
            &format!(
                "SELECT version, applied_at::text FROM \"{schema}\".schema_migrations \
                 ORDER BY version"
            ),
            &[],
        )
        .await
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect()
}

#[tokio::test]
async fn migrations_apply_once_and_a_newer_schema_is_refused() {
    let Some(pg) = server() else { return };
    let url = pg.url();
    let schema = fresh_schema();

    // Several stores opening one new schema at once: each migration is applied once.
    let stores: Vec<PostgresStore> =
        (0..4).map(|_| PostgresStore::new(&url, &schema).unwrap()).collect();
    let opened = futures_util::future::join_all(stores.iter().map(|s| s.migrate())).await;
    assert!(opened.iter().all(Result::is_ok), "{opened:?}");
    let applied = migrations(&url, &schema).await;
    let latest = PostgresStore::schema_version();
    assert_eq!(applied.iter().map(|r| r.0).collect::<Vec<_>>(), (1..=latest).collect::<Vec<_>>());
    stores[0].save_secret("kept", "yes").await.unwrap();

    // A second open is a no-op: nothing re-applied, the data kept.
    let again = PostgresStore::new(&url, &schema).unwrap();
    again.migrate().await.unwrap();
    assert_eq!(migrations(&url, &schema).await, applied);
    assert_eq!(again.secret("kept").await.unwrap().as_deref(), Some("yes"));

    // A schema written by a newer SDK is refused, by name and versions.
    let (client, conn) = tokio_postgres::connect(&url, tokio_postgres::NoTls).await.unwrap();
    tokio::spawn(conn);
    client
        .execute(
            &format!("INSERT INTO \"{schema}\".schema_migrations (version) VALUES ($1)"),
            &[&(latest + 1)],
        )
        .await
        .unwrap();
    let newer = PostgresStore::new(&url, &schema).unwrap();
    let err = newer.migrate().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Internal);
    let msg = err.to_string();
    assert!(msg.contains("newer") && msg.contains(&schema), "{msg}");
    assert!(msg.contains(&format!("version {}", latest + 1)), "{msg}");
    // Every method refuses it, not only `migrate`.
    assert!(newer.secret("kept").await.is_err());
}

#[tokio::test]
async fn connect_uses_the_public_schema_and_migrates_at_once() {
    let Some(pg) = server() else { return };
    let store = PostgresStore::connect(&pg.url()).await.unwrap();
    assert_eq!(store.schema(), "public");
    assert!(!migrations(&pg.url(), "public").await.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn compare_and_swap_secret_lets_one_of_two_racing_writers_win() {
    let Some(pg) = server() else { return };
    let schema = fresh_schema();
    // Two stores, as two workers would have, on one schema.
    let a = Arc::new(PostgresStore::new(&pg.url(), &schema).unwrap());
    let b = Arc::new(PostgresStore::new(&pg.url(), &schema).unwrap());

    // Creating: only one of two "no secret yet" swaps wins.
    let (ra, rb) = tokio::join!(
        a.compare_and_swap_secret("tokens/xero/app", None, "refresh-a"),
        b.compare_and_swap_secret("tokens/xero/app", None, "refresh-b"),
    );
    let (ra, rb) = (ra.unwrap(), rb.unwrap());
    assert!(ra ^ rb, "exactly one creates: {ra} {rb}");
    let first = if ra { "refresh-a" } else { "refresh-b" };
    assert_eq!(a.secret("tokens/xero/app").await.unwrap().as_deref(), Some(first));

    // Rotating, many rounds: both saw `current`, both try to store their successor.
    let mut current = first.to_string();
    for round in 0..20 {
        let (na, nb) = (format!("a-{round}"), format!("b-{round}"));
        let (a2, b2) = (a.clone(), b.clone());
        let (ca, cb) = (current.clone(), current.clone());
        let (ta, tb) = (
            tokio::spawn(async move {
                a2.compare_and_swap_secret("tokens/xero/app", Some(&ca), &na).await
            }),
            tokio::spawn(async move {
                b2.compare_and_swap_secret("tokens/xero/app", Some(&cb), &nb).await
            }),
        );
        let (wa, wb) = (ta.await.unwrap().unwrap(), tb.await.unwrap().unwrap());
        assert!(wa ^ wb, "round {round}: exactly one swaps ({wa} {wb})");
        let winner = if wa { format!("a-{round}") } else { format!("b-{round}") };
        assert_eq!(b.secret("tokens/xero/app").await.unwrap(), Some(winner.clone()));
        current = winner;
    }

    // A stale expectation never swaps; `save_secret` still replaces unconditionally.
    assert!(!a.compare_and_swap_secret("tokens/xero/app", Some(first), "stale").await.unwrap());
    assert!(!a.compare_and_swap_secret("absent", Some("x"), "y").await.unwrap());
    assert_eq!(a.secret("absent").await.unwrap(), None);
    a.save_secret("tokens/xero/app", "forced").await.unwrap();
    assert_eq!(b.secret("tokens/xero/app").await.unwrap().as_deref(), Some("forced"));
}

#[tokio::test]
async fn errors_and_debug_never_show_a_secret() {
    let Some(pg) = server() else { return };
    let store = PostgresStore::new(&pg.url(), &fresh_schema()).unwrap();
    store.save_secret("k", "sup3r-s3cret-value").await.unwrap();
    assert!(!format!("{store:?}").contains("sup3r"));
    // A failing statement about the secrets' table (here: the table dropped under the store)
    // names the operation, not the value.
    let (client, conn) = tokio_postgres::connect(&pg.url(), tokio_postgres::NoTls).await.unwrap();
    tokio::spawn(conn);
    client.batch_execute(&format!("DROP TABLE \"{}\".secrets", store.schema())).await.unwrap();
    let err = store.save_secret("k", "sup3r-s3cret-value").await.unwrap_err();
    assert!(!format!("{err} {err:?}").contains("sup3r"), "{err:?}");
    assert!(err.to_string().contains("secret"), "{err}");
    let err =
        store.compare_and_swap_secret("k", Some("sup3r-s3cret-value"), "n3w").await.unwrap_err();
    let shown = format!("{err} {err:?}");
    assert!(!shown.contains("sup3r") && !shown.contains("n3w"), "{shown}");
}

#[tokio::test]
async fn a_batch_that_fails_half_way_writes_nothing() {
    use chrono::Utc;
    use connector_core::source::Cursor;
    use connector_core::state::{
        ActivityEntry, BatchCommit, LedgerScope, LedgerStatus, LedgerUpdate, Scope,
    };

    let Some(pg) = server() else { return };
    // One connection, so the test also shows it is usable after the failed batch.
    let store = PostgresStore::new(&pg.url(), &fresh_schema()).unwrap().with_pool_size(1);
    store.migrate().await.unwrap();
    // The activity insert fails after the ledger and checkpoint writes succeeded.
    let (client, conn) = tokio_postgres::connect(&pg.url(), tokio_postgres::NoTls).await.unwrap();
    tokio::spawn(conn);
    client
        .batch_execute(&format!(
            r#"SET search_path TO "{}";
               CREATE FUNCTION boom() RETURNS trigger LANGUAGE plpgsql AS
                   $$ BEGIN RAISE EXCEPTION 'boom'; END $$;
               CREATE TRIGGER boom BEFORE INSERT ON activity FOR EACH ROW
                   WHEN (NEW.key = 'boom') EXECUTE FUNCTION boom();"#,
            store.schema()
        ))
        .await
        .unwrap();
    let scope = LedgerScope::new("t", "crm", "customers");
    let cp = Scope::new("t", "f", "customers");
    let line = |key: &str| ActivityEntry {
        run_id: 1,
        at: Utc::now(),
        flow: "f".into(),
        entity: "customers".into(),
        key: key.into(),
        received: None,
        sent: None,
        outcome: "created".into(),
        message: None,
    };
    let batch = BatchCommit {
        ledger_scope: Some(scope.clone()),
        run_id: 1,
        ledger: vec![LedgerUpdate {
            key: "C-1".into(),
            target_id: Some("1".into()),
            hash: Some("h".into()),
            status: LedgerStatus::Committed,
            outcome: "created".into(),
        }],
        seen: vec!["C-1".into()],
        activity: vec![line("fine"), line("boom")],
        checkpoint: Some((cp.clone(), Cursor::new("c1"))),
        ..BatchCommit::default()
    };
    let err = store.commit(batch).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Internal);
    assert!(err.message().contains("boom"), "{err}");
    assert!(store.ledger_get(&scope, &["C-1".into()]).await.unwrap().is_empty());
    assert_eq!(store.checkpoint(&cp).await.unwrap(), None);
    assert!(store.activity(1).await.unwrap().is_empty());
    // The connection is usable afterwards (no transaction left open).
    store.save_checkpoint(&cp, &Cursor::new("c2")).await.unwrap();
    assert_eq!(store.checkpoint(&cp).await.unwrap(), Some(Cursor::new("c2")));
}

#[tokio::test]
async fn the_same_key_twice_in_one_call_keeps_the_last() {
    use connector_core::state::{BatchCommit, LedgerScope, LedgerStatus, LedgerUpdate};

    let Some(pg) = server() else { return };
    let store = PostgresStore::new(&pg.url(), &fresh_schema()).unwrap();
    let scope = LedgerScope::new("t", "crm", "customers");
    // One upsert may not touch a row twice: the store keeps the last of each key.
    store
        .ledger_mark_pending(&scope, &[("a".into(), "h1".into()), ("a".into(), "h2".into())])
        .await
        .unwrap();
    let got = store.ledger_get(&scope, &["a".into()]).await.unwrap();
    assert_eq!(got[0].pending_hash.as_deref(), Some("h2"));
    let update = |id: &str, status| LedgerUpdate {
        key: "a".into(),
        target_id: Some(id.into()),
        hash: Some(id.into()),
        status,
        outcome: "created".into(),
    };
    store
        .commit(BatchCommit {
            ledger_scope: Some(scope.clone()),
            run_id: 3,
            ledger: vec![
                update("T-1", LedgerStatus::Failed),
                update("T-2", LedgerStatus::Committed),
            ],
            seen: vec!["a".into(), "a".into()],
            ..BatchCommit::default()
        })
        .await
        .unwrap();
    let got = store.ledger_get(&scope, &["a".into(), "a".into()]).await.unwrap();
    assert_eq!(got.len(), 1);
    let e = &got[0];
    assert_eq!(
        (e.target_id.as_deref(), e.status, e.seen_run, e.pending_hash.as_deref()),
        (Some("T-2"), LedgerStatus::Committed, Some(3), None)
    );
}

#[tokio::test]
async fn a_connection_the_server_closed_is_dropped_not_reused() {
    let Some(pg) = server() else { return };
    // Its own application name, so only its connections are ended (other tests share the
    // server).
    let schema = fresh_schema();
    let url = format!("{}&application_name={schema}", pg.url());
    let store = PostgresStore::new(&url, &schema).unwrap().with_pool_size(2);
    // Two connections made and back in the pool.
    let (a, b) = tokio::join!(store.save_secret("a", "1"), store.save_secret("b", "2"));
    a.unwrap();
    b.unwrap();
    // The server ends them (as a restart or an idle timeout in a proxy would).
    let (client, conn) = tokio_postgres::connect(&pg.url(), tokio_postgres::NoTls).await.unwrap();
    tokio::spawn(conn);
    let ended: i64 = client
        .query_one(
            "SELECT count(*) FROM (SELECT pg_terminate_backend(pid) FROM pg_stat_activity
              WHERE application_name = $1) t",
            &[&schema],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(ended, 2);
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    // The next calls get fresh connections.
    assert_eq!(store.secret("a").await.unwrap().as_deref(), Some("1"));
    let (a, b) = tokio::join!(store.secret("a"), store.secret("b"));
    assert_eq!((a.unwrap(), b.unwrap()), (Some("1".into()), Some("2".into())));
}

mod schedule {
    use std::collections::HashMap;
    use std::time::Duration;

    use super::*;

    /// 200 tenants' flows, due now; three workers take them at the same time, 7 at a time,
    /// until none is due: each is taken exactly once, and once finished is due again only
    /// after its interval.
    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn three_workers_take_each_due_tenant_flow_exactly_once() {
        let Some(pg) = server() else { return };
        let store = Arc::new(PostgresStore::new(&pg.url(), &fresh_schema()).unwrap());
        for t in 0..200 {
            store
                .schedule(&format!("tenant-{t:03}"), "orders", Duration::from_secs(3600))
                .await
                .unwrap();
        }
        let workers: Vec<_> = (0..3)
            .map(|w| {
                let store = store.clone();
                tokio::spawn(async move {
                    let me = format!("worker-{w}");
                    let mut taken = Vec::new();
                    loop {
                        let leases = store.acquire(&me, 7, Duration::from_secs(60)).await.unwrap();
                        if leases.is_empty() {
                            return taken;
                        }
                        for lease in leases {
                            assert!(lease.taken_over_from.is_none());
                            assert!(store.finish(&lease, "succeeded").await.unwrap());
                            taken.push(lease.tenant);
                        }
                    }
                })
            })
            .collect();
        let mut counts: HashMap<String, usize> = HashMap::new();
        let mut per_worker = Vec::new();
        for w in workers {
            let taken = w.await.unwrap();
            per_worker.push(taken.len());
            for t in taken {
                *counts.entry(t).or_default() += 1;
            }
        }
        assert_eq!(counts.len(), 200, "every tenant ran");
        assert!(counts.values().all(|&n| n == 1), "none twice: {per_worker:?}");
        assert!(store.acquire("worker-x", 10, Duration::from_secs(60)).await.unwrap().is_empty());
        let schedules = store.schedules().await.unwrap();
        assert!(
            schedules
                .iter()
                .all(|s| s.lease_owner.is_none() && s.last_status.as_deref() == Some("succeeded"))
        );
        assert!(
            schedules
                .iter()
                .all(|s| s.next_run_at > chrono::Utc::now() + chrono::Duration::minutes(59))
        );
    }

    /// A worker that stops beating loses its lease: another takes the flow over (and is told
    /// whose run it resumes), and the first can neither beat nor finish it any more.
    #[tokio::test]
    async fn an_expired_lease_is_taken_over_and_the_old_holder_is_fenced_off() {
        let Some(pg) = server() else { return };
        let store = PostgresStore::new(&pg.url(), &fresh_schema()).unwrap();
        store.schedule("acme", "stock", Duration::from_secs(60)).await.unwrap();
        let mut first =
            store.acquire("w1", 10, Duration::from_millis(300)).await.unwrap().remove(0);
        assert!(store.acquire("w2", 10, Duration::from_secs(60)).await.unwrap().is_empty(), "held");
        // Beating keeps it past its first expiry.
        tokio::time::sleep(Duration::from_millis(200)).await;
        assert!(store.heartbeat(&mut first, Duration::from_millis(300)).await.unwrap());
        tokio::time::sleep(Duration::from_millis(200)).await;
        assert!(
            store.acquire("w2", 10, Duration::from_secs(60)).await.unwrap().is_empty(),
            "still held"
        );
        // w1 dies (no more beats): after the lease runs out w2 takes it over.
        tokio::time::sleep(Duration::from_millis(350)).await;
        let second = store.acquire("w2", 10, Duration::from_secs(60)).await.unwrap().remove(0);
        assert_eq!(second.taken_over_from.as_deref(), Some("w1"));
        assert!(second.token > first.token);
        assert!(!store.heartbeat(&mut first, Duration::from_secs(60)).await.unwrap(), "fenced");
        assert!(!store.finish(&first, "succeeded").await.unwrap(), "fenced");
        assert!(store.finish(&second, "partial").await.unwrap());
        let s = &store.schedules().await.unwrap()[0];
        assert_eq!((s.last_status.as_deref(), s.lease_owner.as_deref()), (Some("partial"), None));
        // Taken off the schedule and put back while a worker holds it: the old holder's token
        // is never handed out again.
        let third = store.acquire("w3", 10, Duration::from_millis(1)).await;
        assert!(third.unwrap().is_empty(), "finished: due again only after its interval");
        assert!(store.unschedule("acme", "stock").await.unwrap());
        assert!(store.schedules().await.unwrap().is_empty());
        store.schedule("acme", "stock", Duration::from_secs(60)).await.unwrap();
        let mut fresh = store.acquire("w3", 10, Duration::from_secs(60)).await.unwrap().remove(0);
        assert!(fresh.token > second.token, "tokens are never reused");
        let mut stale = second.clone();
        assert!(!store.heartbeat(&mut stale, Duration::from_secs(60)).await.unwrap());
        // Nor can another worker beat with a token it did not get.
        let mut forged: Lease = fresh.clone();
        forged.owner = "w9".into();
        assert!(!store.heartbeat(&mut forged, Duration::from_secs(60)).await.unwrap());
        assert!(store.heartbeat(&mut fresh, Duration::from_secs(60)).await.unwrap());
        let e = store.schedule("acme", "stock", Duration::MAX).await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Config);
        let e = store.schedule("acme", "stock", Duration::ZERO).await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Config);
    }
}

/// Two workers share one account's rotating refresh token through the store (each its own
/// OAuth2 client, as two processes would have): both need a token at once, one refreshes,
/// the other waits on the store's lock and takes the rotated tokens instead of spending the
/// refresh token a second time, which the provider would refuse.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_workers_racing_for_one_rotating_refresh_token_refresh_once_and_both_succeed() {
    use connector_core::http::{
        HttpClient, OAuth2, StateTokenStore, TokenEndpoint, TokenSet, TokenStore,
    };
    use connector_testkit::simulator::{Router, SimResponse, SimServer, TokenIssuer};
    use secrecy::SecretString;

    let Some(pg) = server() else { return };
    let state: Arc<dyn StateStore> =
        Arc::new(PostgresStore::new(&pg.url(), &fresh_schema()).unwrap());
    let issuer = TokenIssuer::new().prefix("sim").rotate_refresh_tokens(true);
    let first = issuer.issue("app").refresh_token.unwrap();
    let (refresh, api) = (issuer.clone(), issuer.clone());
    let router = Router::new()
        .post("/token", move |req, _| {
            let issuer = refresh.clone();
            async move {
                // A slow token endpoint: both workers have read the same refresh token
                // before the first refresh answers.
                tokio::time::sleep(std::time::Duration::from_millis(300)).await;
                match issuer.refresh(&req.form_value("refresh_token").unwrap_or_default()) {
                    Ok(t) => SimResponse::json(200, t.to_json()),
                    Err(e) => e.to_response(true),
                }
            }
        })
        .get("/whoami", move |req, _| {
            let issuer = api.clone();
            async move {
                match issuer.authorize(&req) {
                    Ok(subject) => {
                        SimResponse::json(200, serde_json::json!({ "subject": subject }))
                    }
                    Err(e) => e.to_response(false),
                }
            }
        });
    let sim = SimServer::builder(router).start().await.unwrap();
    let seed = SecretString::from(first);
    let tokens = |state: &Arc<dyn StateStore>| {
        Arc::new(StateTokenStore::new(state.clone(), "tokens/sim/app", Some(&seed), None))
    };
    tokens(&state).save(&TokenSet::from_refresh_token(seed.clone())).await.unwrap();
    let worker = || {
        let endpoint = TokenEndpoint::new(&format!("{}/token", sim.base_url()), "app").unwrap();
        let auth = Arc::new(OAuth2::refresh_token(endpoint, tokens(&state)).build());
        let http = HttpClient::builder("sim", format!("{}/", sim.base_url()))
            .auth(auth.clone())
            .build()
            .unwrap();
        (auth, http)
    };
    let ((auth_a, http_a), (auth_b, http_b)) = (worker(), worker());
    let (a, b) = tokio::join!(
        http_a.get("whoami").send_json::<serde_json::Value>(),
        http_b.get("whoami").send_json::<serde_json::Value>()
    );
    assert_eq!(a.unwrap()["subject"], "app");
    assert_eq!(b.unwrap()["subject"], "app");
    assert_eq!(auth_a.refreshes() + auth_b.refreshes(), 1, "one refresh for both workers");
}

#[tokio::test]
async fn tenant_settings_are_kept_sealed_and_listed() {
    use connector_core::state::Sealer;
    use std::collections::BTreeMap;
    let Some(pg) = server() else { return };
    let store = PostgresStore::new(&pg.url(), &fresh_schema()).unwrap();
    let sealer = Sealer::new(&[7; 32]);
    let xero: BTreeMap<String, String> = [("client_id", "app-1"), ("refresh_token", "rt-s3cr3t")]
        .iter()
        .map(|(k, v)| ((*k).into(), (*v).into()))
        .collect();
    store.save_tenant_settings("acme", "xero", &xero, Some(&sealer)).await.unwrap();
    let file: BTreeMap<String, String> = [("path".to_owned(), "acme.csv".to_owned())].into();
    store.save_tenant_settings("acme", "file", &file, None).await.unwrap();
    store.save_tenant_settings("globex", "xero", &xero, Some(&sealer)).await.unwrap();
    let tenants = store.tenants().await.unwrap();
    let listed: Vec<(&str, Vec<&str>)> = tenants
        .iter()
        .map(|t| (t.id.as_str(), t.systems.iter().map(String::as_str).collect()))
        .collect();
    assert_eq!(listed, [("acme", vec!["file", "xero"]), ("globex", vec!["xero"])]);
    assert_eq!(store.tenant_settings("acme", "xero", Some(&sealer)).await.unwrap(), Some(xero));
    assert_eq!(store.tenant_settings("acme", "file", None).await.unwrap(), Some(file));
    assert!(store.tenant_settings("acme", "xero", None).await.is_err(), "sealed: needs the key");
    assert_eq!(store.tenant_settings("initech", "xero", None).await.unwrap(), None);
    // Sealed at rest: the refresh token is not in the table.
    let (client, conn) = tokio_postgres::connect(&pg.url(), tokio_postgres::NoTls).await.unwrap();
    tokio::spawn(conn);
    let raw: String = client
        .query_one(&format!("SELECT settings FROM \"{}\".tenant_settings WHERE tenant = 'acme' AND system = 'xero'", store.schema()), &[])
        .await
        .unwrap()
        .get(0);
    assert!(raw.starts_with("sealed:") && !raw.contains("rt-s3cr3t"), "{raw}");
}

/// A worker that paused past its lease cannot write after another took its flow over: its
/// batch, checkpoint and write intents are refused, and nothing of them lands.
#[tokio::test]
async fn writes_under_a_lost_lease_are_refused_and_land_nothing() {
    use connector_core::source::Cursor;
    use connector_core::state::{BatchCommit, LedgerScope, LedgerStatus, LedgerUpdate, Scope};
    use std::time::Duration;

    let Some(pg) = server() else { return };
    let store = Arc::new(PostgresStore::new(&pg.url(), &fresh_schema()).unwrap());
    store.schedule("acme", "customers", Duration::from_secs(60)).await.unwrap();
    let lease = store.acquire("w1", 1, Duration::from_millis(200)).await.unwrap().remove(0);
    let fenced = store.fenced(lease);
    let scope = LedgerScope::new("acme", "crm", "customers");
    let cp = Scope::new("acme", "customers", "customers");
    let batch = |key: &str, cursor: &str| BatchCommit {
        ledger_scope: Some(scope.clone()),
        run_id: 1,
        ledger: vec![LedgerUpdate {
            key: key.into(),
            target_id: Some("1".into()),
            hash: Some("h".into()),
            status: LedgerStatus::Committed,
            outcome: "created".into(),
        }],
        seen: vec![key.into()],
        checkpoint: Some((cp.clone(), Cursor::new(cursor))),
        ..Default::default()
    };
    // Held: writes go through.
    fenced.ledger_mark_pending(&scope, &[("C-1".into(), "h".into())]).await.unwrap();
    fenced.commit(batch("C-1", "c1")).await.unwrap();
    // w1 pauses past its lease; w2 takes the flow over.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let taken = store.acquire("w2", 1, Duration::from_secs(60)).await.unwrap();
    assert_eq!(taken[0].taken_over_from.as_deref(), Some("w1"));
    let e = fenced.commit(batch("C-2", "c2")).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Conflict, "{e}");
    assert!(e.to_string().contains("taken over"), "{e}");
    assert!(fenced.save_checkpoint(&cp, &Cursor::new("c9")).await.is_err());
    assert!(fenced.ledger_mark_pending(&scope, &[("C-3".into(), "h".into())]).await.is_err());
    assert_eq!(store.checkpoint(&cp).await.unwrap(), Some(Cursor::new("c1")), "the cursor stands");
    let keys = ["C-1".to_owned(), "C-2".to_owned()];
    let landed: Vec<String> =
        store.ledger_get(&scope, &keys).await.unwrap().into_iter().map(|e| e.key).collect();
    assert_eq!(landed, ["C-1"], "nothing of the refused batch");
    // The new holder's fenced store writes.
    let theirs = store.fenced(taken.into_iter().next().unwrap());
    theirs.commit(batch("C-2", "c2")).await.unwrap();
}

/// Three workers (three stores, three pools) racing for one tenant's window: the limit holds
/// across them, the others are told how long to wait, and another budget is not touched.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn workers_sharing_a_rate_window_stay_within_its_limit_together() {
    use connector_core::http::{RateBudget, SharedWindows, Window};
    use std::time::Duration;

    let Some(pg) = server() else { return };
    let schema = fresh_schema();
    let workers: Vec<Arc<PostgresStore>> =
        (0..3).map(|_| Arc::new(PostgresStore::new(&pg.url(), &schema).unwrap())).collect();
    let window = Window::new("ten_seconds", 5, Duration::from_secs(10));
    let takes = futures_util::future::join_all((0..12).map(|i| {
        let store = workers[i % 3].clone();
        let window = window.clone();
        async move { store.take("exact-online:division:7", &window).await.unwrap() }
    }))
    .await;
    let granted = takes.iter().filter(|t| t.is_none()).count();
    assert_eq!(granted, 5, "{takes:?}");
    for wait in takes.iter().flatten() {
        // Until the oldest bucket (a twentieth of the period) has left the window.
        assert!(*wait > Duration::ZERO && *wait <= Duration::from_millis(10_500), "{wait:?}");
    }
    let other = workers[0].take("exact-online:division:8", &window).await.unwrap();
    assert_eq!(other, None, "another tenant's budget is its own");

    // No window of the period's length holds more than the limit, across a period's turn:
    // 3 a second, taken greedily for 2.5 s, never 4 within any second.
    let second = Window::new("second", 3, Duration::from_secs(1));
    let mut granted = Vec::new();
    let start = std::time::Instant::now();
    while start.elapsed() < Duration::from_millis(2500) {
        let store = &workers[granted.len() % 3];
        match store.take("xero:app:fleet", &second).await.unwrap() {
            None => granted.push(start.elapsed()),
            Some(wait) => tokio::time::sleep(wait.min(Duration::from_millis(20))).await,
        }
    }
    assert!(granted.len() >= 6, "{granted:?}");
    for (i, t) in granted.iter().enumerate() {
        let within = granted[i..].iter().take_while(|u| **u - *t < Duration::from_secs(1)).count();
        assert!(within <= 3, "{within} within a second from {t:?}: {granted:?}");
    }

    // Through RateBudget: a fleet's day spent by other workers fails at once.
    let day = |store: &Arc<PostgresStore>| {
        RateBudget::builder()
            .window(Window::per_day(2))
            .shared_through("xero:tenant:acme", store.clone())
            .build()
    };
    day(&workers[0]).acquire().await.unwrap();
    day(&workers[1]).acquire().await.unwrap();
    let e = day(&workers[2]).acquire().await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::BudgetExhausted, "{e}");
}
