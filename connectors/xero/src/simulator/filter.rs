//! `where` expressions: `A==“x”`, `A!=null`, `A.ToLower()==“x”`, `A.StartsWith(“x”)`, with
//! `&&`, `||` and parentheses.
use serde_json::Value;

#[derive(Debug)]
pub enum Expr {
    And(Box<Expr>, Box<Expr>),
    Or(Box<Expr>, Box<Expr>),
    Eq(String, bool, String),
    NotNull(String),
    StartsWith(String, String),
}

pub fn parse(s: &str) -> Option<Expr> {
    let mut p = P { s: s.as_bytes(), i: 0 };
    let e = p.or()?;
    p.ws();
    (p.i == p.s.len()).then_some(e)
}

struct P<'a> {
    s: &'a [u8],
    i: usize,
}

impl P<'_> {
    fn ws(&mut self) {
        while self.i < self.s.len() && self.s[self.i].is_ascii_whitespace() {
            self.i += 1;
        }
    }
    fn eat(&mut self, t: &str) -> bool {
        self.ws();
        if self.s[self.i..].starts_with(t.as_bytes()) {
            self.i += t.len();
            true
        } else {
            false
        }
    }
    fn or(&mut self) -> Option<Expr> {
        let mut l = self.and()?;
        while self.eat("||") {
            l = Expr::Or(Box::new(l), Box::new(self.and()?));
        }
        Some(l)
    }
    fn and(&mut self) -> Option<Expr> {
        let mut l = self.atom()?;
        while self.eat("&&") {
            l = Expr::And(Box::new(l), Box::new(self.atom()?));
        }
        Some(l)
    }
    fn ident(&mut self) -> Option<String> {
        self.ws();
        let start = self.i;
        while self.i < self.s.len()
            && (self.s[self.i].is_ascii_alphanumeric() || self.s[self.i] == b'_')
        {
            self.i += 1;
        }
        (self.i > start).then(|| String::from_utf8_lossy(&self.s[start..self.i]).into_owned())
    }
    fn string(&mut self) -> Option<String> {
        self.ws();
        if self.s.get(self.i) != Some(&b'"') {
            return None;
        }
        self.i += 1;
        let mut out = Vec::new();
        while self.i < self.s.len() {
            match self.s[self.i] {
                b'\\' if self.i + 1 < self.s.len() => {
                    out.push(self.s[self.i + 1]);
                    self.i += 2;
                }
                b'"' => {
                    self.i += 1;
                    return Some(String::from_utf8_lossy(&out).into_owned());
                }
                c => {
                    out.push(c);
                    self.i += 1;
                }
            }
        }
        None
    }
    fn atom(&mut self) -> Option<Expr> {
        if self.eat("(") {
            let e = self.or()?;
            return self.eat(")").then_some(e);
        }
        let field = self.ident()?;
        if self.eat(".ToLower()") {
            if !self.eat("==") {
                return None;
            }
            return Some(Expr::Eq(field, true, self.string()?));
        }
        if self.eat(".StartsWith(") {
            let v = self.string()?;
            return self.eat(")").then_some(Expr::StartsWith(field, v));
        }
        if self.eat("!=") {
            return self.eat("null").then_some(Expr::NotNull(field));
        }
        if self.eat("==") {
            return Some(Expr::Eq(field, false, self.string()?));
        }
        None
    }
}

pub fn eval(e: &Expr, v: &Value) -> bool {
    let text = |f: &str| v.get(f).and_then(Value::as_str).map(str::to_owned);
    match e {
        Expr::And(a, b) => eval(a, v) && eval(b, v),
        Expr::Or(a, b) => eval(a, v) || eval(b, v),
        Expr::NotNull(f) => v.get(f).is_some_and(|x| !x.is_null()),
        Expr::Eq(f, lower, want) => {
            text(f).is_some_and(|t| if *lower { t.to_lowercase() == *want } else { t == *want })
        }
        Expr::StartsWith(f, p) => text(f).is_some_and(|t| t.starts_with(p.as_str())),
    }
}
