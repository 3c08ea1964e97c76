//! JSON text → [`Node`] tree with spans: a small recursive-descent parser (serde_json keeps
//! no positions of values). Numbers are kept as written.

use std::ops::Range;

use super::node::{Entry, NV, Node};

/// Parses a JSON document; a syntax error comes back with its position.
pub(crate) fn parse(text: &str) -> Result<Node, (Range<usize>, String)> {
    let mut p = P { s: text.as_bytes(), text, i: 0, depth: 0 };
    p.ws();
    let n = p.value()?;
    p.ws();
    if p.i < p.s.len() {
        return Err(p.err("trailing characters after the document"));
    }
    Ok(n)
}

struct P<'t> {
    s: &'t [u8],
    text: &'t str,
    i: usize,
    depth: usize,
}

type Res<T> = Result<T, (Range<usize>, String)>;

impl P<'_> {
    fn err(&self, msg: &str) -> (Range<usize>, String) {
        (self.i..self.i + 1, msg.to_string())
    }

    fn ws(&mut self) {
        while self.i < self.s.len() && matches!(self.s[self.i], b' ' | b'\t' | b'\n' | b'\r') {
            self.i += 1;
        }
    }

    fn eat(&mut self, c: u8) -> bool {
        if self.s.get(self.i) == Some(&c) {
            self.i += 1;
            true
        } else {
            false
        }
    }

    fn value(&mut self) -> Res<Node> {
        let start = self.i;
        let v = match self.s.get(self.i) {
            None => return Err(self.err("unexpected end of input")),
            Some(b'{') => self.object()?,
            Some(b'[') => self.array()?,
            Some(b'"') => NV::Str(self.string()?),
            Some(b't') => self.word("true", NV::Bool(true))?,
            Some(b'f') => self.word("false", NV::Bool(false))?,
            Some(b'n') => self.word("null", NV::Null)?,
            Some(c) if *c == b'-' || c.is_ascii_digit() => self.number()?,
            Some(_) => return Err(self.err("expected a value")),
        };
        Ok(Node { span: start..self.i, v })
    }

    fn word(&mut self, w: &str, v: NV) -> Res<NV> {
        if self.s[self.i..].starts_with(w.as_bytes()) {
            self.i += w.len();
            Ok(v)
        } else {
            Err(self.err("expected a value"))
        }
    }

    fn number(&mut self) -> Res<NV> {
        let start = self.i;
        self.eat(b'-');
        let digits = |p: &mut Self| {
            let s = p.i;
            while p.i < p.s.len() && p.s[p.i].is_ascii_digit() {
                p.i += 1;
            }
            p.i > s
        };
        if !digits(self) {
            return Err(self.err("expected digits"));
        }
        if self.eat(b'.') && !digits(self) {
            return Err(self.err("expected digits after `.`"));
        }
        if self.eat(b'e') || self.eat(b'E') {
            let _ = self.eat(b'+') || self.eat(b'-');
            if !digits(self) {
                return Err(self.err("expected exponent digits"));
            }
        }
        Ok(NV::Number(self.text[start..self.i].to_string()))
    }

    fn string(&mut self) -> Res<String> {
        self.i += 1; // opening quote
        let mut out = String::new();
        loop {
            let run = self.i;
            while self.i < self.s.len()
                && !matches!(self.s[self.i], b'"' | b'\\')
                && self.s[self.i] >= 0x20
            {
                self.i += 1;
            }
            out.push_str(&self.text[run..self.i]);
            match self.s.get(self.i) {
                None => return Err(self.err("unterminated string")),
                Some(b'"') => {
                    self.i += 1;
                    return Ok(out);
                }
                Some(b'\\') => {
                    self.i += 1;
                    let c = *self.s.get(self.i).ok_or_else(|| self.err("unterminated string"))?;
                    self.i += 1;
                    match c {
                        b'"' => out.push('"'),
                        b'\\' => out.push('\\'),
                        b'/' => out.push('/'),
                        b'b' => out.push('\u{8}'),
                        b'f' => out.push('\u{c}'),
                        b'n' => out.push('\n'),
                        b'r' => out.push('\r'),
                        b't' => out.push('\t'),
                        b'u' => {
                            let hi = self.hex4()?;
                            let cp = if (0xD800..0xDC00).contains(&hi) {
                                if !(self.eat(b'\\') && self.eat(b'u')) {
                                    return Err(self.err("unpaired surrogate"));
                                }
                                let lo = self.hex4()?;
                                if !(0xDC00..0xE000).contains(&lo) {
                                    return Err(self.err("unpaired surrogate"));
                                }
                                0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00)
                            } else {
                                hi
                            };
                            out.push(char::from_u32(cp).ok_or_else(|| self.err("invalid escape"))?);
                        }
                        _ => return Err(self.err("invalid escape")),
                    }
                }
                Some(_) => return Err(self.err("control character in string")),
            }
        }
    }

    fn hex4(&mut self) -> Res<u32> {
        let h = self.text.get(self.i..self.i + 4).ok_or_else(|| self.err("short \\u escape"))?;
        let n = u32::from_str_radix(h, 16).map_err(|_| self.err("bad \\u escape"))?;
        self.i += 4;
        Ok(n)
    }

    fn nest(&mut self) -> Res<()> {
        self.depth += 1;
        if self.depth > 128 {
            return Err(self.err("nested too deeply"));
        }
        Ok(())
    }

    fn array(&mut self) -> Res<NV> {
        self.nest()?;
        self.i += 1;
        let mut items = Vec::new();
        self.ws();
        if !self.eat(b']') {
            loop {
                self.ws();
                items.push(self.value()?);
                self.ws();
                if self.eat(b']') {
                    break;
                }
                if !self.eat(b',') {
                    return Err(self.err("expected `,` or `]`"));
                }
            }
        }
        self.depth -= 1;
        Ok(NV::Array(items))
    }

    fn object(&mut self) -> Res<NV> {
        self.nest()?;
        self.i += 1;
        let mut entries: Vec<Entry> = Vec::new();
        self.ws();
        if !self.eat(b'}') {
            loop {
                self.ws();
                if self.s.get(self.i) != Some(&b'"') {
                    return Err(self.err("expected a key in quotes"));
                }
                let ks = self.i;
                let key = self.string()?;
                let kspan = ks..self.i;
                self.ws();
                if !self.eat(b':') {
                    return Err(self.err("expected `:`"));
                }
                self.ws();
                let v = self.value()?;
                if entries.iter().any(|e| e.0 == key) {
                    return Err((kspan, format!("duplicate key `{key}`")));
                }
                entries.push((key, kspan, v));
                self.ws();
                if self.eat(b'}') {
                    break;
                }
                if !self.eat(b',') {
                    return Err(self.err("expected `,` or `}`"));
                }
            }
        }
        self.depth -= 1;
        Ok(NV::Table(entries))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_with_spans() {
        let text = "{\n  \"a\": [1, -2.5e3, \"x\\u00e9\\ud83d\\ude00\"],\n  \"b\": {\"c\": null, \"d\": true}\n}";
        let n = parse(text).unwrap();
        let NV::Table(e) = &n.v else { panic!() };
        assert_eq!(e[0].0, "a");
        assert_eq!(&text[e[0].1.clone()], "\"a\"");
        let NV::Array(items) = &e[0].2.v else { panic!() };
        assert!(matches!(&items[1].v, NV::Number(s) if s == "-2.5e3"));
        assert!(matches!(&items[2].v, NV::Str(s) if s == "xé😀"));
        assert_eq!(&text[items[2].span.clone()], "\"x\\u00e9\\ud83d\\ude00\"");
    }

    #[test]
    fn rejects_bad_json_with_a_position() {
        for (bad, at) in [
            ("{\"a\" 1}", 5),
            ("[1,]", 3),
            ("{\"a\":1,\"a\":2}", 7),
            ("[01x]", 3),
            ("\"abc", 4),
            ("[1] x", 4),
        ] {
            let (span, msg) = parse(bad).unwrap_err();
            assert_eq!(span.start, at, "{bad}: {msg}");
        }
        let deep = "[".repeat(200);
        assert!(parse(&deep).unwrap_err().1.contains("nested too deeply"));
    }
}
