//! A SOQL subset: field lists with parent fields (`Account.Name`) and child subqueries
//! (`(SELECT … FROM OrderItems)`), `WHERE` with `AND`/`OR`/parentheses, `=`/`!=`/`<`/`>`/
//! `<=`/`>=`/`IN` (a list or a subquery), unquoted datetimes, `ORDER BY`, `LIMIT`.

#[derive(Debug, Clone, PartialEq)]
pub enum Tok {
    Word(String),
    Str(String),
    Sym(String),
}

pub fn lex(s: &str) -> Option<Vec<Tok>> {
    let c: Vec<char> = s.chars().collect();
    let mut i = 0;
    let mut out = Vec::new();
    while i < c.len() {
        let ch = c[i];
        if ch.is_whitespace() {
            i += 1;
        } else if ch == '\'' {
            let mut v = String::new();
            i += 1;
            loop {
                let x = *c.get(i)?;
                i += 1;
                match x {
                    '\\' => {
                        v.push(*c.get(i)?);
                        i += 1;
                    }
                    '\'' => break,
                    _ => v.push(x),
                }
            }
            out.push(Tok::Str(v));
        } else if "(),".contains(ch) {
            out.push(Tok::Sym(ch.to_string()));
            i += 1;
        } else if "=<>!".contains(ch) {
            let mut v = ch.to_string();
            if c.get(i + 1) == Some(&'=') || (ch == '<' && c.get(i + 1) == Some(&'>')) {
                v.push(c[i + 1]);
                i += 1;
            }
            out.push(Tok::Sym(v));
            i += 1;
        } else {
            let mut v = String::new();
            while i < c.len() && !c[i].is_whitespace() && !"(),=<>!'".contains(c[i]) {
                v.push(c[i]);
                i += 1;
            }
            out.push(Tok::Word(v));
        }
    }
    Some(out)
}

#[derive(Debug, Clone)]
pub enum Field {
    Path(String),
    Sub(Box<Query>),
}

#[derive(Debug, Clone)]
pub enum Lit {
    Str(String),
    Num(String),
    Bool(bool),
    Null,
    Time(String),
}

#[derive(Debug, Clone)]
pub enum Expr {
    And(Box<Expr>, Box<Expr>),
    Or(Box<Expr>, Box<Expr>),
    Cmp(String, String, Lit),
    In(String, Vec<Lit>),
    InSub(String, Box<Query>),
}

#[derive(Debug, Clone)]
pub struct Query {
    pub fields: Vec<Field>,
    pub from: String,
    pub filter: Option<Expr>,
    pub order: Vec<(String, bool)>,
    pub limit: Option<usize>,
}

struct P {
    t: Vec<Tok>,
    i: usize,
}

impl P {
    fn peek(&self) -> Option<&Tok> {
        self.t.get(self.i)
    }
    fn kw(&mut self, k: &str) -> bool {
        if matches!(self.peek(), Some(Tok::Word(w)) if w.eq_ignore_ascii_case(k)) {
            self.i += 1;
            true
        } else {
            false
        }
    }
    fn sym(&mut self, s: &str) -> bool {
        if matches!(self.peek(), Some(Tok::Sym(x)) if x == s) {
            self.i += 1;
            true
        } else {
            false
        }
    }
    fn word(&mut self) -> Option<String> {
        match self.peek()? {
            Tok::Word(w) => {
                let w = w.clone();
                self.i += 1;
                Some(w)
            }
            _ => None,
        }
    }
    fn query(&mut self) -> Option<Query> {
        if !self.kw("SELECT") {
            return None;
        }
        let mut fields = Vec::new();
        loop {
            if self.sym("(") {
                let q = self.query()?;
                if !self.sym(")") {
                    return None;
                }
                fields.push(Field::Sub(Box::new(q)));
            } else {
                fields.push(Field::Path(self.word()?));
            }
            if !self.sym(",") {
                break;
            }
        }
        if !self.kw("FROM") {
            return None;
        }
        let from = self.word()?;
        let filter = if self.kw("WHERE") { Some(self.or()?) } else { None };
        let mut order = Vec::new();
        if self.kw("ORDER") {
            if !self.kw("BY") {
                return None;
            }
            loop {
                let f = self.word()?;
                let desc = if self.kw("DESC") {
                    true
                } else {
                    self.kw("ASC");
                    false
                };
                order.push((f, desc));
                if !self.sym(",") {
                    break;
                }
            }
        }
        let limit = if self.kw("LIMIT") { self.word()?.parse().ok() } else { None };
        Some(Query { fields, from, filter, order, limit })
    }
    fn or(&mut self) -> Option<Expr> {
        let mut l = self.and()?;
        while self.kw("OR") {
            l = Expr::Or(Box::new(l), Box::new(self.and()?));
        }
        Some(l)
    }
    fn and(&mut self) -> Option<Expr> {
        let mut l = self.atom()?;
        while self.kw("AND") {
            l = Expr::And(Box::new(l), Box::new(self.atom()?));
        }
        Some(l)
    }
    fn lit(&mut self) -> Option<Lit> {
        match self.peek()?.clone() {
            Tok::Str(s) => {
                self.i += 1;
                Some(Lit::Str(s))
            }
            Tok::Word(w) => {
                self.i += 1;
                Some(match w.to_ascii_lowercase().as_str() {
                    "true" => Lit::Bool(true),
                    "false" => Lit::Bool(false),
                    "null" => Lit::Null,
                    _ if w.contains('T') && w.contains(':') => Lit::Time(w),
                    _ => Lit::Num(w),
                })
            }
            Tok::Sym(_) => None,
        }
    }
    fn atom(&mut self) -> Option<Expr> {
        if self.sym("(") {
            let e = self.or()?;
            return self.sym(")").then_some(e);
        }
        let f = self.word()?;
        if self.kw("IN") {
            if !self.sym("(") {
                return None;
            }
            if matches!(self.peek(), Some(Tok::Word(w)) if w.eq_ignore_ascii_case("SELECT")) {
                let q = self.query()?;
                return self.sym(")").then(|| Expr::InSub(f, Box::new(q)));
            }
            let mut list = Vec::new();
            loop {
                list.push(self.lit()?);
                if !self.sym(",") {
                    break;
                }
            }
            return self.sym(")").then_some(Expr::In(f, list));
        }
        let op = match self.peek()? {
            Tok::Sym(s) if ["=", "!=", "<>", "<", ">", "<=", ">="].contains(&s.as_str()) => {
                s.clone()
            }
            _ => return None,
        };
        self.i += 1;
        Some(Expr::Cmp(f, op, self.lit()?))
    }
}

pub fn parse(s: &str) -> Option<Query> {
    let mut p = P { t: lex(s)?, i: 0 };
    let q = p.query()?;
    (p.i == p.t.len()).then_some(q)
}
