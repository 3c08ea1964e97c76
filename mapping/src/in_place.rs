//! Applying a `copy = "source"` plan in place on a record the caller gives away: no copy of
//! the record, existing keys and strings are reused, and only the fields the rules write are
//! touched. Rules still read the record's *original* values, as with [`MappingPlan::apply`]:
//! at load time the rules are put in an order where a rule that reads a field runs before
//! any rule that writes it (and writes to one place keep their order); when no such order
//! exists, or the plan has per-line rules or hooks, [`MappingPlan::apply_owned`] falls back
//! to [`MappingPlan::apply`].

use std::borrow::Cow;
use std::cell::Cell;
use std::fmt::Write as _;

use rust_decimal::Decimal;
use serde_json::Value;

use crate::error::{FieldFailure, RecordFailure};
use crate::path::{self, Path, Seg};
use crate::plan::{Applied, CurrencySrc, Final, In, MappingPlan, Out, Prefix, Rule};
use crate::spec::CopyMode;
use crate::transform::{Ctx, Rate, T};
use crate::value::{V, money_json};

thread_local! {
    /// A reused buffer for text copied out of the record before it is written back.
    static SCRATCH: Cell<String> = const { Cell::new(String::new()) };
}

/// Whether writing at `w` may change what reading `r` gives (or what a write at `r` leaves):
/// always, unless the two paths part at two different object keys.
fn touches(w: &[Seg], r: &[Seg]) -> bool {
    for (a, b) in w.iter().zip(r) {
        if a != b {
            return !matches!((a, b), (Seg::Key(_), Seg::Key(_)));
        }
    }
    true
}

/// Every path a rule reads.
fn reads(rule: &Rule) -> Vec<&Path> {
    let mut out = Vec::new();
    match &rule.input {
        In::Path(p) => out.push(p),
        In::Paths(ps) => out.extend(ps),
        In::Const(_) => {}
    }
    for t in &rule.transforms {
        if let T::AddTax(Rate::From(p)) | T::RemoveTax(Rate::From(p)) = t {
            out.push(p);
        }
    }
    if let Out::Money(Some(CurrencySrc::From(p))) = &rule.out {
        out.push(p);
    }
    out
}

/// One rule in the in-place order.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Step {
    /// The rule's index.
    pub rule: usize,
    /// The rule reads nothing but its own target (`name` ← `name`): its slot is looked up
    /// once, taken out while the rule works, and written back.
    pub own_slot: bool,
    /// How many leading segments all the rule's paths (target and reads) share, short of
    /// the whole target: the rule can run on the part of the record they lead to.
    pub scope: usize,
    /// Besides, the rule only does fixed amount arithmetic (`round`, `multiply`, ...) on
    /// Money, without validations: a Money object's amount is changed where it is.
    pub amounts: bool,
}

/// The order in which the rules can run in place with the same result as on a copy, or
/// `None` when there is none (a cycle of reads and writes). Lowest index first among the
/// rules that are free to run.
pub(crate) fn order(rules: &[Rule]) -> Option<Vec<Step>> {
    let n = rules.len();
    let reads: Vec<Vec<&Path>> = rules.iter().map(reads).collect();
    let writes_into =
        |w: usize, r: usize| reads[r].iter().any(|p| touches(&rules[w].target.segs, &p.segs));
    // before[j] lists the rules that must run before rule j.
    let mut before: Vec<Vec<usize>> = vec![Vec::new(); n];
    for i in 0..n {
        for j in i + 1..n {
            if writes_into(i, j) {
                before[i].push(j); // j must read the original value: j runs first.
            }
            if writes_into(j, i) || touches(&rules[i].target.segs, &rules[j].target.segs) {
                before[j].push(i);
            }
        }
    }
    let mut done = vec![false; n];
    let mut out = Vec::with_capacity(n);
    while out.len() < n {
        let next = (0..n).find(|&k| !done[k] && before[k].iter().all(|&b| done[b]))?;
        done[next] = true;
        let rule = &rules[next];
        let own_slot = matches!(&rule.input, In::Path(p) if p.segs == rule.target.segs)
            && reads[next].len() == 1
            && !rule.target.segs.is_empty();
        let amounts = own_slot
            && matches!(rule.out, Out::Money(_))
            && rule.rules.is_empty()
            && !rule.transforms.is_empty()
            // `fixed_amount` answers `None` for any transform that is not such arithmetic.
            && rule.transforms.iter().all(|t| t.fixed_amount(Decimal::ZERO).is_some());
        let target = &rule.target.segs;
        let scope = reads[next].iter().fold(target.len().saturating_sub(1), |n, p| {
            n.min(target.iter().zip(&p.segs).take_while(|(a, b)| a == b).count())
        });
        out.push(Step { rule: next, own_slot, scope, amounts });
    }
    Some(out)
}

