//! Countries as Procountor's enum names (`FINLAND`), not ISO codes.

/// ISO 3166-1 alpha-2 code → Procountor's country enum name, for the countries Finnish
/// companies invoice most. Procountor spells names in upper case with underscores.
const COUNTRIES: &[(&str, &str)] = &[
    ("AT", "AUSTRIA"),
    ("BE", "BELGIUM"),
    ("BG", "BULGARIA"),
    ("CA", "CANADA"),
    ("CH", "SWITZERLAND"),
    ("CN", "CHINA"),
    ("CY", "CYPRUS"),
    ("CZ", "CZECH_REPUBLIC"),
    ("DE", "GERMANY"),
    ("DK", "DENMARK"),
    ("EE", "ESTONIA"),
    ("ES", "SPAIN"),
    ("FI", "FINLAND"),
    ("FR", "FRANCE"),
    ("GB", "UNITED_KINGDOM_OF_GREAT_BRITAIN_AND_NORTHERN_IRELAND"),
    ("GR", "GREECE"),
    ("HR", "CROATIA"),
    ("HU", "HUNGARY"),
    ("IE", "IRELAND"),
    ("IS", "ICELAND"),
    ("IT", "ITALY"),
    ("JP", "JAPAN"),
    ("LT", "LITHUANIA"),
    ("LU", "LUXEMBOURG"),
    ("LV", "LATVIA"),
    ("MT", "MALTA"),
    ("NL", "NETHERLANDS"),
    ("NO", "NORWAY"),
    ("PL", "POLAND"),
    ("PT", "PORTUGAL"),
    ("RO", "ROMANIA"),
    ("SE", "SWEDEN"),
    ("SI", "SLOVENIA"),
    ("SK", "SLOVAKIA"),
    ("US", "UNITED_STATES_OF_AMERICA"),
];

/// Procountor's enum name for a country given as an ISO alpha-2 code, an English name
/// (`Finland`, `Sweden`) or already as the enum name. `None` when it is not known.
pub fn country_enum(raw: &str) -> Option<&'static str> {
    let s = raw.trim();
    if s.is_empty() {
        return None;
    }
    let upper = s.to_ascii_uppercase().replace([' ', '-'], "_");
    COUNTRIES.iter().find(|(iso, name)| *iso == upper || *name == upper).map(|(_, name)| *name).or(
        match upper.as_str() {
            "UK" | "UNITED_KINGDOM" | "GREAT_BRITAIN" => Some(COUNTRIES[14].1),
            "USA" | "UNITED_STATES" => Some("UNITED_STATES_OF_AMERICA"),
            "SUOMI" => Some("FINLAND"),
            "RUOTSI" => Some("SWEDEN"),
            _ => None,
        },
    )
}

/// The ISO alpha-2 code of a Procountor country enum name (for reading).
pub fn country_iso(name: &str) -> Option<&'static str> {
    COUNTRIES.iter().find(|(_, n)| *n == name).map(|(iso, _)| *iso)
}

/// An IBAN as Procountor wants it: no spaces, upper case.
pub fn compact_iban(raw: &str) -> String {
    raw.chars().filter(|c| !c.is_whitespace()).collect::<String>().to_ascii_uppercase()
}

