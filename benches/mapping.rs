//! Throughput of a compiled mapping: a 15-rule customer mapping with one value map applied to
//! 1,000,000 customer records per iteration (1,000 distinct records, cycled), on one thread.
//!
//! The mapping is customers → customers with the default `copy = "source"`: what a flow's
//! mapping step runs. The step calls [`MappingPlan::apply_entity`] on the `Customer` it is
//! given; every path of this mapping names a field the typed lane knows, so the struct is
//! mapped in place, with no JSON in between.
//!
//! **What is timed** (`customer_15_rules_1_value_map_1m_typed`): for each of the 1,000,000
//! records, `apply_entity` on an owned `Customer` (skip rules, the 15 rules with their
//! transforms, validation, value-map lookup and coverage counting, writing into the record),
//! and moving the result into a pre-allocated vector. **Not timed**: making the owned inputs
//! (clones of the 1,000 pre-built records, made 100 at a time between timed stretches) and
//! dropping the results. `customer_15_rules_1_value_map_1m` times the same for the JSON route
//! on its own: [`MappingPlan::apply_owned`] on the record's owned JSON, in place. The plain
//! measurements printed before the criterion run show the other accountings: the whole
//! JSON route as the step ran it before the typed lane (serialise, `apply_owned`,
//! deserialise, all timed), `apply_owned` with the clone of its input timed too, and the
//! borrowing [`MappingPlan::apply`] of the same rules under `copy = "empty"`.
//!
//! `cargo bench --bench mapping` (with `MAPPING_BASELINE=1`, also prints the cost of cloning
//! one source record and the cost per record at 1, 5, 10 and 15 rules; with
//! `MAPPING_PROFILE=N`, runs only the `apply_owned` loop over N records, a multiple of 100,
//! for a profiler; add `MAPPING_TYPED=1` to run the typed lane's loop instead,
//! `MAPPING_RULE=K` to run the K-th rule alone, or `MAPPING_BY_HAND=1` to run the same 15
//! rules written by hand on the same JSON, the floor for any engine on `serde_json::Value`).
//! `mapping_mimalloc` is the same benchmark with mimalloc as the process's allocator.

use std::hint::black_box;
use std::time::{Duration, Instant};

use connector_sdk::EntityKind;
use connector_sdk::mapping::{Applied, Format, Loader, Mapped, MappingPlan};
use connector_sdk::model::Customer;
use criterion::{Criterion, Throughput, criterion_group};
use serde_json::{Value, json};

#[path = "common/mapping_by_hand.rs"]
mod by_hand;

const RECORDS: usize = 1_000_000;
const DISTINCT: usize = 1_000;
/// Owned inputs are made this many at a time, outside the timed region (a step maps the record
/// it has just serialised, so the input is recent in the cache, as it is here).
const CHUNK: usize = 100;

const MAPPING: &str = r#"
source = "customers"
target = "customers"

[maps.reps]
unmapped = "default"
default = "house"
entries = { JV = "jan.vermeer", PB = "piet.bos", KM = "karin.mol", AB = "anna.berg" }

[[field]]
target = "number"
source = "number"
transforms = ["trim", "upper"]
validate = ["required"]

[[field]]
target = "name"
source = "name"
transforms = ["trim"]
validate = [{ max_len = 100 }]

[[field]]
target = "first_name"
source = "first_name"
transforms = ["title"]

[[field]]
target = "last_name"
source = "last_name"
transforms = ["title"]

[[field]]
target = "emails[0].address"
source = "emails[0].address"
transforms = ["trim", "lower"]

[[field]]
target = "phones[0].number"
source = "phones[0].number"
transforms = [{ op = "regex_replace", pattern = "[^0-9+]", with = "" }]

[[field]]
target = "addresses[0].lines[0]"
source = "addresses[0].lines[0]"
transforms = ["street"]

[[field]]
target = "addresses[0].street_number"
source = "addresses[0].lines[0]"
transforms = ["house_number"]

[[field]]
target = "addresses[0].postal_code"
source = "addresses[0].postal_code"
transforms = ["trim", "upper"]

[[field]]
target = "addresses[0].city"
source = "addresses[0].city"
transforms = ["trim"]

[[field]]
target = "addresses[0].country"
source = "addresses[0].country"
transforms = ["upper"]

