//! A faster `regex_replace` for the common case of a pattern that is one character class
//! (`[^0-9+]`, `\s`) and a literal replacement: every match of such a pattern is exactly one
//! character, so replacing character by character gives what `Regex::replace_all` gives.
//! Membership of ASCII characters is a table built from the regex itself at load time; other
//! characters ask the regex.

use std::borrow::Cow;

use regex::Regex;

/// A one-character-class pattern with its literal replacement.
#[derive(Clone)]
pub(crate) struct CharClass {
    ascii: [bool; 128],
    re: Regex,
    with: String,
}

/// Whether `pattern` is a single character class (conservative: anything unusual is not).
fn is_single_class(pattern: &str) -> bool {
    if matches!(pattern, r"\s" | r"\S" | r"\d" | r"\D" | r"\w" | r"\W") {
        return true;
    }
    let Some(inner) = pattern.strip_prefix('[').and_then(|p| p.strip_suffix(']')) else {
        return false;
    };
    !inner.is_empty()
        && !inner.contains(['[', ']'])
        && !["&&", "--", "~~"].iter().any(|op| inner.contains(op))
        && !inner.ends_with('\\')
}

impl CharClass {
    /// The fast form of `re` → `with`, when there is one (`$` in `with` refers to groups:
    /// not literal).
    pub fn new(re: &Regex, with: &str) -> Option<CharClass> {
        if with.contains('$') || !is_single_class(re.as_str()) {
            return None;
        }
        let mut ascii = [false; 128];
        for (b, hit) in ascii.iter_mut().enumerate() {
            let c = [b as u8];
            *hit = re.is_match(std::str::from_utf8(&c).expect("ASCII"));
        }
        Some(CharClass { ascii, re: re.clone(), with: with.to_string() })
    }

    fn hit(&self, c: char) -> bool {
        if c.is_ascii() {
            self.ascii[c as usize]
        } else {
            let mut buf = [0u8; 4];
            self.re.is_match(c.encode_utf8(&mut buf))
        }
    }

    /// Replaces every character of the class; the text itself when there is none.
    pub fn replace<'a>(&self, s: Cow<'a, str>) -> Cow<'a, str> {
        if s.is_ascii() {
            if !s.bytes().any(|b| self.ascii[usize::from(b)]) {
                return s;
            }
            if self.with.is_empty() {
                // Removing ASCII bytes from ASCII text leaves ASCII text.
                let mut bytes = s.into_owned().into_bytes();
                bytes.retain(|&b| !self.ascii[usize::from(b)]);
                return Cow::Owned(String::from_utf8(bytes).expect("ASCII"));
            }
        } else if !s.chars().any(|c| self.hit(c)) {
            return s;
        }
        if self.with.is_empty() {
            // Removing characters: in place when the text is owned.
            let mut out = s.into_owned();
            out.retain(|c| !self.hit(c));
            return Cow::Owned(out);
        }
        let mut out = String::with_capacity(s.len());
        // Runs of text, each ending with one character of the class (but the last, maybe).
        for run in s.split_inclusive(|c: char| self.hit(c)) {
            match run.chars().next_back() {
                Some(c) if self.hit(c) => {
                    out.push_str(&run[..run.len() - c.len_utf8()]);
                    out.push_str(&self.with);
                }
                _ => out.push_str(run),
            }
        }
        Cow::Owned(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_result_as_the_regex() {
        let inputs =
            ["+31 (0)20-123 45 67", "NL 0012 3456 7B01", "", "äö ü\u{a0}x", "abc", "\t1\n2"];
        for (pattern, with) in [
            ("[^0-9+]", ""),
            (r"\s", ""),
            (r"\s", "_"),
            ("[a-zä]", "#"),
            (r"\d", "9"),
            (r"[\s-]", ""),
        ] {
            let re = Regex::new(pattern).unwrap();
            let fast = CharClass::new(&re, with).unwrap_or_else(|| panic!("{pattern}"));
            for s in inputs {
                assert_eq!(
                    fast.replace(Cow::Borrowed(s)),
                    re.replace_all(s, with),
                    "{pattern} {s:?}"
                );
            }
        }
    }

    #[test]
    fn other_patterns_keep_the_regex() {
        for (pattern, with) in
            [(r"\s+", ""), ("[a-z]+", ""), ("a", ""), ("[[:alpha:]]", ""), ("[ab]", "$0")]
        {
            assert!(CharClass::new(&Regex::new(pattern).unwrap(), with).is_none(), "{pattern}");
        }
    }
}
