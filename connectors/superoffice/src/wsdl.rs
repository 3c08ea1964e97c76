//! The WSDL served at `?wsdl`, generated from the contract: document/literal, one
//! `IErpConnectorWS` port type, a SOAP 1.1 binding with actions
//! `<namespace>/IErpConnectorWS/<Op>`, data contracts as XML Schema in member order.

use std::fmt::Write as _;

use crate::contract::contract;
use crate::xml::{ARRAYS_NS, escape};

/// The port type's name.
pub const PORT_TYPE: &str = "IErpConnectorWS";

/// The SOAP action of `operation` in `namespace`.
pub fn soap_action(namespace: &str, operation: &str) -> String {
    format!("{}/{PORT_TYPE}/{operation}", namespace.trim_end_matches('/'))
}

fn schema_type(ty: &str) -> String {
    let c = contract();
    match ty {
        "string" | "guid" => "xs:string".into(),
        "boolean" => "xs:boolean".into(),
        "int" => "xs:int".into(),
        "dictionary" => "ser:ArrayOfKeyValueOfstringstring".into(),
        "string[]" => "ser:ArrayOfstring".into(),
        array if array.ends_with("[]") => format!("tns:ArrayOf{}", &array[..array.len() - 2]),
        named if c.enums.contains_key(named) || c.types.contains_key(named) => {
            format!("tns:{named}")
        }
        other => format!("xs:{other}"),
    }
}

