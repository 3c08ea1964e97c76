//! Text helpers on the mapping's hot path: the same results as `str::trim`,
//! `str::to_uppercase` and friends, with a byte loop for ASCII text (nearly every field of a
//! business record) and the `std` functions for anything else.

use std::borrow::Cow;

/// Whether `b` is an ASCII byte that `char::is_whitespace` calls whitespace (space, tab, line
/// feed, vertical tab, form feed, carriage return).
#[inline]
fn ascii_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t'..=b'\r')
}

/// The byte ranges of the words of ASCII text: what `split_whitespace` gives, without
/// decoding characters.
pub(crate) fn ascii_words(s: &str) -> impl Iterator<Item = (usize, usize)> + '_ {
    let b = s.as_bytes();
    let mut i = 0;
    std::iter::from_fn(move || {
        while i < b.len() && ascii_space(b[i]) {
            i += 1;
        }
        if i == b.len() {
            return None;
        }
        let start = i;
        while i < b.len() && !ascii_space(b[i]) {
            i += 1;
        }
        Some((start, i))
    })
}

/// `s.trim()`.
#[inline]
pub(crate) fn trim(s: &str) -> &str {
    let b = s.as_bytes();
    let mut start = 0;
    let mut end = b.len();
    while start < end && ascii_space(b[start]) {
        start += 1;
    }
    while end > start && ascii_space(b[end - 1]) {
        end -= 1;
    }
    // A non-ASCII edge may be Unicode whitespace (no-break space, em space): ask `std`.
    if start < end && (b[start] >= 0x80 || b[end - 1] >= 0x80) {
        return s[start..end].trim();
    }
    &s[start..end]
}

/// The byte range of `part`, a slice of `whole`, within `whole`.
pub(crate) fn range_in(whole: &str, part: &str) -> (usize, usize) {
    let start = part.as_ptr() as usize - whole.as_ptr() as usize;
    (start, start + part.len())
}

/// Keeps the byte range `start..end` of `s` (on character boundaries), in place.
pub(crate) fn keep_range(mut s: String, start: usize, end: usize) -> String {
    s.truncate(end);
    if start > 0 {
        s.drain(..start);
    }
    s
}

/// `s.trim()` of text the caller owns, in place.
pub(crate) fn trim_owned(s: String) -> String {
    let (start, end) = range_in(&s, trim(&s));
    if end - start == s.len() { s } else { keep_range(s, start, end) }
}

/// `s.trim().is_empty()`.
#[inline]
pub(crate) fn is_blank(s: &str) -> bool {
    match s.as_bytes().first() {
        None => true,
        Some(&b) if b < 0x80 && !ascii_space(b) => false,
        _ => trim(s).is_empty(),
    }
}

/// `s.to_uppercase()`, borrowing `s` when nothing changes.
pub(crate) fn upper(s: Cow<'_, str>) -> Cow<'_, str> {
    if s.is_ascii() {
        if !s.bytes().any(|b| b.is_ascii_lowercase()) {
            return s;
        }
        let mut o = s.into_owned();
        o.make_ascii_uppercase();
        return Cow::Owned(o);
    }
    if s.chars().any(char::is_lowercase) { Cow::Owned(s.to_uppercase()) } else { s }
}

/// `s.to_lowercase()`, borrowing `s` when nothing changes.
pub(crate) fn lower(s: Cow<'_, str>) -> Cow<'_, str> {
    if s.is_ascii() {
        if !s.bytes().any(|b| b.is_ascii_uppercase()) {
            return s;
        }
        let mut o = s.into_owned();
        o.make_ascii_lowercase();
        return Cow::Owned(o);
    }
    if s.chars().any(char::is_uppercase) { Cow::Owned(s.to_lowercase()) } else { s }
}

/// Whether a word starts after `c` in title case.
fn starts_word(c: char) -> bool {
    c.is_whitespace() || matches!(c, '-' | '\'' | '(')
}

/// Title case: the first letter of every word upper case, the rest lower case (words start
/// after whitespace, `-`, `'` and `(`); borrows `s` when it already is.
pub(crate) fn title(s: Cow<'_, str>) -> Cow<'_, str> {
    if s.is_ascii() {
        let fits = |bytes: &[u8]| {
            let mut start = true;
            bytes.iter().all(|&b| {
                let ok = if start { !b.is_ascii_lowercase() } else { !b.is_ascii_uppercase() };
                start = starts_word(b as char);
                ok
            })
        };
        if fits(s.as_bytes()) {
            return s;
        }
        let mut out = s.into_owned();
        out.make_ascii_lowercase();
        let mut start = true;
        for i in 0..out.len() {
            let b = out.as_bytes()[i];
            if start {
                out[i..=i].make_ascii_uppercase();
            }
            start = starts_word(char::from(b));
        }
        return Cow::Owned(out);
    }
    let mut out = String::with_capacity(s.len());
    let mut start = true;
    for c in s.chars() {
        if start {
            out.extend(c.to_uppercase());
        } else {
            out.extend(c.to_lowercase());
        }
        start = starts_word(c);
    }
    if out == *s { s } else { Cow::Owned(out) }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLES: &[&str] = &[
        "",
        " ",
        "  Customer 1 B.V. ",
        "\t\n\x0b\x0c\r x \r\n",
        "\u{a0}no-break\u{a0}",
        "\u{2003}em\u{2003} ",
        "äö ü",
        " ÄÖ",
        "jan",
        "DE VRIES",
        "o'brien-smith (jr)",
        "Info1@Example.COM",
        "İstanbul",
        "straße",
        "x\u{85}",
    ];

    #[test]
    fn same_as_std() {
        for s in SAMPLES {
            assert_eq!(trim(s), s.trim(), "{s:?}");
            assert_eq!(is_blank(s), s.trim().is_empty(), "{s:?}");
            assert_eq!(upper(Cow::Borrowed(s)), s.to_uppercase(), "{s:?}");
            assert_eq!(lower(Cow::Borrowed(s)), s.to_lowercase(), "{s:?}");
        }
    }

    #[test]
    fn ascii_words_are_split_whitespace() {
        for s in SAMPLES.iter().filter(|s| s.is_ascii()).chain(&["a  b\tc ", "one", " \x0bx"]) {
            let words: Vec<&str> = ascii_words(s).map(|(a, b)| &s[a..b]).collect();
            assert_eq!(words, s.split_whitespace().collect::<Vec<_>>(), "{s:?}");
        }
    }

    #[test]
    fn title_case_of_ascii_and_unicode() {
        assert_eq!(title("jan".into()), "Jan");
        assert_eq!(title("DE VRIES".into()), "De Vries");
        assert_eq!(title("o'brien-smith (jr)".into()), "O'Brien-Smith (Jr)");
        assert_eq!(title("ÄNNE ölund".into()), "Änne Ölund");
        assert!(matches!(title("Jan De Vries".into()), Cow::Borrowed(_)));
        assert!(matches!(title("Änne".into()), Cow::Borrowed(_)));
    }

    #[test]
    fn unchanged_text_stays_borrowed() {
        assert!(matches!(upper("ABC 1".into()), Cow::Borrowed(_)));
        assert!(matches!(lower("abc 1".into()), Cow::Borrowed(_)));
    }
}