[[field]]
target = "tax_number"
source = "tax_number"
transforms = [{ op = "regex_replace", pattern = "\\s", with = "" }]

[[field]]
target = "sales_rep.key"
source = "sales_rep.key"
map = "reps"

[[field]]
target = "credit_limit"
source = "credit_limit"
transforms = [{ op = "round", scale = 2, mode = "half_up" }]

[[field]]
target = "meta.custom.segment"
source = "meta.custom.segment"
default = "retail"
"#;

fn source(i: usize) -> Value {
    let reps = ["JV", "PB", "KM", "AB", "XX"];
    json!({
        "number": format!(" c-{i:07} "),
        "kind": "company",
        "name": format!("  Customer {i} B.V. "),
        "first_name": "jan",
        "last_name": "DE VRIES",
        "emails": [{"address": format!(" Info{i}@Example.COM "), "kind": "work", "primary": true}],
        "phones": [{"number": "+31 (0)20-123 45 67", "kind": "work"}],
        "addresses": [{"kind": "billing", "lines": [format!("Hoofdstraat {}a", i % 300)], "postal_code": "1234 ab", "city": " Amsterdam ", "country": "nl"}],
        "tax_number": "NL 0012 3456 7B01",
        "sales_rep": {"key": reps[i % reps.len()]},
        "credit_limit": {"amount": "12500.455", "currency": "EUR"},
        "meta": {"refs": [{"system": "erp", "id": format!("{i}")}], "lifecycle": "active"}
    })
}

fn load_plan(text: &str) -> MappingPlan {
    let mut set = Loader::new().load_str(text, Format::Toml, "bench.toml").unwrap();
    let plan = set.take_for(EntityKind::Customer).unwrap();
    assert_eq!(plan.rule_count(), 15);
    plan
}

/// The mapping with only its `k`-th rule (1-based; 0: no rule), its value map kept.
fn one_rule(k: usize) -> MappingPlan {
    let parts: Vec<&str> = MAPPING.split("[[field]]").collect();
    let text =
        if k == 0 { parts[0].to_string() } else { format!("{}[[field]]{}", parts[0], parts[k]) };
    let mut set = Loader::new().load_str(&text, Format::Toml, "bench.toml").unwrap();
    set.take_for(EntityKind::Customer).unwrap()
}

/// Applies `apply` to `records` owned inputs, clones of `items` cycled; returns how many
/// mapped (by `mapped`) and the time spent in `apply` alone. Inputs are cloned `CHUNK` at a
/// time and the outputs dropped outside the timed stretches (see the module comment).
fn run_chunked<I: Clone, O>(
    items: &[I],
    records: usize,
    mut apply: impl FnMut(I) -> O,
    mapped: impl Fn(&O) -> bool,
) -> (usize, Duration) {
    let mut count = 0;
    let mut timed = Duration::ZERO;
    let mut outputs: Vec<O> = Vec::with_capacity(CHUNK);
    for start in (0..records).step_by(CHUNK) {
        let inputs: Vec<I> = (start..start + CHUNK).map(|i| items[i % DISTINCT].clone()).collect();
        let t = Instant::now();
        for input in inputs {
            outputs.push(black_box(apply(black_box(input))));
        }
        timed += t.elapsed();
        count += outputs.iter().filter(|o| mapped(o)).count();
        outputs.clear();
    }
    (count, timed)
}

/// [`MappingPlan::apply_owned`] on `records` owned JSON records.
fn run_owned(plan: &MappingPlan, sources: &[Value], records: usize) -> (usize, Duration) {
    run_chunked(sources, records, |v| plan.apply_owned(v), |r| matches!(r, Ok(Applied::Record(_))))
}

/// [`MappingPlan::apply_entity`] on `records` owned customers (the typed lane, for this plan:
/// what the flow's mapping step runs).
fn run_typed(plan: &MappingPlan, customers: &[Customer], records: usize) -> (usize, Duration) {
    run_chunked(
        customers,
        records,
        |c| plan.apply_entity(c, ""),
        |r| matches!(r, Ok(Mapped::Record(_))),
    )
}

