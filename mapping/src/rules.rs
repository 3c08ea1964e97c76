//! Compiled validation rules on a field's final value.

use regex::Regex;

use crate::functions::Predicate;
use crate::value::V;

/// A compiled rule.
#[derive(Clone)]
pub(crate) enum R {
    Required,
    Regex(Regex),
    Digits,
    MaxLen(usize),
    OneOf(Vec<String>),
    Custom(String, Predicate),
}

impl std::fmt::Debug for R {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.name())
    }
}

impl R {
    /// The rule's name in messages.
    pub fn name(&self) -> String {
        match self {
            R::Required => "required".into(),
            R::Regex(re) => format!("regex {}", re.as_str()),
            R::Digits => "digits".into(),
            R::MaxLen(n) => format!("max_len {n}"),
            R::OneOf(_) => "one_of".into(),
            R::Custom(n, _) => n.clone(),
        }
    }

    /// Checks a value; the message says what is wrong. Rules other than `required` let a
    /// missing value through.
    pub fn check(&self, v: &V<'_>) -> Result<(), String> {
        self.check_value(v, v.is_empty())
    }

    /// [`R::check`] of a value whose emptiness is known.
    pub fn check_value(&self, v: &V<'_>, empty: bool) -> Result<(), String> {
        if empty {
            return match self {
                R::Required => Err("a value is required".into()),
                _ => Ok(()),
            };
        }
        if let R::Required = self {
            return Ok(());
        }
        let Some(s) = v.text() else {
            return Err(format!("expected text, got {}", v.kind_name()));
        };
        match self {
            R::Required => Ok(()),
            R::Regex(re) => {
                if re.is_match(&s) {
                    Ok(())
                } else {
                    Err(format!("does not match /{}/", re.as_str()))
                }
            }
            R::Digits => {
                if s.bytes().all(|b| b.is_ascii_digit()) {
                    Ok(())
                } else {
                    Err("only the digits 0-9 are allowed".into())
                }
            }
            R::MaxLen(n) => {
                let len = s.chars().count();
                if len <= *n {
                    Ok(())
                } else {
                    Err(format!("{len} characters; at most {n} allowed"))
                }
            }
            R::OneOf(allowed) => {
                if allowed.iter().any(|a| a == &*s) {
                    Ok(())
                } else {
                    Err(format!("not one of {}", allowed.join(", ")))
                }
            }
            R::Custom(name, p) => {
                if p(&s) {
                    Ok(())
                } else {
                    Err(format!("refused by predicate `{name}`"))
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::borrow::Cow;
    use std::sync::Arc;

    use serde_json::json;

    use super::*;

    fn t(s: &str) -> V<'_> {
        V::Text(Cow::Borrowed(s))
    }

    #[test]
    fn required() {
        assert!(R::Required.check(&t("x")).is_ok());
        assert_eq!(R::Required.check(&t("  ")).unwrap_err(), "a value is required");
        assert!(R::Required.check(&V::Absent).is_err());
        let zero = json!(0);
        assert!(R::Required.check(&V::from_json(Some(&zero))).is_ok());
    }

    #[test]
    fn others_skip_missing_and_refuse_bad_values() {
        let rules = [
            R::Regex(Regex::new("^[A-Z]{2}$").unwrap()),
            R::Digits,
            R::MaxLen(3),
            R::OneOf(vec!["a".into(), "b".into()]),
            R::Custom("even".into(), Arc::new(|s: &str| s.len() % 2 == 0)),
        ];
        for r in &rules {
            assert!(r.check(&V::Absent).is_ok(), "{r:?}");
            assert!(
                r.check(&V::List(vec![t("x")])).unwrap_err().contains("expected text"),
                "{r:?}"
            );
        }
        assert!(rules[0].check(&t("FI")).is_ok());
        assert!(rules[0].check(&t("fi")).unwrap_err().contains("does not match"));
        assert!(rules[1].check(&t("0123")).is_ok());
        assert!(rules[1].check(&t("12-3")).unwrap_err().contains("only the digits"));
        let n = json!(123);
        assert!(rules[1].check(&V::from_json(Some(&n))).is_ok());
        assert!(rules[2].check(&t("äöü")).is_ok());
        assert_eq!(rules[2].check(&t("abcd")).unwrap_err(), "4 characters; at most 3 allowed");
        assert!(rules[3].check(&t("b")).is_ok());
        assert_eq!(rules[3].check(&t("c")).unwrap_err(), "not one of a, b");
        assert!(rules[4].check(&t("ab")).is_ok());
        assert_eq!(rules[4].check(&t("abc")).unwrap_err(), "refused by predicate `even`");
    }
}
