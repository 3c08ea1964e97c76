//! A small XML element tree for SOAP bodies: parsed with namespaces resolved, bounded in
//! depth, with no DTD (so no entity expansion), and an escaping writer.

use std::fmt::Write as _;
use std::sync::Arc;

use quick_xml::NsReader;
use quick_xml::events::Event;
use quick_xml::name::ResolveResult;

/// How deep elements may nest before a document is refused.
pub const MAX_DEPTH: usize = 32;
/// How many elements a document may have.
pub const MAX_ELEMENTS: usize = 100_000;
/// How many attributes an element may have.
pub const MAX_ATTRIBUTES: usize = 32;
/// How long a namespace URI may be.
pub const MAX_NAMESPACE: usize = 1024;

/// One element: its local name, its namespace, its text and its children.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Element {
    /// The local name (`WSGetActors`), without prefix.
    pub name: String,
    /// The namespace URI the name is bound to, if any (shared between elements).
    pub namespace: Option<Arc<str>>,
    /// Whether `xsi:nil="true"` was set.
    pub nil: bool,
    /// The text directly inside, unescaped (whitespace between children dropped).
    pub text: String,
    /// The child elements, in order.
    pub children: Vec<Element>,
}

impl Element {
    /// The first child with this local name.
    pub fn child(&self, name: &str) -> Option<&Element> {
        self.children.iter().find(|c| c.name == name)
    }

    /// The text of the first child with this local name (`None` when absent or nil).
    pub fn child_text(&self, name: &str) -> Option<&str> {
        self.child(name).filter(|c| !c.nil).map(|c| c.text.as_str())
    }

    /// The texts of a child that is a `string[]` (`<a:string>` items).
    pub fn strings(&self, name: &str) -> Vec<String> {
        self.child(name)
            .map(|c| c.children.iter().map(|s| s.text.clone()).collect())
            .unwrap_or_default()
    }