/// What the flow's mapping step did before the typed lane, and still does for plans without
/// one: serialise the customer, [`MappingPlan::apply_owned`], deserialise. All timed.
fn run_through_json(plan: &MappingPlan, customers: &[Customer]) -> usize {
    let mut mapped = 0;
    for i in 0..RECORDS {
        let json = serde_json::to_value(black_box(&customers[i % DISTINCT])).unwrap();
        if let Ok(Applied::Record(v)) = plan.apply_owned(json) {
            black_box(serde_json::from_value::<Customer>(v).unwrap());
            mapped += 1;
        }
    }
    mapped
}

/// The customer's JSON mapped by `apply_owned` and read back: the typed lane must equal it.
fn through_json(plan: &MappingPlan, c: &Customer) -> Customer {
    let Ok(Applied::Record(v)) = plan.apply_owned(serde_json::to_value(c).unwrap()) else {
        panic!("the sample maps")
    };
    serde_json::from_value(v).unwrap()
}

/// [`run_owned`] with the rules written by hand (`by_hand`): the floor on `serde_json::Value`.
fn run_by_hand(sources: &[Value], records: usize) -> Duration {
    run_chunked(sources, records, by_hand::apply_owned_by_hand, |_| true).1
}

/// The same with the clone of each input inside the timed region.
fn run_owned_with_clone(plan: &MappingPlan, sources: &[Value]) -> usize {
    let mut mapped = 0;
    for i in 0..RECORDS {
        if let Ok(Applied::Record(v)) = plan.apply_owned(black_box(sources[i % DISTINCT].clone())) {
            black_box(&v);
            mapped += 1;
        }
    }
    mapped
}

/// The borrowing `apply` (builds a new output value per record).
fn run_borrowed(plan: &MappingPlan, sources: &[Value]) -> usize {
    let mut mapped = 0;
    for i in 0..RECORDS {
        if let Ok(Applied::Record(v)) = plan.apply(black_box(&sources[i % DISTINCT])) {
            black_box(&v);
            mapped += 1;
        }
    }
    mapped
}

fn per_second(records: usize, secs: f64) -> String {
    format!("{records} records in {secs:.3} s = {:.0} records/s", records as f64 / secs)
}