/// Procountor's `unit` enum (`InvoiceRow.unit`, `Product.unit`), every value of its OpenAPI
/// spec.
pub const UNITS: &[&str] = &[
    "AMPERE",
    "AMPERE_HOUR",
    "AMPERE_MINUTE",
    "BAG",
    "BAR",
    "BOTTLE",
    "BOX",
    "CAN",
    "CENTILITRE",
    "CM",
    "CUBIC_METER",
    "CUP",
    "DAY",
    "DECILITRE",
    "DOZEN",
    "DOZEN_PACK",
    "EIGHT_PACK",
    "EXAJOULE",
    "FIVE_PACK",
    "FOOT",
    "FOUR_PACK",
    "FULL_DAY",
    "GALLON_UK",
    "GALLON_US",
    "GIGABIT",
    "GIGABYTE",
    "GIGAJOULE",
    "GIGAWATT",
    "GIGAWATT_HOUR",
    "GRAM",
    "GRAM_PER_CUBIC_METRE",
    "GRAM_PER_SQUARE_METRE",
    "HECTARE",
    "HOUR",
    "HUNDRED",
    "INCH",
    "JAR",
    "JOULE",
    "JOULE_PER_SECOND",
    "KILOAMPERE_HOUR",
    "KILOBIT",
    "KILOBYTE",
    "KILOGRAM",
    "KILOGRAM_PER_CUBIC_METRE",
    "KILOGRAM_PER_SQUARE_METRE",
    "KILOJOULE",
    "KILOMETER",
    "KILOPASCAL",
    "KILOVOLT",
    "KILOWATT",
    "KILOWATT_HOUR",
    "LINEAR_METER",
    "LITER",
    "LOT",
    "MEGABIT",
    "MEGABYTE",
    "MEGAWATT_HOUR",
    "METER",
    "MILE",
    "MILLIAMPERE_HOUR",
    "MILLIGRAM",
    "MILLIGRAM_PER_CUBIC_METRE",
    "MILLIJOULE",
    "MILLILITRE",
    "MILLIMETER",
    "MILLIVOLT",
    "MILLIWATT",
    "MINUTE",
    "MONTH",
    "NINE_PACK",
    "NO_UNIT",
    "NUMBER_OF_WORDS",
    "OUNCE",
    "PAGE",
    "PAIR",
    "PALLET",
    "PARCEL",
    "PASCAL",
    "PERSON",
    "PETAJOULE",
    "PIECE",
    "PINT_UK",
    "PINT_US",
    "PLATE",
    "POUND",
    "ROLL",
    "SACK",
    "SALE_UNIT",
    "SECOND",
    "SERIES",
    "SET",
    "SEVEN_PACK",
    "SIX_PACK",
    "SQUARE_CENTIMETRE",
    "SQUARE_METER",
    "STONE_UK",
    "TEN_PACK",
    "TERABIT",
    "TERAJOULE",
    "TERAWATT",
    "TERAWATT_HOUR",
    "THREE_PACK",
    "TON",
    "TUBE",
    "TWO_PACK",
    "WATT",
    "WATT_HOUR",
    "WEEK",
    "WRAP",
    "YARD",
    "YEAR",
];

/// Procountor's unit enum for a unit of measure (`pcs`, `h`, `kg`, or the enum itself);
/// `None` for an unknown unit, `PIECE` when no unit is given.
pub fn unit_enum(raw: Option<&str>) -> Option<&'static str> {
    let Some(raw) = raw.map(str::trim).filter(|s| !s.is_empty()) else {
        return Some("PIECE");
    };
    let upper = raw.to_ascii_uppercase();
    if let Some(u) = UNITS.iter().find(|u| **u == upper) {
        return Some(u);
    }
    Some(match upper.as_str() {
        "PCS" | "PC" | "KPL" | "EA" | "EACH" | "ST" | "STK" => "PIECE",
        "H" | "HR" | "HRS" | "T" => "HOUR",
        "MIN" => "MINUTE",
        "KG" => "KILOGRAM",
        "G" => "GRAM",
        "L" | "LTR" | "LITRE" => "LITER",
        "M" => "METER",
        "M2" => "SQUARE_METER",
        "M3" => "CUBIC_METER",
        "KM" => "KILOMETER",
        "D" | "PV" => "DAY",
        "WK" | "VK" => "WEEK",
        "KK" | "MO" => "MONTH",
        // Procountor has no PACKAGE: a package (Finnish `pkt`, paketti) is its PARCEL.
        "PKT" | "PACK" | "PACKAGE" | "PKG" => "PARCEL",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn countries_are_enum_names() {
        assert_eq!(country_enum("FI"), Some("FINLAND"));
        assert_eq!(country_enum("fi"), Some("FINLAND"));
        assert_eq!(country_enum("Sweden"), Some("SWEDEN"));
        assert_eq!(
            country_enum("GB"),
            Some("UNITED_KINGDOM_OF_GREAT_BRITAIN_AND_NORTHERN_IRELAND")
        );
        assert_eq!(country_enum("UK"), country_enum("GB"));
        assert_eq!(country_enum("FINLAND"), Some("FINLAND"));
        assert_eq!(country_enum("XX"), None);
        assert_eq!(country_iso("SWEDEN"), Some("SE"));
    }

    #[test]
    fn ibans_lose_spaces() {
        assert_eq!(compact_iban("fi21 1234 5600 0007 85"), "FI2112345600000785");
    }

    #[test]
    fn units() {
        assert_eq!(unit_enum(None), Some("PIECE"));
        assert_eq!(unit_enum(Some("pcs")), Some("PIECE"));
        assert_eq!(unit_enum(Some("kg")), Some("KILOGRAM"));
        assert_eq!(unit_enum(Some("HOUR")), Some("HOUR"));
        assert_eq!(unit_enum(Some("furlong")), None);
        assert_eq!(unit_enum(Some("pkt")), Some("PARCEL"));
        assert_eq!(unit_enum(Some("PACKAGE")), Some("PARCEL"));
        assert_eq!(unit_enum(Some("box")), Some("BOX"));
        assert!(UNITS.iter().all(|u| !u.contains("PACKAGE")));
    }
}
