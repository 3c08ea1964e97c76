//! Dotted paths into a record's JSON: `name`, `addresses[0].lines[0]`, `meta.raw.Street`,
//! `meta.raw["Billing Street"]`, and `/currency` (the record's root, from a per-line rule).
//! Parsed once into segment vectors; reading allocates nothing.

use std::fmt;

use serde_json::{Map, Value};

/// One step of a path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Seg {
    /// An object member.
    Key(Box<str>),
    /// An array element.
    Index(usize),
}

/// A parsed path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Path {
    /// The path as written.
    pub text: String,
    /// Its segments.
    pub segs: Vec<Seg>,
    /// Whether it starts at the record's root (`/currency`) rather than at the current line.
    pub rooted: bool,
}

impl fmt::Display for Path {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl Path {
    /// Parses a path; the error says what is wrong.
    pub fn parse(text: &str) -> Result<Path, String> {
        let mut segs = Vec::new();
        let (rooted, body) = match text.strip_prefix('/') {
            Some(rest) => (true, rest),
            None => (false, text),
        };
        if body.trim().is_empty() {
            return Err("empty path".into());
        }
        let b = body.as_bytes();
        let mut i = 0;
        let mut expect_key = true;
        while i < b.len() {
            match b[i] {
                b'[' => {
                    let close = body[i..]
                        .find(']')
                        .map(|j| i + j)
                        .ok_or_else(|| format!("unclosed `[` in path `{text}`"))?;
                    let inner = body[i + 1..close].trim();
                    if let Some(q) = inner.strip_prefix('"').and_then(|s| s.strip_suffix('"')) {
                        segs.push(Seg::Key(q.into()));
                    } else {
                        let n = inner.parse::<usize>().map_err(|_| {
                            format!("`[{inner}]` in path `{text}` is not an array index")
                        })?;
                        segs.push(Seg::Index(n));
                    }
                    i = close + 1;
                    expect_key = false;
                }
                b'.' => {
                    if expect_key {
                        return Err(format!("empty segment in path `{text}`"));
                    }
                    i += 1;
                    expect_key = true;
                    if i == b.len() {
                        return Err(format!("path `{text}` ends with `.`"));
                    }
                }
                b']' => return Err(format!("unexpected `]` in path `{text}`")),
                _ => {
                    if !expect_key {
                        return Err(format!(
                            "missing `.` before `{}` in path `{text}`",
                            &body[i..]
                        ));
                    }
                    let end = body[i..].find(['.', '[', ']']).map_or(b.len(), |j| i + j);
                    let key = body[i..end].trim();
                    if key.is_empty() {
                        return Err(format!("empty segment in path `{text}`"));
                    }
                    segs.push(Seg::Key(key.into()));
                    i = end;
                    expect_key = false;
                }
            }
        }
        if expect_key && !segs.is_empty() {
            return Err(format!("path `{text}` ends with `.`"));
        }
        Ok(Path { text: text.to_string(), segs, rooted })
    }

    /// The first key, if the path starts with one.
    pub fn head(&self) -> Option<&str> {
        match self.segs.first() {
            Some(Seg::Key(k)) => Some(k),
            _ => None,
        }
    }
}

/// Reads the value at `segs`; `None` when any step is missing.
pub fn get<'v>(mut v: &'v Value, segs: &[Seg]) -> Option<&'v Value> {
    for s in segs {
        v = match (s, v) {
            (Seg::Key(k), Value::Object(m)) => m.get(&**k)?,
            (Seg::Index(i), Value::Array(a)) => a.get(*i)?,
            _ => return None,
        };
    }
    Some(v)
}

/// The value at `segs`, to change in place; `None` when any step is missing or of another
/// shape.
pub fn get_mut<'v>(mut v: &'v mut Value, segs: &[Seg]) -> Option<&'v mut Value> {
    for s in segs {
        v = match (s, v) {
            (Seg::Key(k), Value::Object(m)) => m.get_mut(&**k)?,
            (Seg::Index(i), Value::Array(a)) => a.get_mut(*i)?,
            _ => return None,
        };
    }
    Some(v)
}

/// Follows `segs` as far as the record has them: how many steps it took and the value it
/// reached.
pub fn get_mut_partway<'v>(mut v: &'v mut Value, segs: &[Seg]) -> (usize, &'v mut Value) {
    for (i, s) in segs.iter().enumerate() {
        let next = match (s, &*v) {
            (Seg::Key(k), Value::Object(m)) => m.contains_key(&**k),
            (Seg::Index(n), Value::Array(a)) => *n < a.len(),
            _ => false,
        };
        if !next {
            return (i, v);
        }
        v = match (s, v) {
            (Seg::Key(k), Value::Object(m)) => m.get_mut(&**k).expect("checked above"),
            (Seg::Index(n), Value::Array(a)) => &mut a[*n],
            _ => unreachable!("checked above"),
        };
    }
    (segs.len(), v)
}