fn mapping(c: &mut Criterion) {
    let plan = load_plan(MAPPING);
    assert!(plan.applies_in_place());
    let sources: Vec<Value> = (0..DISTINCT).map(source).collect();
    let customers: Vec<Customer> =
        sources.iter().map(|s| serde_json::from_value(s.clone()).unwrap()).collect();
    if let Ok(n) = std::env::var("MAPPING_PROFILE") {
        return profile(plan, &sources, &customers, n.parse().unwrap_or(RECORDS));
    }
    // Sanity: in place gives what a copy gives, and the mapping does what it says.
    for s in &sources {
        assert_eq!(format!("{:?}", plan.apply_owned(s.clone())), format!("{:?}", plan.apply(s)));
    }
    let Ok(Applied::Record(first)) = plan.apply_owned(sources[1].clone()) else {
        panic!("the sample does not map")
    };
    assert_eq!(first["addresses"][0]["street_number"], json!("1a"));
    assert_eq!(first["sales_rep"]["key"], json!("piet.bos"));
    assert_eq!(first["credit_limit"]["amount"], json!("12500.46"));
    // The typed lane gives what the JSON gives.
    assert!(plan.maps_typed());
    for c in &customers {
        let Ok(Mapped::Record(typed)) = plan.apply_entity(c.clone(), "") else { panic!("maps") };
        let json = through_json(&plan, c);
        assert_eq!(serde_json::to_value(typed).unwrap(), serde_json::to_value(json).unwrap());
    }
    // The hand-written floor does the same work.
    for s in &sources {
        let Ok(Applied::Record(v)) = plan.apply_owned(s.clone()) else { panic!("maps") };
        assert_eq!(by_hand::apply_owned_by_hand(s.clone()), v);
    }

    if std::env::var("MAPPING_BASELINE").is_ok() {
        let t = Instant::now();
        for i in 0..RECORDS {
            black_box(sources[i % DISTINCT].clone());
        }
        println!(
            "baseline: clone of a source record: {:.0} ns",
            t.elapsed().as_nanos() as f64 / RECORDS as f64
        );
        for n in [1usize, 5, 10, 15] {
            let text: String =
                MAPPING.split("[[field]]").take(n + 1).collect::<Vec<_>>().join("[[field]]");
            let p = Loader::new()
                .load_str(&text, Format::Toml, "b")
                .unwrap()
                .take_for(EntityKind::Customer)
                .unwrap();
            let t = Instant::now();
            for i in 0..RECORDS {
                black_box(p.apply(black_box(&sources[i % DISTINCT])).is_ok());
            }
            println!("{n} rules: {:.0} ns/record", t.elapsed().as_nanos() as f64 / RECORDS as f64);
        }
    }
    // Plain measurements, printed as records per second.
    let (mapped, timed) = run_typed(&plan, &customers, RECORDS);
    assert_eq!(mapped, RECORDS);
    println!(
        "mapping (apply_entity, typed lane): {} (one thread)",
        per_second(RECORDS, timed.as_secs_f64())
    );
    let started = Instant::now();
    assert_eq!(run_through_json(&plan, &customers), RECORDS);
    let secs = started.elapsed().as_secs_f64();
    println!(
        "mapping step through JSON (to_value + apply_owned + from_value, all timed): {}",
        per_second(RECORDS, secs)
    );
    let (mapped, timed) = run_owned(&plan, &sources, RECORDS);
    assert_eq!(mapped, RECORDS);
    println!(
        "mapping (apply_owned, in place): {} (one thread)",
        per_second(RECORDS, timed.as_secs_f64())
    );
    let started = Instant::now();
    assert_eq!(run_owned_with_clone(&plan, &sources), RECORDS);
    let secs = started.elapsed().as_secs_f64();
    println!("mapping (clone + apply_owned, drop timed too): {}", per_second(RECORDS, secs));
    let empty = load_plan(
        &MAPPING.replace("target = \"customers\"\n", "target = \"customers\"\ncopy = \"empty\"\n"),
    );
    let started = Instant::now();
    assert_eq!(run_borrowed(&empty, &sources), RECORDS);
    let secs = started.elapsed().as_secs_f64();
    println!(
        "mapping (apply, copy = \"empty\", the previous benchmark): {}",
        per_second(RECORDS, secs)
    );

    let mut group = c.benchmark_group("mapping");
    group.sample_size(10);
    group.throughput(Throughput::Elements(RECORDS as u64));
    group.bench_function("customer_15_rules_1_value_map_1m_typed", |b| {
        b.iter_custom(|iters| {
            (0..iters)
                .map(|_| {
                    let (mapped, timed) = run_typed(&plan, &customers, RECORDS);
                    assert_eq!(mapped, RECORDS);
                    timed
                })
                .sum()
        })
    });
    group.bench_function("customer_15_rules_1_value_map_1m", |b| {
        b.iter_custom(|iters| {
            (0..iters)
                .map(|_| {
                    let (mapped, timed) = run_owned(&plan, &sources, RECORDS);
                    assert_eq!(mapped, RECORDS);
                    timed
                })
                .sum()
        })
    });
    group.finish();
}

/// `MAPPING_PROFILE=N`: only the timed loop over `n` records, for a profiler (`perf record`,
/// `valgrind --tool=callgrind`); the checks of the normal run are left out.
fn profile(plan: MappingPlan, sources: &[Value], customers: &[Customer], n: usize) {
    if std::env::var("MAPPING_BY_HAND").is_ok() {
        let timed = run_by_hand(sources, n);
        println!("mapping written by hand: {}", per_second(n, timed.as_secs_f64()));
        return;
    }
    // `MAPPING_RULE=K`: the K-th rule alone (1-based; 0: none), to cost one rule.
    let plan = match std::env::var("MAPPING_RULE").ok().and_then(|k| k.parse().ok()) {
        Some(k) => one_rule(k),
        None => plan,
    };
    if std::env::var("MAPPING_TYPED").is_ok() {
        let (mapped, timed) = run_typed(&plan, customers, n);
        assert_eq!(mapped, n);
        println!("mapping (apply_entity, typed lane): {}", per_second(n, timed.as_secs_f64()));
        return;
    }
    let (mapped, timed) = run_owned(&plan, sources, n);
    assert_eq!(mapped, n);
    println!("mapping (apply_owned, in place): {}", per_second(n, timed.as_secs_f64()));
}

criterion_group!(benches, mapping);

/// `criterion_main!`, public so that `mapping_mimalloc` runs the same benchmark.
pub fn main() {
    benches();
    Criterion::default().configure_from_args().final_summary();
}
