use std::str::FromStr;

use serde_json::json;

use super::*;
use crate::spec::{Unmapped, ValueMapSpec};

fn run<'a>(t: &'a T, v: V<'a>, root: &'a Value) -> Result<V<'a>, Box<Refusal>> {
    t.apply(v, &Ctx::new(root, root))
}

fn text(s: &str) -> V<'_> {
    V::Text(Cow::Borrowed(s))
}

fn dec(s: &str) -> V<'static> {
    V::Dec(Decimal::from_str(s).unwrap())
}

#[test]
fn text_transforms() {
    let r = json!({});
    assert_eq!(run(&T::Trim, text("  a b "), &r).unwrap(), text("a b"));
    assert_eq!(run(&T::Trim, text("   "), &r).unwrap(), V::Absent);
    assert_eq!(run(&T::Upper, text("abc"), &r).unwrap(), text("ABC"));
    assert_eq!(run(&T::Lower, text("ÅBC"), &r).unwrap(), text("åbc"));
    assert_eq!(
        run(&T::Title, text("jan VAN der berg-smit"), &r).unwrap(),
        text("Jan Van Der Berg-Smit")
    );
    assert_eq!(run(&T::DigitsOnly, text("AB-12 34"), &r).unwrap(), text("1234"));
    assert_eq!(run(&T::DigitsOnly, text("ABC"), &r).unwrap(), V::Absent);
    assert_eq!(run(&T::Truncate(3), text("abcdef"), &r).unwrap(), text("abc"));
    // Numbers are text to text transforms.
    let n = json!(42);
    assert_eq!(run(&T::Trim, V::from_json(Some(&n)), &r).unwrap(), text("42"));
    // Wrong type.
    let obj = json!({"a": 1});
    let e = run(&T::Upper, V::from_json(Some(&obj)), &r).unwrap_err();
    assert!(e.message.contains("expected text, got an object"), "{}", e.message);
    // Missing stays missing.
    assert_eq!(run(&T::Upper, V::Absent, &r).unwrap(), V::Absent);
}

#[test]
fn street_and_house_number() {
    let cases = [
        ("Hoofdstraat 12a", Some("Hoofdstraat"), Some("12a")),
        ("Laan van Meerdervoort 1001-B", Some("Laan van Meerdervoort"), Some("1001-B")),
        ("Hoofdstraat 12 bis", Some("Hoofdstraat"), Some("12 bis")),
        ("12 Main St", Some("Main St"), Some("12")),
        ("Main St, 12", Some("Main St"), Some("12")),
        ("1e Jan van Galenstraat 5", Some("1e Jan van Galenstraat"), Some("5")),
        ("Dorpsstraat", Some("Dorpsstraat"), None),
        ("Main St, #12", Some("Main St"), Some("12")),
        (",Kerkstraat, 7,", Some("Kerkstraat"), Some("7")),
        ("Straße, 4 ä", Some("Straße"), Some("4 ä")),
        ("  ", None, None),
    ];
    for (input, street, number) in cases {
        assert_eq!(split_street(input), (street, number), "{input:?}");
    }
    let r = json!({});
    assert_eq!(run(&T::Street, text("Hoofdstraat 12a"), &r).unwrap(), text("Hoofdstraat"));
    assert_eq!(run(&T::HouseNumber, text("Hoofdstraat 12a"), &r).unwrap(), text("12a"));
    assert_eq!(run(&T::HouseNumber, text("Dorpsstraat"), &r).unwrap(), V::Absent);
}

#[test]
fn concat_skips_empty_parts_and_refuses_objects() {
    let r = json!({});
    let t = T::Concat(" ".into());
    let v = V::List(vec![text("Jan"), V::Absent, text(" "), text("Jansen")]);
    assert_eq!(run(&t, v, &r).unwrap(), text("Jan Jansen"));
    let lines = json!(["Main St 1", "", "Floor 2"]);
    let t2 = T::Concat("\n".into());
    assert_eq!(run(&t2, V::from_json(Some(&lines)), &r).unwrap(), text("Main St 1\nFloor 2"));
    assert_eq!(run(&t, V::List(vec![V::Absent]), &r).unwrap(), V::Absent);
    let obj = json!({"a": 1});
    assert!(run(&t, V::List(vec![V::from_json(Some(&obj))]), &r).is_err());
}