    /// The pairs of a child that is a `Dictionary<string,string>`
    /// (`<a:KeyValueOfstringstring><a:Key/><a:Value/>` items), in order.
    pub fn pairs(&self, name: &str) -> Vec<(String, String)> {
        self.child(name)
            .map(|c| {
                c.children
                    .iter()
                    .filter_map(|kv| {
                        let key = kv.child_text("Key")?;
                        Some((
                            key.to_owned(),
                            kv.child_text("Value").unwrap_or_default().to_owned(),
                        ))
                    })
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// Why a document could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct XmlError(pub String);

impl std::fmt::Display for XmlError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Parses a whole document into its root element, refusing one of more than
/// [`MAX_ELEMENTS`] elements (what a request may hold).
pub fn parse(text: &str) -> Result<Element, XmlError> {
    parse_bounded(text, MAX_ELEMENTS)
}

/// Parses a whole document of at most `max_elements` elements (an answer to a client may be
/// a large poll).
pub fn parse_bounded(text: &str, max_elements: usize) -> Result<Element, XmlError> {
    let mut reader = NsReader::from_str(text);
    reader.config_mut().trim_text(false);
    let mut stack: Vec<Element> = Vec::new();
    let mut root = None;
    // Namespaces are few and long-lived: each is kept once and shared.
    let mut namespaces: Vec<Arc<str>> = Vec::new();
    let mut elements = 0usize;
    loop {
        let position = reader.buffer_position();
        let (ns, event) = reader
            .read_resolved_event()
            .map_err(|e| XmlError(format!("not well-formed XML after byte {position}: {e}")))?;
        let is_start = matches!(event, Event::Start(_) | Event::Empty(_));
        let namespace = match ns {
            ResolveResult::Bound(_) if !is_start => None,
            ResolveResult::Bound(n) => {
                let uri = n.as_ref();
                if uri.len() > MAX_NAMESPACE {
                    return Err(XmlError(format!(
                        "a namespace URI is longer than {MAX_NAMESPACE} bytes"
                    )));
                }
                match namespaces.iter().find(|known| known.as_bytes() == uri) {
                    Some(known) => Some(known.clone()),
                    None => {
                        let new: Arc<str> = String::from_utf8_lossy(uri).into();
                        namespaces.push(new.clone());
                        Some(new)
                    }
                }
            }
            ResolveResult::Unbound => None,
            ResolveResult::Unknown(p) => {
                return Err(XmlError(format!(
                    "unbound namespace prefix `{}`",
                    String::from_utf8_lossy(&p)
                )));
            }
        };
        match event {
            Event::Start(start) | Event::Empty(start) if root.is_some() => {
                let _ = start;
                return Err(XmlError("content after the root element".into()));
            }
            Event::Start(ref start) | Event::Empty(ref start) => {
                if stack.len() >= MAX_DEPTH {
                    return Err(XmlError(format!("elements nest deeper than {MAX_DEPTH}")));
                }
                elements += 1;
                if elements > max_elements {
                    return Err(XmlError(format!(
                        "the document has more than {max_elements} elements"
                    )));
                }
                let mut element = Element {
                    name: String::from_utf8_lossy(start.local_name().as_ref()).into_owned(),
                    namespace,
                    ..Element::default()
                };
                for (i, attr) in start.attributes().with_checks(false).enumerate() {
                    if i >= MAX_ATTRIBUTES {
                        return Err(XmlError(format!(
                            "an element has more than {MAX_ATTRIBUTES} attributes"
                        )));
                    }
                    let attr = attr.map_err(|e| XmlError(format!("bad attribute: {e}")))?;
                    if attr.key.local_name().as_ref() == b"nil" {
                        let value = attr.unescape_value().map_err(|e| XmlError(e.to_string()))?;
                        element.nil = value.trim() == "true";
                    }
                }
                if matches!(event, Event::Empty(_)) {
                    close(&mut stack, &mut root, element);
                } else {
                    stack.push(element);
                }
            }
            Event::End(_) => {
                let element = stack.pop().ok_or_else(|| XmlError("unbalanced end tag".into()))?;
                close(&mut stack, &mut root, element);
            }
            Event::Text(t) => {
                let text = t.xml_content().map_err(|e| XmlError(e.to_string()))?;
                push_text(&mut stack, &text)?;
            }
            Event::CData(c) => {
                let text = c.xml_content().map_err(|e| XmlError(e.to_string()))?;
                push_text(&mut stack, &text)?;
            }
            Event::GeneralRef(r) => {
                let resolved = match r.resolve_char_ref() {
                    Ok(Some(ch)) => ch.to_string(),
                    Ok(None) => {
                        let name = r.decode().map_err(|e| XmlError(e.to_string()))?;
                        quick_xml::escape::resolve_xml_entity(&name)
                            .ok_or_else(|| XmlError(format!("unknown entity `&{name};`")))?
                            .to_owned()
                    }
                    Err(e) => return Err(XmlError(format!("bad character reference: {e}"))),
                };
                push_text(&mut stack, &resolved)?;
            }
            Event::DocType(_) => return Err(XmlError("a DOCTYPE is not accepted".into())),
            Event::Eof => break,
            Event::Decl(_) | Event::PI(_) | Event::Comment(_) => {}
        }
    }
    if !stack.is_empty() {
        return Err(XmlError(format!(
            "the document ends inside <{}>",
            stack[stack.len() - 1].name
        )));
    }
    root.ok_or_else(|| XmlError("the document has no element".into()))
}

fn close(stack: &mut [Element], root: &mut Option<Element>, mut element: Element) {
    if !element.children.is_empty() && element.text.trim().is_empty() {
        element.text.clear();
    }
    match stack.last_mut() {
        Some(parent) => parent.children.push(element),
        None => *root = Some(element),
    }
}

fn push_text(stack: &mut [Element], text: &str) -> Result<(), XmlError> {
    match stack.last_mut() {
        Some(e) => {
            e.text.push_str(text);
            Ok(())
        }
        None if text.trim().is_empty() => Ok(()),
        None => Err(XmlError("text outside the root element".into())),
    }
}

/// Text escaped for element content and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\r' => out.push_str("&#xD;"),
            '\u{FFFE}' | '\u{FFFF}' => {}
            // Characters XML 1.0 cannot carry are dropped rather than sent broken.
            c if (c as u32) < 0x20 && !matches!(c, '\t' | '\n') => {}
            c => out.push(c),
        }
    }
    out
}

/// Appends `<name>text</name>` (or `<name i:nil="true"/>` for `None`).
pub fn text_element(out: &mut String, name: &str, text: Option<&str>) {
    match text {
        Some(t) => {
            let _ = write!(out, "<{name}>{}</{name}>", escape(t));
        }
        None => {
            let _ = write!(out, "<{name} i:nil=\"true\"/>");
        }
    }
}

/// The namespace of WCF's serialised arrays and dictionaries.
pub const ARRAYS_NS: &str = "http://schemas.microsoft.com/2003/10/Serialization/Arrays";

/// Appends a `string[]` as WCF writes it.
pub fn string_array(out: &mut String, name: &str, items: &[String]) {
    let _ = write!(out, "<{name} xmlns:a=\"{ARRAYS_NS}\">");
    for item in items {
        let _ = write!(out, "<a:string>{}</a:string>", escape(item));
    }
    let _ = write!(out, "</{name}>");
}

/// Appends a `Dictionary<string,string>` as WCF writes it.
pub fn dictionary<'a>(
    out: &mut String,
    name: &str,
    pairs: impl IntoIterator<Item = (&'a str, &'a str)>,
) {
    let _ = write!(out, "<{name} xmlns:a=\"{ARRAYS_NS}\">");
    for (k, v) in pairs {
        let _ = write!(
            out,
            "<a:KeyValueOfstringstring><a:Key>{}</a:Key><a:Value>{}</a:Value></a:KeyValueOfstringstring>",
            escape(k),
            escape(v)
        );
    }
    let _ = write!(out, "</{name}>");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_namespaces_text_arrays_and_dictionaries() {
        let doc = r#"<?xml version="1.0"?>
<s:Envelope xmlns:s="http://schemas.xmlsoap.org/soap/envelope/">
  <s:Body>
    <WSSaveConnection xmlns="urn:x">
      <request xmlns:i="http://www.w3.org/2001/XMLSchema-instance">
        <ConnectionGuid>g-1</ConnectionGuid>
        <ConnectionInfo xmlns:a="http://schemas.microsoft.com/2003/10/Serialization/Arrays">
          <a:KeyValueOfstringstring><a:Key>name</a:Key><a:Value>Åke &amp; Søn &#x263A;</a:Value></a:KeyValueOfstringstring>
        </ConnectionInfo>
        <Missing i:nil="true"/>
        <Keys xmlns:a="http://schemas.microsoft.com/2003/10/Serialization/Arrays"><a:string>1</a:string><a:string>2</a:string></Keys>
      </request>
    </WSSaveConnection>
  </s:Body>
</s:Envelope>"#;
        let root = parse(doc).unwrap();
        assert_eq!(root.name, "Envelope");
        let op = &root.child("Body").unwrap().children[0];
        assert_eq!(
            (op.name.as_str(), op.namespace.as_deref()),
            ("WSSaveConnection", Some("urn:x"))
        );
        let req = op.child("request").unwrap();
        assert_eq!(req.child_text("ConnectionGuid"), Some("g-1"));
        assert_eq!(req.pairs("ConnectionInfo"), vec![("name".into(), "Åke & Søn ☺".into())]);
        assert_eq!(req.child_text("Missing"), None);
        assert_eq!(req.strings("Keys"), vec!["1".to_owned(), "2".into()]);
    }

    #[test]
    fn refuses_what_is_not_plain_xml() {
        for bad in [
            "<a><b></a>",
            "<!DOCTYPE a [<!ENTITY x \"y\">]><a>&x;</a>",
            "<a>&unknown;</a>",
            "<p:a/>",
            "text",
            "<a/><b/>",
        ] {
            assert!(parse(bad).is_err(), "{bad}");
        }
        let deep = "<a>".repeat(MAX_DEPTH + 1) + &"</a>".repeat(MAX_DEPTH + 1);
        assert!(parse(&deep).unwrap_err().0.contains("deeper"));
    }

    #[test]
    fn escapes_what_it_writes() {
        let mut out = String::new();
        dictionary(&mut out, "D", [("a<b", "\"x\" & 'y'")]);
        assert!(
            out.contains("a&lt;b") && out.contains("&quot;x&quot; &amp; &apos;y&apos;"),
            "{out}"
        );
        let back = parse(&out).unwrap();
        assert_eq!(back.pairs("D").len(), 0, "D is the root");
        assert_eq!(back.children[0].child_text("Value"), Some("\"x\" & 'y'"));
    }
}
