//! SOAP 1.1 envelopes as WCF's BasicHttpBinding writes them: the operation is the body's
//! first element, its parameter the `request` element inside; the answer is
//! `<{Op}Response><{Op}Result>…</{Op}Result></{Op}Response>` in the request's namespace.

use std::fmt::Write as _;

use crate::carriers::{Payload, PluginResponse};
use crate::xml::{self, Element};

/// The SOAP 1.1 envelope namespace.
pub const SOAP11: &str = "http://schemas.xmlsoap.org/soap/envelope/";
/// The SOAP 1.2 envelope namespace (read, not written).
pub const SOAP12: &str = "http://www.w3.org/2003/05/soap-envelope";
/// The XML Schema instance namespace (`i:nil`).
pub const XSI: &str = "http://www.w3.org/2001/XMLSchema-instance";

/// A request: the operation's local name, its namespace and its element.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SoapRequest {
    /// The operation (`WSGetActors`).
    pub operation: String,
    /// The namespace the caller used for it.
    pub namespace: Option<String>,
    /// The operation element (its `request` child is the parameter).
    pub body: Element,
}

/// Reads a SOAP envelope.
pub fn read_request(text: &str) -> Result<SoapRequest, String> {
    let root = xml::parse(text).map_err(|e| e.to_string())?;
    if root.name != "Envelope" || !matches!(root.namespace.as_deref(), Some(SOAP11 | SOAP12)) {
        return Err(format!("the document is a <{}>, not a SOAP envelope", root.name));
    }
    let body = root.child("Body").ok_or("the envelope has no Body")?;
    let op = body.children.first().ok_or("the Body is empty")?;
    Ok(SoapRequest {
        operation: op.name.clone(),
        namespace: op.namespace.as_deref().map(str::to_owned),
        body: op.clone(),
    })
}

/// The operation named by a `SOAPAction` header (`"…/IErpConnectorWS/WSGetActors"`).
pub fn operation_of_action(action: &str) -> Option<String> {
    let a = action.trim().trim_matches('"');
    let op = a.rsplit('/').next()?.trim();
    (!op.is_empty()).then(|| op.to_owned())
}

/// The response envelope of `operation` in `namespace`.
pub fn response(
    operation: &str,
    namespace: &str,
    status: &PluginResponse,
    payload: &Payload,
) -> String {
    let mut out = response_head(operation, namespace, status);
    payload.write(&mut out);
    out.push_str(&response_tail(operation));
    out
}

/// The start of a response, up to and including its status members: the payload member
/// follows, then [`response_tail`] (how a long answer is streamed).
pub fn response_head(operation: &str, namespace: &str, status: &PluginResponse) -> String {
    let mut out = String::with_capacity(512);
    let _ = write!(
        out,
        "<?xml version=\"1.0\" encoding=\"utf-8\"?><s:Envelope xmlns:s=\"{SOAP11}\"><s:Body>\
         <{operation}Response xmlns=\"{}\"><{operation}Result xmlns:i=\"{XSI}\">",
        xml::escape(namespace)
    );
    status.write(&mut out);
    out
}

/// The end of a response.
pub fn response_tail(operation: &str) -> String {
    format!("</{operation}Result></{operation}Response></s:Body></s:Envelope>")
}

/// The envelope of `Authenticate`'s answer (`AuthenticationResponse`).
pub fn auth_response(namespace: &str, answer: &crate::auth::AuthAnswer) -> String {
    let mut out = String::with_capacity(1024);
    let _ = write!(
        out,
        "<?xml version=\"1.0\" encoding=\"utf-8\"?><s:Envelope xmlns:s=\"{SOAP11}\"><s:Body>\
         <AuthenticateResponse xmlns=\"{}\"><AuthenticateResult xmlns:i=\"{XSI}\">",
        xml::escape(namespace)
    );
    xml::text_element(&mut out, "Reason", answer.reason.as_deref());
    xml::text_element(
        &mut out,
        "SignedApplicationToken",
        answer.signed_application_token.as_deref(),
    );
    xml::text_element(&mut out, "Succeeded", Some(if answer.succeeded { "true" } else { "false" }));
    out.push_str("</AuthenticateResult></AuthenticateResponse></s:Body></s:Envelope>");
    out
}

/// A request envelope (what SuperOffice sends), for clients and tests: `request_members` is
/// the inside of the `request` element (`None`: an operation without parameter).
pub fn request(operation: &str, namespace: &str, request_members: Option<&str>) -> String {
    let inner = match request_members {
        Some(m) => format!("<request xmlns:i=\"{XSI}\">{m}</request>"),
        None => String::new(),
    };
    format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?><s:Envelope xmlns:s=\"{SOAP11}\"><s:Body>\
         <{operation} xmlns=\"{}\">{inner}</{operation}></s:Body></s:Envelope>",
        xml::escape(namespace)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::carriers::ResponseState;

    #[test]
    fn reads_the_operation_and_answers_in_its_namespace() {
        let req = request("WSTestConnection", "urn:so", Some("<ConnectionGuid>g</ConnectionGuid>"));
        let parsed = read_request(&req).unwrap();
        assert_eq!(
            (parsed.operation.as_str(), parsed.namespace.as_deref()),
            ("WSTestConnection", Some("urn:so"))
        );
        assert_eq!(parsed.body.child("request").unwrap().child_text("ConnectionGuid"), Some("g"));
        let answer = response(
            "WSTestConnection",
            "urn:so",
            &PluginResponse::error("US:\"no\"", "x<y"),
            &Payload::None,
        );
        let back = xml::parse(&answer).unwrap();
        let result = &back.child("Body").unwrap().children[0].children[0];
        assert_eq!(result.name, "WSTestConnectionResult");
        assert_eq!(back.child("Body").unwrap().children[0].namespace.as_deref(), Some("urn:so"));
        assert_eq!(PluginResponse::read(result).state, ResponseState::Error);
        assert_eq!(result.child_text("TechExplanation"), Some("x<y"));
        assert!(read_request("<a/>").is_err());
        assert_eq!(
            operation_of_action("\"http://x/IErpConnectorWS/WSGetActors\"").as_deref(),
            Some("WSGetActors")
        );
    }
}
