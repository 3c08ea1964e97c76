//! The formats of dropped files: CSV (a header row, then a row per record) or XML (a root
//! element with an element per record, a child element per column), the same columns in
//! both. Parts PIM's own import format is not published; both are our assumed shapes.

/// The format of dropped files (the setting `format`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum FileFormat {
    /// Comma-separated, a header row of column names.
    #[default]
    Csv,
    /// `<products><product><sku>…</sku>…</product>…</products>`.
    Xml,
}

impl FileFormat {
    /// The format a setting names: `csv` or `xml`.
    pub fn parse(name: &str) -> Option<Self> {
        match name.trim().to_ascii_lowercase().as_str() {
            "csv" => Some(Self::Csv),
            "xml" => Some(Self::Xml),
            _ => None,
        }
    }

    /// The file name extension.
    pub fn extension(self) -> &'static str {
        match self {
            Self::Csv => "csv",
            Self::Xml => "xml",
        }
    }

    /// A file of `rows` under `header`: in XML, the root is `<kind>` (`products`) and each
    /// record `<kind without its s>` (`product`).
    pub fn render(self, kind: &str, header: &[&str], rows: &[Vec<String>]) -> Vec<u8> {
        match self {
            Self::Csv => {
                let mut w = csv::Writer::from_writer(Vec::new());
                // Writing to memory cannot fail.
                let _ = w.write_record(header);
                for r in rows {
                    let _ = w.write_record(r);
                }
                w.into_inner().unwrap_or_default()
            }
            Self::Xml => {
                let root = kind.split('-').next().unwrap_or(kind);
                let item = root.strip_suffix('s').unwrap_or(root);
                let mut out = format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<{root}>\n");
                for r in rows {
                    out.push_str(&format!("  <{item}>\n"));
                    for (col, value) in header.iter().zip(r) {
                        if !value.is_empty() {
                            out.push_str(&format!("    <{col}>{}</{col}>\n", escape(value)));
                        }
                    }
                    out.push_str(&format!("  </{item}>\n"));
                }
                out.push_str(&format!("</{root}>\n"));
                out.into_bytes()
            }
        }
    }
}

/// Text as XML character data.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\r' => out.push_str("&#13;"),
            // Characters XML 1.0 does not allow (control characters pasted into a text) are
            // left out: a file with one would not parse at all.
            c if (c < ' ' && c != '\t' && c != '\n') || c == '\u{fffe}' || c == '\u{ffff}' => {}
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_and_xml_carry_the_same_columns() {
        let rows = vec![vec!["100200".to_owned(), "Bel \"chroom\" & co, <groot>".to_owned()]];
        let csv =
            String::from_utf8(FileFormat::Csv.render("products", &["sku", "name"], &rows)).unwrap();
        assert_eq!(csv, "sku,name\n100200,\"Bel \"\"chroom\"\" & co, <groot>\"\n");
        let xml =
            String::from_utf8(FileFormat::Xml.render("products-update", &["sku", "name"], &rows))
                .unwrap();
        assert!(xml.contains("<products>\n  <product>\n    <sku>100200</sku>\n"), "{xml}");
        assert!(
            xml.contains("<name>Bel &quot;chroom&quot; &amp; co, &lt;groot&gt;</name>"),
            "{xml}"
        );
        let odd = vec![vec!["1".to_owned(), "a\u{b}b\r\nc".to_owned()]];
        let xml =
            String::from_utf8(FileFormat::Xml.render("products", &["sku", "name"], &odd)).unwrap();
        assert!(xml.contains("<name>ab&#13;\nc</name>"), "{xml}");
        assert_eq!(FileFormat::parse("XML"), Some(FileFormat::Xml));
        assert_eq!(FileFormat::parse("json"), None);
    }
}
