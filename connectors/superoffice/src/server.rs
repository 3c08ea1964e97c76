//! The HTTP side: SOAP 1.1 posts dispatched to an [`ErpConnector`] by the body element's
//! local name, the WSDL at `?wsdl`, bodies bounded in size. Every failure, a malformed
//! envelope or an oversized body included, is an answer with `State=Error`, never a fault.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;

use bytes::Bytes;
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Full, Limited, StreamBody};
use hyper::body::{Frame, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode, header};
use hyper_util::rt::TokioIo;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, watch};
use tokio::task::JoinSet;

use crate::carriers::{Payload, PluginResponse, us};
use crate::contract::contract;
use crate::service::ErpConnector;
use crate::service::Poll;
use crate::soap;
use crate::wsdl;

/// How long a client may take to send a request's headers.
const HEADER_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);
/// How long a client may take to send a request's body.
const BODY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(60);

/// The largest request body taken by default (4 MiB).
pub const DEFAULT_MAX_BODY: usize = 4 * 1024 * 1024;

/// How a server answers: the connector, the namespace it answers in when a request names
/// none, and the largest body it reads.
#[derive(Debug, Clone)]
pub struct ServerOptions {
    /// The contract namespace (default: SuperOffice's DataContract namespace).
    pub namespace: String,
    /// The largest request body, in bytes.
    pub max_body: usize,
}

impl Default for ServerOptions {
    fn default() -> Self {
        Self { namespace: contract().namespace.clone(), max_body: DEFAULT_MAX_BODY }
    }
}

/// A running server; stops when [`ConnectorServer::shutdown`] is called or it is dropped.
#[derive(Debug)]
pub struct ConnectorServer {
    addr: SocketAddr,
    shutdown: watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
}

impl ConnectorServer {
    /// Serves `connector` on `addr` (port 0: any free one).
    pub async fn start(
        connector: ErpConnector,
        addr: SocketAddr,
        options: ServerOptions,
    ) -> std::io::Result<Self> {
        let listener = TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let (shutdown, watcher) = watch::channel(false);
        let shared = Arc::new(Shared { connector, options });
        let task = tokio::spawn(accept_loop(listener, shared, watcher));
        Ok(Self { addr, shutdown, task })
    }

    /// Where it listens.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The URL SuperOffice is given (`http://127.0.0.1:port/Services/ErpConnectorWS.svc`).
    pub fn url(&self) -> String {
        format!("http://{}/Services/ErpConnectorWS.svc", self.addr)
    }

    /// Stops accepting and waits for the accept loop to end.
    pub async fn shutdown(self) {
        let _ = self.shutdown.send(true);
        let _ = self.task.await;
    }
}

struct Shared {
    connector: ErpConnector,
    options: ServerOptions,
}

async fn accept_loop(
    listener: TcpListener,
    shared: Arc<Shared>,
    mut shutdown: watch::Receiver<bool>,
) {
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => { connections.spawn(serve_connection(stream, shared.clone())); }
                Err(e) => {
                    tracing::warn!(error = %e, "superoffice connector: accept failed");
                    tokio::time::sleep(std::time::Duration::from_millis(10)).await;
                }
            },
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
            () = stopped(&mut shutdown) => break,
        }
    }
    connections.shutdown().await;
}

async fn stopped(shutdown: &mut watch::Receiver<bool>) {
    let _ = shutdown.wait_for(|stop| *stop).await;
}

async fn serve_connection(stream: TcpStream, shared: Arc<Shared>) {
    let service = service_fn(move |req| {
        let shared = shared.clone();
        async move { Ok::<_, Infallible>(shared.serve(req).await) }
    });
    let mut builder = http1::Builder::new();
    builder.timer(hyper_util::rt::TokioTimer::new()).header_read_timeout(HEADER_TIMEOUT);
    if let Err(e) = builder.serve_connection(TokioIo::new(stream), service).await {
        tracing::debug!(error = %e, "superoffice connector: connection closed");
    }
}

