//! `$filter`: comparisons (`eq ne gt ge lt le`) of a field with a typed literal
//! (`'text'`, `guid'…'`, `datetime'…'`, `123`, `123L`, `true`), joined by `and`.

use serde_json::Value;

#[derive(Debug, Clone, PartialEq)]
pub enum Lit {
    Text(String),
    Guid(String),
    DateTime(i64),
    Int(i64),
    Bool(bool),
}

#[derive(Debug, Clone)]
pub struct Cmp {
    pub field: String,
    pub op: String,
    pub lit: Lit,
}

fn split_and(s: &str) -> Vec<String> {
    let mut parts = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    let chars: Vec<char> = s.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '\'' {
            quoted = !quoted;
        }
        if !quoted && chars[i..].iter().collect::<String>().to_lowercase().starts_with(" and ") {
            parts.push(std::mem::take(&mut cur));
            i += 5;
            continue;
        }
        cur.push(c);
        i += 1;
    }
    parts.push(cur);
    parts
}

fn lit(s: &str) -> Option<Lit> {
    let s = s.trim();
    let quoted = |p: &str| -> Option<String> {
        let rest = s.strip_prefix(p)?.strip_prefix('\'')?.strip_suffix('\'')?;
        Some(rest.replace("''", "'"))
    };
    if let Some(g) = quoted("guid") {
        return Some(Lit::Guid(g.to_lowercase()));
    }
    if let Some(d) = quoted("datetime") {
        let t = chrono::NaiveDateTime::parse_from_str(&d, "%Y-%m-%dT%H:%M:%S%.f")
            .or_else(|_| chrono::NaiveDateTime::parse_from_str(&d, "%Y-%m-%dT%H:%M:%S"))
            .or_else(|_| chrono::NaiveDateTime::parse_from_str(&d, "%Y-%m-%dT%H:%M"))
            .ok()?;
        return Some(Lit::DateTime(t.and_utc().timestamp_millis()));
    }
    if let Some(t) = quoted("") {
        return Some(Lit::Text(t));
    }
    match s {
        "true" => return Some(Lit::Bool(true)),
        "false" => return Some(Lit::Bool(false)),
        _ => {}
    }
    s.trim_end_matches('L').parse().ok().map(Lit::Int)
}

pub fn parse(s: &str) -> Option<Vec<Cmp>> {
    split_and(s)
        .into_iter()
        .map(|part| {
            let part = part.trim().trim_start_matches('(').trim_end_matches(')');
            let mut it = part.splitn(3, ' ');
            let field = it.next()?.to_owned();
            let op = it.next()?.to_lowercase();
            if !["eq", "ne", "gt", "ge", "lt", "le"].contains(&op.as_str()) {
                return None;
            }
            Some(Cmp { field, op, lit: lit(it.next()?)? })
        })
        .collect()
}

fn ord(op: &str, o: std::cmp::Ordering) -> bool {
    use std::cmp::Ordering::*;
    match op {
        "eq" => o == Equal,
        "ne" => o != Equal,
        "gt" => o == Greater,
        "ge" => o != Less,
        "lt" => o == Less,
        "le" => o != Greater,
        _ => false,
    }
}

pub fn eval(c: &[Cmp], v: &Value) -> bool {
    c.iter().all(|c| {
        let field = &v[c.field.as_str()];
        match &c.lit {
            // SQL collation: text compares without case.
            Lit::Text(t) => {
                field.as_str().is_some_and(|f| ord(&c.op, f.to_lowercase().cmp(&t.to_lowercase())))
            }
            Lit::Guid(g) => field.as_str().is_some_and(|f| ord(&c.op, f.to_lowercase().cmp(g))),
            Lit::DateTime(ms) => super::ms_of(field).is_some_and(|f| ord(&c.op, f.cmp(ms))),
            Lit::Int(n) => field.as_i64().is_some_and(|f| ord(&c.op, f.cmp(n))),
            Lit::Bool(b) => field.as_bool().is_some_and(|f| ord(&c.op, f.cmp(b))),
        }
    })
}