#[test]
fn regex_transforms() {
    let r = json!({});
    let ex = T::RegexExtract(Regex::new(r"(\d{4})\s*([A-Z]{2})").unwrap(), 1);
    assert_eq!(run(&ex, text("1234 AB Amsterdam"), &r).unwrap(), text("1234"));
    assert_eq!(run(&ex, text("no code"), &r).unwrap(), V::Absent);
    let rep = T::RegexReplace(Regex::new(r"\s+").unwrap(), "".into(), None);
    assert_eq!(run(&rep, text("NL91 ABNA 0417"), &r).unwrap(), text("NL91ABNA0417"));
    assert!(run(&rep, V::Bool(true), &r).is_ok());
    assert!(run(&rep, V::List(vec![]), &r).is_err());
}

#[test]
fn dates() {
    let r = json!({});
    let t = T::Date { formats: vec!["%d-%m-%Y".into(), "%d.%m.%Y".into()], format: None };
    let d = NaiveDate::from_ymd_opt(2026, 5, 4).unwrap();
    assert_eq!(run(&t, text("04-05-2026"), &r).unwrap(), V::Date(d));
    assert_eq!(run(&t, text("4.5.2026"), &r).unwrap(), V::Date(d));
    assert_eq!(run(&t, text("2026-05-04"), &r).unwrap(), V::Date(d));
    assert_eq!(run(&t, text("2026-05-04T23:30:00+02:00"), &r).unwrap(), V::Date(d));
    let e = run(&t, text("May 4th"), &r).unwrap_err();
    assert!(e.message.contains("not a date") && e.message.contains("%d-%m-%Y"), "{}", e.message);
    let out = T::Date { formats: vec![], format: Some("%d.%m.%Y".into()) };
    assert_eq!(run(&out, text("2026-05-04"), &r).unwrap(), text("04.05.2026"));
    let n = json!(20260504);
    assert!(run(&out, V::from_json(Some(&n)), &r).is_err());
}

#[test]
fn numbers_with_decimal_comma() {
    let r = json!({});
    let t = T::Number { decimal: ',', group: Some('.') };
    assert_eq!(run(&t, text("1.234,56"), &r).unwrap(), dec("1234.56"));
    assert_eq!(run(&t, text("-0,5"), &r).unwrap(), dec("-0.5"));
    assert_eq!(run(&t, text("1 234,5"), &r).unwrap(), dec("1234.5"));
    let n = json!(12.5);
    assert_eq!(run(&t, V::from_json(Some(&n)), &r).unwrap(), dec("12.5"));
    assert!(run(&t, text("12,34,5"), &r).is_err());
    assert!(run(&t, text("abc"), &r).is_err());
    let plain = T::Number { decimal: '.', group: None };
    assert!(run(&plain, text("1,234.56"), &r).is_err());
}

#[test]
fn rounding_modes_and_scale() {
    let r = json!({});
    let even = T::Round(2, strategy(Rounding::HalfEven));
    let up = T::Round(2, strategy(Rounding::HalfUp));
    assert_eq!(run(&even, dec("2.345"), &r).unwrap(), dec("2.34"));
    assert_eq!(run(&up, dec("2.345"), &r).unwrap(), dec("2.35"));
    assert_eq!(run(&even, dec("2.355"), &r).unwrap(), dec("2.36"));
    assert_eq!(run(&even, dec("-2.345"), &r).unwrap(), dec("-2.34"));
    assert_eq!(run(&up, dec("-2.345"), &r).unwrap(), dec("-2.35"));
    // Scale is padded: 12.5 → "12.50".
    let V::Dec(d) = run(&up, dec("12.5"), &r).unwrap() else { panic!() };
    assert_eq!(d.to_string(), "12.50");
    let down = T::Round(0, strategy(Rounding::Down));
    assert_eq!(run(&down, dec("9.99"), &r).unwrap(), dec("9"));
    let away = T::Round(0, strategy(Rounding::Up));
    assert_eq!(run(&away, dec("9.01"), &r).unwrap(), dec("10"));
    // Money keeps its currency.
    let m = json!({"amount": "10.005", "currency": "EUR"});
    let V::Money(a, c) = run(&up, V::from_json(Some(&m)), &r).unwrap() else { panic!() };
    assert_eq!((a.to_string().as_str(), &*c), ("10.01", "EUR"));
    assert!(run(&up, text("ten"), &r).is_err());
}