/// What a rule writes, decided while the record is only read.
enum Write {
    /// The rule failed: nothing.
    Nothing,
    /// The target already holds exactly this text.
    Keep,
    /// Remove the target (never overwrite with empty).
    Remove,
    /// Write this value.
    Set(Value),
    /// Keep the byte range `start..end` of the target's own text (`trim`, `street`).
    Slice(usize, usize),
    /// Write the text in the scratch buffer.
    Text,
    /// Write Money: this amount, the currency in the scratch buffer.
    Money(Decimal),
}

fn text_write(b: &str, slot: Option<&Value>, scratch: &mut String) -> Write {
    if let Some(Value::String(t)) = slot {
        let (tp, bp) = (t.as_ptr() as usize, b.as_ptr() as usize);
        if bp >= tp && bp + b.len() <= tp + t.len() {
            let start = bp - tp;
            return if b.len() == t.len() {
                Write::Keep
            } else {
                Write::Slice(start, start + b.len())
            };
        }
        if t == b {
            return Write::Keep;
        }
        // Into the target's own buffer.
        scratch.clear();
        scratch.push_str(b);
        return Write::Text;
    }
    Write::Set(Value::String(b.to_string()))
}

impl Rule {
    /// What to write for the rule's final value `v` (not empty); `target` gives the target's
    /// current value, for text that may be a part of it.
    fn decide<'a, 't>(
        &'a self,
        v: V<'a>,
        ctx: &Ctx<'a>,
        target: impl FnOnce() -> Option<&'t Value>,
        scratch: &mut String,
        failures: &mut Vec<FieldFailure>,
    ) -> Write {
        // `v` is not empty: `Final::Empty` stands for that.
        let v = match (&self.out, v) {
            (Out::Text | Out::Any, V::Text(Cow::Owned(s))) => return Write::Set(Value::String(s)),
            (Out::Text | Out::Any, V::Text(Cow::Borrowed(b))) => {
                return text_write(b, target(), scratch);
            }
            (_, v) => v,
        };
        if let Out::Money(_) = self.out {
            if let Some((amount, currency)) = v.money() {
                scratch.clear();
                scratch.push_str(&currency);
                return Write::Money(amount);
            }
        }
        match self.out.convert(&v, ctx) {
            Ok(json) => Write::Set(json),
            Err(message) => {
                failures.push(self.type_failure(&v, Prefix(None), message));
                Write::Nothing
            }
        }
    }

    /// What to write for the rule's result (`None`: the rule failed).
    fn settle<'a, 't>(
        &'a self,
        result: Option<Final<'a>>,
        ctx: &Ctx<'a>,
        target: impl FnOnce() -> Option<&'t Value>,
        scratch: &mut String,
        failures: &mut Vec<FieldFailure>,
    ) -> Write {
        match result {
            None => Write::Nothing,
            Some(Final::Default(json)) => Write::Set(json.clone()),
            Some(Final::Empty) if self.keep_empty => Write::Set(self.out.empty()),
            Some(Final::Empty) => Write::Remove,
            Some(Final::Value(v)) => self.decide(v, ctx, target, scratch, failures),
        }
    }