/// Writes `value` at `segs`, creating objects and arrays on the way (arrays are padded with
/// empty objects, arrays or strings as the path's next step needs). A step into a value of
/// another shape replaces it.
pub fn set(root: &mut Value, segs: &[Seg], value: Value) {
    let Some((last, init)) = segs.split_last() else {
        *root = value;
        return;
    };
    let mut v = root;
    for (i, s) in init.iter().enumerate() {
        let next = &segs[i + 1];
        v = step_mut(v, s, next);
    }
    match last {
        Seg::Key(k) => {
            let m = as_object(v);
            match m.get_mut(&**k) {
                Some(slot) => *slot = value,
                None => {
                    m.insert(String::from(&**k), value);
                }
            }
        }
        Seg::Index(n) => {
            let a = as_array(v);
            while a.len() <= *n {
                a.push(Value::String(String::new()));
            }
            a[*n] = value;
        }
    }
}

fn step_mut<'v>(v: &'v mut Value, s: &Seg, next: &Seg) -> &'v mut Value {
    let blank = || match next {
        Seg::Key(_) => Value::Object(Map::new()),
        Seg::Index(_) => Value::Array(Vec::new()),
    };
    match s {
        Seg::Key(k) => {
            let m = as_object(v);
            if !m.get(&**k).is_some_and(|x| x.is_object() || x.is_array()) {
                m.insert(String::from(&**k), blank());
            }
            m.get_mut(&**k).expect("inserted above")
        }
        Seg::Index(n) => {
            let a = as_array(v);
            while a.len() <= *n {
                a.push(blank());
            }
            if !(a[*n].is_object() || a[*n].is_array()) {
                a[*n] = blank();
            }
            &mut a[*n]
        }
    }
}

fn as_object(v: &mut Value) -> &mut Map<String, Value> {
    if !v.is_object() {
        *v = Value::Object(Map::new());
    }
    match v {
        Value::Object(m) => m,
        _ => unreachable!("made an object above"),
    }
}

fn as_array(v: &mut Value) -> &mut Vec<Value> {
    if !v.is_array() {
        *v = Value::Array(Vec::new());
    }
    match v {
        Value::Array(a) => a,
        _ => unreachable!("made an array above"),
    }
}

/// Removes the value at `segs` (an object member is removed; an array element becomes null
/// only if it is the last, else it is left alone so indexes do not shift).
pub fn remove(root: &mut Value, segs: &[Seg]) {
    let Some((last, init)) = segs.split_last() else { return };
    let mut v = root;
    for s in init {
        v = match (s, v) {
            (Seg::Key(k), Value::Object(m)) => match m.get_mut(&**k) {
                Some(x) => x,
                None => return,
            },
            (Seg::Index(i), Value::Array(a)) => match a.get_mut(*i) {
                Some(x) => x,
                None => return,
            },
            _ => return,
        };
    }
    match (last, v) {
        (Seg::Key(k), Value::Object(m)) => {
            m.remove(&**k);
        }
        (Seg::Index(i), Value::Array(a)) if *i + 1 == a.len() => {
            a.pop();
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn parses_keys_indexes_quotes_and_root() {
        let p = Path::parse("addresses[0].lines[1]").unwrap();
        assert_eq!(
            p.segs,
            vec![
                Seg::Key("addresses".into()),
                Seg::Index(0),
                Seg::Key("lines".into()),
                Seg::Index(1)
            ]
        );
        let p = Path::parse(r#"meta.raw["Billing Street"]"#).unwrap();
        assert_eq!(p.segs[2], Seg::Key("Billing Street".into()));
        let p = Path::parse("/currency").unwrap();
        assert!(p.rooted);
        assert_eq!(p.head(), Some("currency"));
    }

    #[test]
    fn rejects_broken_paths() {
        for bad in ["", "a..b", "a.", "a[x]", "a[0", "a]b", ".a", "a[0]b"] {
            assert!(Path::parse(bad).is_err(), "{bad:?} should be rejected");
        }
    }

    #[test]
    fn get_set_remove() {
        let mut v = json!({"a": {"b": [1, 2]}});
        let p = Path::parse("a.b[1]").unwrap();
        assert_eq!(get(&v, &p.segs), Some(&json!(2)));
        assert_eq!(get(&v, &Path::parse("a.c").unwrap().segs), None);
        assert_eq!(get(&v, &Path::parse("a.b.c").unwrap().segs), None);
        set(&mut v, &Path::parse("x.y[1].z").unwrap().segs, json!("q"));
        assert_eq!(v["x"]["y"], json!([{}, {"z": "q"}]));
        remove(&mut v, &Path::parse("a.b").unwrap().segs);
        assert_eq!(v["a"], json!({}));
        remove(&mut v, &Path::parse("nope.deeper").unwrap().segs);
        set(&mut v, &Path::parse("a").unwrap().segs, json!(1));
        set(&mut v, &Path::parse("a.b").unwrap().segs, json!(2));
        assert_eq!(v["a"], json!({"b": 2}));
    }
}