#[test]
fn tax_conversion_is_exact() {
    let root = json!({"tax_percent": "25.5", "bad": "x"});
    let add = T::AddTax(Rate::Factor(tax_factor(Decimal::from(24)).unwrap()));
    assert_eq!(run(&add, dec("100"), &root).unwrap(), dec("124"));
    let remove = T::RemoveTax(Rate::Factor(tax_factor(Decimal::from(24)).unwrap()));
    assert_eq!(run(&remove, dec("124"), &root).unwrap(), dec("100"));
    let from = T::AddTax(Rate::From(Path::parse("tax_percent").unwrap()));
    assert_eq!(run(&from, dec("10.00"), &root).unwrap(), dec("12.5500"));
    let missing = T::AddTax(Rate::From(Path::parse("nope").unwrap()));
    assert!(run(&missing, dec("1"), &root).unwrap_err().message.contains("no tax rate at `nope`"));
    let bad = T::RemoveTax(Rate::From(Path::parse("bad").unwrap()));
    assert!(run(&bad, dec("1"), &root).is_err());
    // Round trip gross → net → gross after rounding to cents.
    let net = run(&remove, dec("9.99"), &root).unwrap();
    let gross = run(&add, net, &root).unwrap();
    let cents = T::Round(2, strategy(Rounding::HalfEven));
    assert_eq!(run(&cents, gross, &root).unwrap(), dec("9.99"));
    assert_eq!(tax_factor(Decimal::from(-100)), None);
}

#[test]
fn unit_conversion() {
    let r = json!({});
    assert_eq!(run(&T::Multiply(Decimal::from(1000)), dec("1.25"), &r).unwrap(), dec("1250"));
    assert_eq!(run(&T::Divide(Decimal::from(1000)), dec("1250"), &r).unwrap(), dec("1.25"));
    assert!(
        run(&T::Multiply(Decimal::MAX), dec("2"), &r).unwrap_err().message.contains("out of range")
    );
    let obj = json!([1]);
    assert!(run(&T::Multiply(Decimal::TWO), V::from_json(Some(&obj)), &r).is_err());
}

#[test]
fn value_map_under_each_policy() {
    let r = json!({});
    let spec = |u| ValueMapSpec::new("reps").entry("JV", "jan").unmapped(u);
    let fail = T::Map(Arc::new(ValueMap::new(&spec(Unmapped::Fail))));
    let quarantine = T::Map(Arc::new(ValueMap::new(&spec(Unmapped::Quarantine))));
    let default = T::Map(Arc::new(ValueMap::new(&spec(Unmapped::Default("house".into())))));
    let pass = T::Map(Arc::new(ValueMap::new(&spec(Unmapped::Pass))));
    assert_eq!(run(&fail, text("JV"), &r).unwrap(), text("jan"));
    let e = run(&fail, text("XX"), &r).unwrap_err();
    assert_eq!((e.kind, e.rule.as_str()), (FailureKind::Invalid, "map reps"));
    assert!(e.message.contains("policy: fail"));
    let e = run(&quarantine, text("XX"), &r).unwrap_err();
    assert_eq!(e.kind, FailureKind::Quarantine);
    assert!(e.message.contains("add it and replay"));
    assert_eq!(run(&default, text("XX"), &r).unwrap(), text("house"));
    assert_eq!(run(&pass, text("XX"), &r).unwrap(), text("XX"));
    assert!(run(&pass, V::List(vec![text("a")]), &r).is_err());
}

#[test]
fn custom_transform() {
    let r = json!({});
    let f: CustomTransform = Arc::new(|v: &Value| match v.as_str() {
        Some(s) => Ok(Value::String(s.chars().rev().collect())),
        None => Err("text only".into()),
    });
    let t = T::Custom("reverse".into(), f);
    assert_eq!(run(&t, text("abc"), &r).unwrap(), text("cba"));
    assert_eq!(run(&t, V::Bool(true), &r).unwrap_err().message, "text only");
}

#[test]
fn load_time_kinds() {
    assert_eq!(T::Trim.check(Kind::Text), Ok(Kind::Text));
    assert!(T::Trim.check(Kind::Money).is_err());
    assert!(T::Concat(" ".into()).check(Kind::Text).is_err());
    assert_eq!(T::Concat(" ".into()).check(Kind::List), Ok(Kind::Text));
    let date = T::Date { formats: vec![], format: None };
    assert_eq!(date.check(Kind::Text), Ok(Kind::Date));
    assert!(date.check(Kind::Money).is_err());
    assert_eq!(
        T::Round(2, RoundingStrategy::MidpointNearestEven).check(Kind::Money),
        Ok(Kind::Money)
    );
    assert!(T::Round(2, RoundingStrategy::MidpointNearestEven).check(Kind::Date).is_err());
}