    /// Runs the rule on the record.
    fn run(
        &self,
        record: &mut Value,
        step: &Step,
        scratch: &mut String,
        failures: &mut Vec<FieldFailure>,
    ) {
        // The rule reads nothing else: the context is never consulted.
        static NOTHING: Value = Value::Null;
        let alone = Ctx::new(&NOTHING, &NOTHING);
        let segs = &self.target.segs;
        if step.own_slot && !is_inner_element(record, segs) {
            let Some(slot) = path::get_mut(record, segs) else {
                // Its input is its own target, which is not there.
                let v = self.finish(V::Absent, &alone, Prefix(None), failures);
                let w = self.settle(v, &alone, || None, scratch, failures);
                return self.write(record, 0, w, scratch);
            };
            if step.amounts && self.amounts_in_place(slot) {
                return;
            }
            // The value is moved out of its slot: text transforms change it in place. A
            // failure leaves the slot empty, but a failed record is not given back.
            let v =
                self.finish(V::from_owned(std::mem::take(slot)), &alone, Prefix(None), failures);
            match self.settle(v, &alone, || None, scratch, failures) {
                Write::Remove => path::remove(record, segs),
                w => put(slot, w, scratch),
            }
            return;
        }
        // Every path of the rule starts with the same `step.scope` segments: run it on the
        // part of the record they lead to (as far as it exists), with the rest of each path.
        let (depth, part) = path::get_mut_partway(record, &segs[..step.scope]);
        let w = {
            let ctx = Ctx { root: &*part, here: &*part, depth };
            let v = self.value(&ctx, Prefix(None), failures);
            self.settle(v, &ctx, || path::get(&*part, &segs[depth..]), scratch, failures)
        };
        self.write(part, depth, w, scratch);
    }

    /// Applies the rule's amount arithmetic to a Money object's amount where it is; `false`,
    /// with nothing changed, when the slot is not a plain `{"amount", "currency"}` object or
    /// the arithmetic fails (the general path then reports why).
    fn amounts_in_place(&self, slot: &mut Value) -> bool {
        let Value::Object(m) = slot else { return false };
        if m.len() != 2 || !matches!(m.get("currency"), Some(Value::String(_))) {
            return false;
        }
        let Some(Value::String(amount)) = m.get_mut("amount") else { return false };
        if let [T::Round(scale, strategy)] = self.transforms.as_slice() {
            if crate::decimal_text::round_in_place(amount, *scale, *strategy) {
                return true;
            }
        }
        let Ok(mut d) = crate::value::parse_decimal(amount) else { return false };
        for t in &self.transforms {
            match t.fixed_amount(d) {
                Some(Some(x)) => d = x,
                _ => return false,
            }
        }
        amount.clear();
        write!(amount, "{d}").expect("writing to a String cannot fail");
        true
    }

    /// Writes at the rule's target in `record`, which stands for the target's first `depth`
    /// segments.
    fn write(&self, record: &mut Value, depth: usize, w: Write, scratch: &str) {
        let segs = &self.target.segs[depth..];
        match w {
            Write::Nothing | Write::Keep => {}
            Write::Remove => path::remove(record, segs),
            Write::Set(json) => path::set(record, segs, json),
            Write::Slice(start, end) => {
                if let Some(Value::String(t)) = path::get_mut(record, segs) {
                    t.truncate(end);
                    t.drain(..start);
                }
            }
            Write::Text => match path::get_mut(record, segs) {
                Some(Value::String(t)) => {
                    t.clear();
                    t.push_str(scratch);
                }
                _ => path::set(record, segs, Value::String(scratch.to_string())),
            },
            Write::Money(amount) => {
                if !money_in_place(path::get_mut(record, segs), amount, scratch) {
                    path::set(record, segs, money_json(amount, scratch));
                }
            }
        }
    }
}