/// A response body: whole, or streamed (a poll's actors as they are read).
type Body = BoxBody<Bytes, std::io::Error>;

fn xml_response(status: StatusCode, content_type: &'static str, body: String) -> Response<Body> {
    let whole = Full::new(Bytes::from(body)).map_err(|never: Infallible| match never {}).boxed();
    let mut r = Response::new(whole);
    *r.status_mut() = status;
    r.headers_mut().insert(header::CONTENT_TYPE, header::HeaderValue::from_static(content_type));
    r
}

impl Shared {
    async fn serve(&self, req: Request<Incoming>) -> Response<Body> {
        let (parts, body) = req.into_parts();
        let wants_wsdl =
            parts.uri.query().is_some_and(|q| q.split('&').any(|p| p.eq_ignore_ascii_case("wsdl")));
        if parts.method == Method::GET && wants_wsdl {
            let host = parts
                .headers
                .get(header::HOST)
                .and_then(|h| h.to_str().ok())
                .unwrap_or("127.0.0.1");
            let address = format!("http://{host}{}", parts.uri.path());
            return xml_response(
                StatusCode::OK,
                "text/xml; charset=utf-8",
                wsdl::wsdl(&self.options.namespace, &address),
            );
        }
        if parts.method != Method::POST {
            let mut r = xml_response(
                StatusCode::METHOD_NOT_ALLOWED,
                "text/plain; charset=utf-8",
                "POST a SOAP request, or GET ?wsdl\n".into(),
            );
            r.headers_mut().insert(header::ALLOW, header::HeaderValue::from_static("GET, POST"));
            return r;
        }
        let action_op = parts
            .headers
            .get("soapaction")
            .and_then(|v| v.to_str().ok())
            .and_then(soap::operation_of_action)
            .unwrap_or_else(|| "Unknown".to_owned());
        let namespace = self.options.namespace.clone();
        let refuse = |op: &str, user: &str, tech: String| {
            let status = PluginResponse::error(us(user), tech);
            xml_response(
                StatusCode::OK,
                "text/xml; charset=utf-8",
                soap::response(op, &namespace, &status, &Payload::None),
            )
        };
        let read =
            tokio::time::timeout(BODY_TIMEOUT, Limited::new(body, self.options.max_body).collect());
        let Ok(read) = read.await else {
            return refuse(
                &action_op,
                "the request took too long to arrive",
                format!("no whole body within {BODY_TIMEOUT:?}"),
            );
        };
        let bytes = match read {
            Ok(b) => b.to_bytes(),
            Err(e) if e.downcast_ref::<http_body_util::LengthLimitError>().is_some() => {
                return refuse(
                    &action_op,
                    "the request is larger than the connector accepts",
                    format!("request body over {} bytes", self.options.max_body),
                );
            }
            Err(e) => return refuse(&action_op, "the request could not be read", e.to_string()),
        };
        if std::str::from_utf8(&bytes).is_err() {
            return refuse(
                &action_op,
                "the request is not UTF-8 text",
                "invalid UTF-8 in the body".into(),
            );
        }
        // Parsing is CPU work: off the threads that serve connections.
        let parsed = tokio::task::spawn_blocking(move || {
            soap::read_request(std::str::from_utf8(&bytes).unwrap_or_default())
        })
        .await
        .unwrap_or_else(|e| Err(format!("the parser stopped: {e}")));
        let request = match parsed {
            Ok(r) => r,
            Err(e) => {
                return refuse(
                    &action_op,
                    "the request is not a SOAP message the connector can read",
                    e,
                );
            }
        };
        let answer_ns = request.namespace.clone().unwrap_or(namespace);
        if request.operation == "Authenticate" {
            let token = request
                .body
                .child("request")
                .and_then(|r| r.child_text("SignedToken"))
                .unwrap_or_default();
            let answer = self.connector.authenticate(token);
            if !answer.succeeded {
                tracing::warn!(reason = ?answer.reason, "superoffice connector: refused a handshake");
            }
            return xml_response(
                StatusCode::OK,
                "text/xml; charset=utf-8",
                soap::auth_response(&answer_ns, &answer),
            );
        }
        let parameter = request.body.child("request").or(request.body.children.first());
        if request.operation == "WSGetActorsByTimestamp" {
            let empty = crate::xml::Element::default();
            return match self.connector.prepare_poll(parameter.unwrap_or(&empty)).await {
                Ok(poll) => stream_poll(self.connector.clone(), poll, answer_ns),
                Err((status, payload)) => xml_response(
                    StatusCode::OK,
                    "text/xml; charset=utf-8",
                    soap::response(&request.operation, &answer_ns, &status, &payload),
                ),
            };
        }
        let (status, payload) = self.connector.call(&request.operation, parameter).await;
        if !status.is_ok() {
            tracing::info!(operation = %request.operation, error = %status.tech_explanation, "superoffice connector: answered an error");
        }
        xml_response(
            StatusCode::OK,
            "text/xml; charset=utf-8",
            soap::response(&request.operation, &answer_ns, &status, &payload),
        )
    }
}

