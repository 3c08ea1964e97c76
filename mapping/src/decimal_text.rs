//! Rounding an amount in its text form. An amount that is already plain decimal notation
//! (`12500.455`) is rounded digit by digit, giving exactly the text that parsing it as a
//! `Decimal`, `round_dp_with_strategy`, `rescale` and printing would give, without the
//! round trip. Anything else (exponents, leading zeros, `+`, very long numbers, a negative
//! amount that rounds to zero) is left to `Decimal`.

use rust_decimal::RoundingStrategy;

/// At most this many digits, before and after rounding: well inside `Decimal`'s 28.
const MAX_DIGITS: usize = 27;

/// Rounds `s` in place to `scale` decimal places and pads it to exactly that many; `false`,
/// with `s` untouched, when `s` is not plain notation that `Decimal` prints back as it is.
pub(crate) fn round_in_place(s: &mut String, scale: u32, strategy: RoundingStrategy) -> bool {
    let scale = scale as usize;
    let b = s.as_bytes();
    let neg = b.first() == Some(&b'-');
    let body = &b[usize::from(neg)..];
    let (int, frac, dot) = match body.iter().position(|&c| c == b'.') {
        Some(i) => (&body[..i], &body[i + 1..], true),
        None => (body, &body[body.len()..], false),
    };
    let digits = |x: &[u8]| x.iter().all(u8::is_ascii_digit);
    if int.is_empty()
        || (dot && frac.is_empty())
        || !digits(int)
        || !digits(frac)
        || (int.len() > 1 && int[0] == b'0')
        || int.len() + frac.len().max(scale) > MAX_DIGITS
    {
        return false;
    }
    let zero = |x: &[u8]| x.iter().all(|&c| c == b'0');
    if frac.len() <= scale {
        if neg && zero(int) && zero(frac) {
            return false;
        }
        let have = frac.len();
        if scale > 0 && !dot {
            s.push('.');
        }
        for _ in have..scale {
            s.push('0');
        }
        return true;
    }
    let dropped = &frac[scale..];
    let first = dropped[0] - b'0';
    let rest = !zero(&dropped[1..]);
    let last_kept = if scale > 0 { frac[scale - 1] } else { int[int.len() - 1] } - b'0';
    let up = match strategy {
        RoundingStrategy::ToZero => false,
        RoundingStrategy::AwayFromZero => first > 0 || rest,
        RoundingStrategy::MidpointAwayFromZero => first >= 5,
        RoundingStrategy::MidpointNearestEven => {
            first > 5 || (first == 5 && (rest || last_kept % 2 == 1))
        }
        _ => return false,
    };
    if neg && !up && zero(int) && zero(&frac[..scale]) {
        return false;
    }
    let keep = usize::from(neg) + int.len() + if scale > 0 { 1 + scale } else { 0 };
    s.truncate(keep);
    if up {
        let mut bytes = std::mem::take(s).into_bytes();
        let start = usize::from(neg);
        let mut carry = true;
        for c in bytes[start..].iter_mut().rev() {
            match *c {
                b'.' => continue,
                b'9' => *c = b'0',
                _ => {
                    *c += 1;
                    carry = false;
                    break;
                }
            }
        }
        if carry {
            bytes.insert(start, b'1');
        }
        *s = String::from_utf8(bytes).expect("digits, a point and a sign are ASCII");
    }
    true
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use proptest::prelude::*;
    use rust_decimal::Decimal;

    use super::*;

    const STRATEGIES: [RoundingStrategy; 4] = [
        RoundingStrategy::ToZero,
        RoundingStrategy::AwayFromZero,
        RoundingStrategy::MidpointAwayFromZero,
        RoundingStrategy::MidpointNearestEven,
    ];

    /// What the `Decimal` round trip prints.
    fn by_decimal(s: &str, scale: u32, strategy: RoundingStrategy) -> String {
        let mut d = Decimal::from_str(s).unwrap().round_dp_with_strategy(scale, strategy);
        d.rescale(scale);
        d.to_string()
    }

    fn check(s: &str, scale: u32, strategy: RoundingStrategy) {
        let mut t = s.to_string();
        if round_in_place(&mut t, scale, strategy) {
            assert_eq!(t, by_decimal(s, scale, strategy), "{s} to {scale} ({strategy:?})");
        } else {
            assert_eq!(t, s, "left alone");
        }
    }

    #[test]
    fn same_text_as_the_decimal_round_trip() {
        for s in [
            "12500.455",
            "12500.4",
            "12500",
            "0.005",
            "0.015",
            "0.025",
            "9.995",
            "99.999",
            "-9.995",
            "-0.004",
            "-0.005",
            "0",
            "0.0",
            "-0",
            "1.2345",
            "2.5",
            "3.5",
            "-2.5",
            "999",
            "0.999",
            "-999.9999",
        ] {
            for scale in 0..4 {
                for strategy in STRATEGIES {
                    check(s, scale, strategy);
                }
            }
        }
    }

    #[test]
    fn other_notations_are_left_to_decimal() {
        for s in ["1e3", "+1.5", "01.5", ".5", "5.", "1.2.3", "", "-", "1 000", "١٢"] {
            let mut t = s.to_string();
            assert!(!round_in_place(&mut t, 2, RoundingStrategy::MidpointAwayFromZero), "{s}");
            assert_eq!(t, s);
        }
    }

    proptest! {
        #[test]
        fn matches_decimal_on_any_plain_amount(
            neg in any::<bool>(),
            int in "(0|[1-9][0-9]{0,12})",
            frac in proptest::option::of("[0-9]{1,10}"),
            scale in 0u32..6,
            strategy in 0usize..4,
        ) {
            let s = format!("{}{int}{}", if neg { "-" } else { "" },
                frac.map(|f| format!(".{f}")).unwrap_or_default());
            check(&s, scale, STRATEGIES[strategy]);
        }
    }
}