/// Whether `segs` ends at an element of a list that is not the list's last. Such an element
/// cannot be removed (`path::remove` leaves it), so a rule that empties it must leave the
/// original value: it is not moved out of its slot.
fn is_inner_element(record: &Value, segs: &[Seg]) -> bool {
    let Some((Seg::Index(i), init)) = segs.split_last() else { return false };
    matches!(path::get(record, init), Some(Value::Array(a)) if i + 1 < a.len())
}

/// Overwrites an existing `{"amount", "currency"}` object's strings; `false` when the slot
/// is not exactly such an object.
fn money_in_place(slot: Option<&mut Value>, amount: Decimal, currency: &str) -> bool {
    let Some(Value::Object(m)) = slot else { return false };
    let fits = m.len() == 2
        && matches!(m.get("amount"), Some(Value::String(_)))
        && matches!(m.get("currency"), Some(Value::String(_)));
    if !fits {
        return false;
    }
    if let Some(Value::String(a)) = m.get_mut("amount") {
        a.clear();
        write!(a, "{amount}").expect("writing to a String cannot fail");
    }
    if let Some(Value::String(c)) = m.get_mut("currency") {
        if c != currency {
            c.clear();
            c.push_str(currency);
        }
    }
    true
}

/// Writes into the rule's own slot, emptied while the rule worked (nothing of it is left to
/// reuse, so there is nothing to keep or slice).
fn put(slot: &mut Value, w: Write, scratch: &str) {
    match w {
        Write::Nothing | Write::Keep | Write::Remove | Write::Slice(..) => {}
        Write::Set(json) => *slot = json,
        Write::Text => *slot = Value::String(scratch.to_string()),
        Write::Money(amount) => *slot = money_json(amount, scratch),
    }
}

impl MappingPlan {
    /// Whether [`MappingPlan::apply_owned`] works in place (no copy of the record): a
    /// `copy = "source"` plan without per-line rules or hooks whose rules can be ordered so
    /// that every rule reads original values.
    pub fn applies_in_place(&self) -> bool {
        self.in_place.is_some()
            && self.enabled
            && self.copy == CopyMode::Source
            && self.each.is_empty()
            && self.hooks.is_empty()
    }

    /// Applies the mapping to a source record's JSON that the caller gives away. The result
    /// is the same as [`MappingPlan::apply`]'s; when [`MappingPlan::applies_in_place`], the
    /// record is changed in place instead of copied first.
    pub fn apply_owned(&self, mut record: Value) -> Result<Applied, RecordFailure> {
        let order = match &self.in_place {
            Some(order) if self.applies_in_place() => order,
            _ => return self.apply(&record),
        };
        if let Some(s) = self.skips.iter().find(|s| s.when.holds(&record)) {
            return Ok(Applied::Skip(s.reason.clone()));
        }
        let mut scratch = SCRATCH.take();
        let mut failures: Vec<(usize, FieldFailure)> = Vec::new();
        let mut pending = Vec::new();
        for step in order {
            self.rules[step.rule].run(&mut record, step, &mut scratch, &mut pending);
            if !pending.is_empty() {
                failures.extend(pending.drain(..).map(|f| (step.rule, f)));
            }
        }
        SCRATCH.set(scratch);
        if failures.is_empty() {
            return Ok(Applied::Record(record));
        }
        // Report in rule order, as `apply` does.
        failures.sort_by_key(|(i, _)| *i);
        Err(RecordFailure { failures: failures.into_iter().map(|(_, f)| f).collect() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn segs(p: &str) -> Vec<Seg> {
        Path::parse(p).unwrap().segs
    }

    #[test]
    fn paths_touch_unless_they_part_at_different_keys() {
        assert!(touches(&segs("a.b"), &segs("a.b")));
        assert!(touches(&segs("a"), &segs("a.b")));
        assert!(touches(&segs("a.b[0]"), &segs("a")));
        assert!(touches(&segs("a[0].x"), &segs("a[1].y")));
        assert!(touches(&segs("a.x"), &segs("a[0]")));
        assert!(!touches(&segs("a.b"), &segs("a.c")));
        assert!(!touches(&segs("a[0].b"), &segs("a[0].c.d")));
    }
}