/// The WSDL of a service at `address`, in `namespace`.
pub fn wsdl(namespace: &str, address: &str) -> String {
    let c = contract();
    let ns = escape(namespace);
    let mut o = String::with_capacity(24 * 1024);
    let _ = write!(
        o,
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\
<wsdl:definitions name=\"ErpConnectorWS\" targetNamespace=\"{ns}\" \
xmlns:wsdl=\"http://schemas.xmlsoap.org/wsdl/\" xmlns:soap=\"http://schemas.xmlsoap.org/wsdl/soap/\" \
xmlns:xs=\"http://www.w3.org/2001/XMLSchema\" xmlns:tns=\"{ns}\" xmlns:ser=\"{ARRAYS_NS}\">\
<wsdl:types>\
<xs:schema targetNamespace=\"{ARRAYS_NS}\" elementFormDefault=\"qualified\">\
<xs:complexType name=\"ArrayOfstring\"><xs:sequence>\
<xs:element name=\"string\" type=\"xs:string\" minOccurs=\"0\" maxOccurs=\"unbounded\" nillable=\"true\"/>\
</xs:sequence></xs:complexType>\
<xs:complexType name=\"ArrayOfKeyValueOfstringstring\"><xs:sequence>\
<xs:element name=\"KeyValueOfstringstring\" minOccurs=\"0\" maxOccurs=\"unbounded\"><xs:complexType><xs:sequence>\
<xs:element name=\"Key\" type=\"xs:string\" nillable=\"true\"/><xs:element name=\"Value\" type=\"xs:string\" nillable=\"true\"/>\
</xs:sequence></xs:complexType></xs:element>\
</xs:sequence></xs:complexType>\
</xs:schema>\
<xs:schema targetNamespace=\"{ns}\" elementFormDefault=\"qualified\">\
<xs:import namespace=\"{ARRAYS_NS}\"/>"
    );
    for (name, values) in &c.enums {
        let _ = write!(o, "<xs:simpleType name=\"{name}\"><xs:restriction base=\"xs:string\">");
        for v in values {
            let _ = write!(o, "<xs:enumeration value=\"{}\"/>", escape(v));
        }
        o.push_str("</xs:restriction></xs:simpleType>");
    }
    let mut arrays = Vec::new();
    for (name, def) in &c.types {
        let members: String = def
            .members
            .iter()
            .map(|(m, ty)| {
                if let Some(item) = ty.strip_suffix("[]").filter(|i| *i != "string") {
                    arrays.push(item.to_owned());
                }
                format!(
                    "<xs:element name=\"{m}\" type=\"{}\" minOccurs=\"0\" nillable=\"true\"/>",
                    schema_type(ty)
                )
            })
            .collect();
        match &def.base {
            Some(base) => {
                let _ = write!(
                    o,
                    "<xs:complexType name=\"{name}\"><xs:complexContent><xs:extension base=\"tns:{base}\">\
                     <xs:sequence>{members}</xs:sequence></xs:extension></xs:complexContent></xs:complexType>"
                );
            }
            None => {
                let _ = write!(
                    o,
                    "<xs:complexType name=\"{name}\"><xs:sequence>{members}</xs:sequence></xs:complexType>"
                );
            }
        }
    }
    arrays.sort();
    arrays.dedup();
    for item in arrays {
        let _ = write!(
            o,
            "<xs:complexType name=\"ArrayOf{item}\"><xs:sequence><xs:element name=\"{item}\" type=\"tns:{item}\" \
             minOccurs=\"0\" maxOccurs=\"unbounded\" nillable=\"true\"/></xs:sequence></xs:complexType>"
        );
    }
    for (op, def) in &c.operations {
        match &def.request {
            Some(req) => {
                let _ = write!(
                    o,
                    "<xs:element name=\"{op}\"><xs:complexType><xs:sequence><xs:element name=\"request\" \
                     type=\"tns:{req}\" minOccurs=\"0\" nillable=\"true\"/></xs:sequence></xs:complexType></xs:element>"
                );
            }
            None => {
                let _ = write!(
                    o,
                    "<xs:element name=\"{op}\"><xs:complexType><xs:sequence/></xs:complexType></xs:element>"
                );
            }
        }
        let _ = write!(
            o,
            "<xs:element name=\"{op}Response\"><xs:complexType><xs:sequence><xs:element name=\"{op}Result\" \
             type=\"tns:{}\" minOccurs=\"0\" nillable=\"true\"/></xs:sequence></xs:complexType></xs:element>",
            def.response
        );
    }
    o.push_str("</xs:schema></wsdl:types>");
    for op in c.operations.keys() {
        let _ = write!(
            o,
            "<wsdl:message name=\"{PORT_TYPE}_{op}_InputMessage\"><wsdl:part name=\"parameters\" element=\"tns:{op}\"/></wsdl:message>\
             <wsdl:message name=\"{PORT_TYPE}_{op}_OutputMessage\"><wsdl:part name=\"parameters\" element=\"tns:{op}Response\"/></wsdl:message>"
        );
    }
    let _ = write!(o, "<wsdl:portType name=\"{PORT_TYPE}\">");
    for op in c.operations.keys() {
        let action = escape(&soap_action(namespace, op));
        let _ = write!(
            o,
            "<wsdl:operation name=\"{op}\"><wsdl:input wsaw:Action=\"{action}\" message=\"tns:{PORT_TYPE}_{op}_InputMessage\" \
             xmlns:wsaw=\"http://www.w3.org/2006/05/addressing/wsdl\"/><wsdl:output message=\"tns:{PORT_TYPE}_{op}_OutputMessage\"/></wsdl:operation>"
        );
    }
    let _ = write!(
        o,
        "</wsdl:portType><wsdl:binding name=\"BasicHttpBinding_{PORT_TYPE}\" type=\"tns:{PORT_TYPE}\">\
         <soap:binding transport=\"http://schemas.xmlsoap.org/soap/http\"/>"
    );
    for op in c.operations.keys() {
        let action = escape(&soap_action(namespace, op));
        let _ = write!(
            o,
            "<wsdl:operation name=\"{op}\"><soap:operation soapAction=\"{action}\" style=\"document\"/>\
             <wsdl:input><soap:body use=\"literal\"/></wsdl:input><wsdl:output><soap:body use=\"literal\"/></wsdl:output></wsdl:operation>"
        );
    }
    let _ = write!(
        o,
        "</wsdl:binding><wsdl:service name=\"ErpConnectorWS\"><wsdl:port name=\"BasicHttpBinding_{PORT_TYPE}\" \
         binding=\"tns:BasicHttpBinding_{PORT_TYPE}\"><soap:address location=\"{}\"/></wsdl:port></wsdl:service>\
         </wsdl:definitions>",
        escape(address)
    );
    o
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::xml::parse;

    #[test]
    fn the_wsdl_is_well_formed_and_names_every_operation() {
        let text = wsdl("http://www.superoffice.net/EIS/Connector/1.0", "http://127.0.0.1:1/svc");
        let doc = parse(&text).unwrap();
        let port = doc.children.iter().find(|c| c.name == "portType").unwrap();
        assert_eq!(port.children.len(), contract().operations.len());
        assert!(text.contains("soapAction=\"http://www.superoffice.net/EIS/Connector/1.0/IErpConnectorWS/WSGetActors\""));
        assert!(text.contains("<soap:address location=\"http://127.0.0.1:1/svc\"/>"));
    }
}
