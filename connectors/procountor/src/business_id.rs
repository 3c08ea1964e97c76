//! Finnish business IDs (Y-tunnus) and payment references.

/// Normalises and validates a Finnish business ID (`NNNNNNN-C`).
///
/// The check digit uses the weights 7, 9, 10, 5, 8, 4, 2 on the first seven digits:
/// `r = sum mod 11`; `r = 0` gives `C = 0`, `r = 1` is never valid, otherwise `C = 11 − r`.
/// Surrounding spaces are trimmed and an old six-digit id (`NNNNNN-C`) gets a leading zero.
/// Returns the normalised id, or why it is invalid.
pub fn normalize_business_id(raw: &str) -> Result<String, String> {
    let s = raw.trim();
    let (body, check) = s
        .split_once('-')
        .ok_or_else(|| format!("`{s}` is not a business ID: expected the form NNNNNNN-C"))?;
    if !body.bytes().all(|b| b.is_ascii_digit())
        || check.len() != 1
        || !check.bytes().all(|b| b.is_ascii_digit())
    {
        return Err(format!("`{s}` is not a business ID: expected the form NNNNNNN-C"));
    }
    let body = match body.len() {
        7 => body.to_owned(),
        6 => format!("0{body}"),
        _ => return Err(format!("`{s}` is not a business ID: expected seven digits before `-`")),
    };
    let expected = check_digit(&body).ok_or_else(|| {
        format!("`{s}` is not a valid business ID: no check digit fits its digits")
    })?;
    let given = u32::from(check.as_bytes()[0] - b'0');
    if given != expected {
        return Err(format!("`{s}` has a wrong check digit (expected {expected})"));
    }
    Ok(format!("{body}-{given}"))
}

/// Whether `raw` is a valid business ID (after trimming and the six-digit padding).
pub fn is_valid_business_id(raw: &str) -> bool {
    normalize_business_id(raw).is_ok()
}

/// The check digit of seven digits, `None` when the remainder is 1 (no valid id).
fn check_digit(seven: &str) -> Option<u32> {
    const WEIGHTS: [u32; 7] = [7, 9, 10, 5, 8, 4, 2];
    let sum: u32 = seven.bytes().zip(WEIGHTS).map(|(d, w)| u32::from(d - b'0') * w).sum();
    match sum % 11 {
        0 => Some(0),
        1 => None,
        r => Some(11 - r),
    }
}

/// Whether a bank reference (`bankReferenceCode`) carries a valid check digit: Finnish
/// references (4–20 digits, 7-3-1 weights from the right) or RF creditor references
/// (ISO 11649, mod 97). Spaces are ignored.
pub fn is_valid_bank_reference(raw: &str) -> bool {
    let s: String = raw.chars().filter(|c| !c.is_whitespace()).collect();
    if let Some(rest) = s.strip_prefix("RF").or_else(|| s.strip_prefix("rf")) {
        return is_valid_rf(rest);
    }
    if !(4..=20).contains(&s.len()) || !s.bytes().all(|b| b.is_ascii_digit()) {
        return false;
    }
    let digits = s.as_bytes();
    let (body, check) = digits.split_at(digits.len() - 1);
    const WEIGHTS: [u32; 3] = [7, 3, 1];
    let sum: u32 =
        body.iter().rev().zip(WEIGHTS.iter().cycle()).map(|(d, w)| u32::from(d - b'0') * w).sum();
    let expected = (10 - sum % 10) % 10;
    u32::from(check[0] - b'0') == expected
}

fn is_valid_rf(rest: &str) -> bool {
    if rest.len() < 3 || rest.len() > 23 || !rest.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return false;
    }
    let (check, reference) = rest.split_at(2);
    let rearranged = format!("{reference}RF{check}");
    let mut rem: u32 = 0;
    for c in rearranged.chars() {
        let Some(v) = c.to_digit(36) else {
            return false;
        };
        rem = if v >= 10 { (rem * 100 + v) % 97 } else { (rem * 10 + v) % 97 };
    }
    rem == 1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_valid_business_ids() {
        // Published ids of Finnish companies (Nokia Oyj, Kesko Oyj, Elisa Oyj), one whose
        // remainder is 0, and one more from the public register.
        for id in ["0112038-9", "0109862-8", "0116510-6", "1572860-0", "0737546-2"] {
            assert!(is_valid_business_id(id), "{id} should be valid");
            assert_eq!(normalize_business_id(id).unwrap(), id);
        }
    }

    #[test]
    fn known_invalid_business_ids() {
        for id in [
            "0112038-8", // wrong check digit
            "2328574-1", // remainder 1: no check digit is valid
            "1572860-1", // wrong check digit (remainder 0 gives 0)
            "112038",    // no check digit
            "01120389",  // no dash
            "0112038-89",
            "A112038-9",
            "12345678-9", // eight digits
            "",
        ] {
            assert!(!is_valid_business_id(id), "{id} should be invalid");
        }
    }

    #[test]
    fn remainder_one_is_never_valid() {
        let body = (0..10_000_000u32)
            .map(|n| format!("{n:07}"))
            .find(|b| {
                let sum: u32 = b
                    .bytes()
                    .zip([7, 9, 10, 5, 8, 4, 2])
                    .map(|(d, w)| u32::from(d - b'0') * w)
                    .sum();
                sum % 11 == 1
            })
            .unwrap();
        for c in 0..10 {
            assert!(!is_valid_business_id(&format!("{body}-{c}")));
        }
    }

    #[test]
    fn six_digit_ids_get_a_leading_zero() {
        assert_eq!(normalize_business_id(" 112038-9 ").unwrap(), "0112038-9");
        assert!(normalize_business_id("112038-8").is_err());
    }

    #[test]
    fn bank_references() {
        assert!(is_valid_bank_reference("1232"));
        assert!(is_valid_bank_reference("12345672"));
        assert!(is_valid_bank_reference("1234 5672"));
        assert!(!is_valid_bank_reference("12345673"));
        assert!(!is_valid_bank_reference("12"));
        assert!(is_valid_bank_reference("RF18539007547034"));
        assert!(!is_valid_bank_reference("RF19539007547034"));
    }
}