/// How much XML a streamed answer gathers before it sends a chunk.
const CHUNK: usize = 64 * 1024;

/// A poll's answer, streamed: the status and the actors as the source delivers them. A
/// failure before the first chunk is sent is an ordinary error answer; one midway cuts the
/// connection (the answer is then incomplete XML, so SuperOffice takes nothing from it and
/// polls again) rather than sending a truncated "Ok".
fn stream_poll(connector: ErpConnector, poll: Poll, namespace: String) -> Response<Body> {
    const OP: &str = "WSGetActorsByTimestamp";
    let (bytes_tx, bytes_rx) = mpsc::channel::<Result<Bytes, std::io::Error>>(4);
    tokio::spawn(async move {
        let (actors_tx, mut actors_rx) = mpsc::channel(256);
        let head = soap::response_head(OP, &namespace, &PluginResponse::ok()) + "<Actors>";
        // The receiver moves into the writer: when SuperOffice goes away the writer ends, the
        // receiver is dropped, and the poll's next send fails, so the poll stops too.
        let chunks = bytes_tx.clone();
        let write = async move {
            let mut buffer = head;
            let mut sent = false;
            while let Some(actor) = actors_rx.recv().await {
                crate::carriers::ErpActor::write_as(&actor, &mut buffer, "ErpActorWS");
                if buffer.len() >= CHUNK {
                    if chunks.send(Ok(Bytes::from(std::mem::take(&mut buffer)))).await.is_err() {
                        return None; // SuperOffice went away
                    }
                    sent = true;
                }
            }
            Some((buffer, sent))
        };
        let (result, rest) = tokio::join!(connector.run_poll(poll, actors_tx), write);
        let Some((mut rest, sent)) = rest else { return };
        let last = match result {
            Ok(()) => {
                rest.push_str("</Actors>");
                rest.push_str(&soap::response_tail(OP));
                Ok(Bytes::from(rest))
            }
            // Nothing sent yet: an ordinary answer with the error.
            Err(status) if !sent => {
                Ok(Bytes::from(soap::response(OP, &namespace, &status, &Payload::None)))
            }
            Err(status) => {
                tracing::warn!(error = %status.tech_explanation, "superoffice connector: a poll failed midway; the answer is cut");
                Err(std::io::Error::other(status.tech_explanation))
            }
        };
        let _ = bytes_tx.send(last).await;
    });
    let frames = futures_util::stream::unfold(bytes_rx, |mut rx| async move {
        rx.recv().await.map(|item| (item.map(Frame::data), rx))
    });
    let mut r = Response::new(StreamBody::new(frames).boxed());
    r.headers_mut()
        .insert(header::CONTENT_TYPE, header::HeaderValue::from_static("text/xml; charset=utf-8"));
    r
}
