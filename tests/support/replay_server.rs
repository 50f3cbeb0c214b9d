//! A tiny HTTP/1.1 replay server for loopback tests (std `TcpListener` on 127.0.0.1, one thread
//! per connection, every response `Connection: close`), and captured Intel PCS responses to
//! replay with it. It records what it was asked (method, headers and body included, see
//! [`Server::start_full`]). No other network is used.
#![allow(dead_code)]

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// What the server does with one request.
#[derive(Clone, Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// Wait this long before answering.
    pub delay: Duration,
    /// Never answer; hold the connection until the client drops it.
    pub hang: bool,
    /// Send `Content-Length` (otherwise the body is delimited by closing the connection).
    pub content_length: bool,
    /// Send only this many bytes of the body (with the full `Content-Length`), then close.
    pub cut_after: Option<usize>,
}

impl Reply {
    pub fn ok(body: impl Into<Vec<u8>>) -> Self {
        Reply {
            status: 200,
            headers: Vec::new(),
            body: body.into(),
            delay: Duration::ZERO,
            hang: false,
            content_length: true,
            cut_after: None,
        }
    }
    pub fn status(status: u16) -> Self {
        Reply {
            status,
            ..Reply::ok(format!("status {status}"))
        }
    }
    pub fn hang() -> Self {
        Reply {
            hang: true,
            ..Reply::ok("")
        }
    }
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }
    pub fn truncated(mut self, keep: usize) -> Self {
        self.cut_after = Some(keep);
        self
    }
    pub fn delayed(mut self, delay: Duration) -> Self {
        self.delay = delay;
        self
    }
}

/// One request as received.
#[derive(Clone, Debug, Default)]
pub struct Request {
    /// `GET`, `POST`, …
    pub method: String,
    /// Path and query.
    pub target: String,
    /// Path (no query).
    pub path: String,
    /// Headers in received order, names as sent.
    pub headers: Vec<(String, String)>,
    /// The body (read by `Content-Length`; empty without one).
    pub body: Vec<u8>,
}

impl Request {
    /// The first value of header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Decides the reply from the request and the number of requests to its path (query excluded),
/// this one included.
pub type Handler = dyn Fn(&Request, usize) -> Reply + Send + Sync;

/// Largest request body read.
const MAX_REQUEST_BODY: usize = 16 * 1024 * 1024;

/// What the server has seen.
#[derive(Default)]
pub struct State {
    /// Request targets (path and query) in arrival order, with their User-Agent.
    pub requests: Mutex<Vec<(String, String)>>,
    /// Requests per path (query excluded).
    pub hits: Mutex<HashMap<String, usize>>,
    /// Requests being answered right now.
    pub in_flight: AtomicUsize,
    /// The most requests ever answered at once.
    pub max_in_flight: AtomicUsize,
    /// Every request in full, in arrival order.
    pub received: Mutex<Vec<Request>>,
}

/// A running replay server; it lives until the test process exits.
pub struct Server {
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    /// What it has seen.
    pub state: Arc<State>,
}

impl Server {
    /// Start a server whose `handler` gets the request path (no query) and how many requests that
    /// path has had so far, this one included.
    pub fn start(handler: impl Fn(&str, usize) -> Reply + Send + Sync + 'static) -> Server {
        Server::start_full(move |request: &Request, nth| handler(&request.path, nth))
    }

    /// Start a server whose `handler` sees the whole request (method, headers, body) and how
    /// many requests its path has had so far, this one included.
    pub fn start_full(
        handler: impl Fn(&Request, usize) -> Reply + Send + Sync + 'static,
    ) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        let addr = listener.local_addr().expect("local addr");
        let state = Arc::new(State::default());
        let handler: Arc<Handler> = Arc::new(handler);
        let st = Arc::clone(&state);
        // The accept loop lives until the test process exits.
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { continue };
                let st = Arc::clone(&st);
                let handler = Arc::clone(&handler);
                std::thread::spawn(move || serve(stream, &st, &*handler));
            }
        });
        Server {
            base: format!("http://{addr}"),
            state,
        }
    }

    pub fn hits(&self, path: &str) -> usize {
        self.state
            .hits
            .lock()
            .unwrap()
            .get(path)
            .copied()
            .unwrap_or(0)
    }

    /// Every request received so far, in arrival order.
    pub fn received(&self) -> Vec<Request> {
        self.state.received.lock().unwrap().clone()
    }

    pub fn targets(&self) -> Vec<String> {
        let mut t: Vec<String> = self
            .state
            .requests
            .lock()
            .unwrap()
            .iter()
            .map(|(t, _)| t.clone())
            .collect();
        t.sort();
        t
    }
}

/// Answer one connection (one request).
pub fn serve(stream: TcpStream, state: &State, handler: &Handler) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
    serve_io(stream, state, handler, |s| {
        let _ = s.shutdown(std::net::Shutdown::Write);
    });
}

/// Answer one request on any byte stream (plain TCP, or TLS); `finish` ends the response
/// (half-close, or TLS close_notify).
pub fn serve_io<S: Read + Write>(stream: S, state: &State, handler: &Handler, finish: impl FnOnce(&mut S)) {
    let mut reader = BufReader::new(stream);
    let mut request_line = String::new();
    if reader.read_line(&mut request_line).unwrap_or(0) == 0 {
        return;
    }
    let mut user_agent = String::new();
    let mut headers = Vec::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        let line = line.trim_end();
        if line.is_empty() {
            break;
        }
        if let Some((name, value)) = line.split_once(':') {
            if name.eq_ignore_ascii_case("user-agent") {
                user_agent = value.trim().to_owned();
            }
            headers.push((name.trim().to_owned(), value.trim().to_owned()));
        }
    }
    let content_length = headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.parse::<usize>().ok())
        .unwrap_or(0);
    let mut body = vec![0u8; content_length.min(MAX_REQUEST_BODY)];
    if reader.read_exact(&mut body).is_err() {
        return;
    }
    let method = request_line
        .split_whitespace()
        .next()
        .unwrap_or("")
        .to_owned();
    let target = request_line
        .split_whitespace()
        .nth(1)
        .unwrap_or("")
        .to_owned();
    let path = target.split('?').next().unwrap_or("").to_owned();
    let nth = {
        let mut hits = state.hits.lock().unwrap();
        let n = hits.entry(path.clone()).or_insert(0);
        *n += 1;
        *n
    };
    state
        .requests
        .lock()
        .unwrap()
        .push((target.clone(), user_agent));
    let request = Request {
        method,
        target,
        path,
        headers,
        body,
    };
    state.received.lock().unwrap().push(request.clone());
    let now = state.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
    state.max_in_flight.fetch_max(now, Ordering::SeqCst);

    let reply = handler(&request, nth);
    if reply.hang {
        // Say nothing; return once the client gives up and closes (or after the read timeout).
        let mut sink = [0u8; 256];
        while matches!(reader.read(&mut sink), Ok(n) if n > 0) {}
        state.in_flight.fetch_sub(1, Ordering::SeqCst);
        return;
    }
    std::thread::sleep(reply.delay);
    let mut out = format!("HTTP/1.1 {} Replay\r\n", reply.status).into_bytes();
    for (name, value) in &reply.headers {
        out.extend_from_slice(format!("{name}: {value}\r\n").as_bytes());
    }
    if reply.content_length {
        out.extend_from_slice(format!("Content-Length: {}\r\n", reply.body.len()).as_bytes());
    }
    out.extend_from_slice(b"Connection: close\r\n\r\n");
    let sent = reply.cut_after.unwrap_or(reply.body.len()).min(reply.body.len());
    out.extend_from_slice(&reply.body[..sent]);
    state.in_flight.fetch_sub(1, Ordering::SeqCst);
    // The client may already have hung up (e.g. body too large): ignore write errors.
    let mut stream = reader.into_inner();
    let _ = stream.write_all(&out);
    let _ = stream.flush();
    finish(&mut stream);
    // Drain until the client closes so the close is orderly.
    let mut sink = [0u8; 256];
    while matches!(stream.read(&mut sink), Ok(n) if n > 0) {}
}

/// One captured response: body, and headers as `(name, first value)`.
pub struct Capture {
    pub url: String,
    pub body: Vec<u8>,
    pub headers: Vec<(String, String)>,
}

impl Capture {
    pub fn load(dir: &Path, stem: &str) -> Capture {
        let meta_path = dir.join(format!("{stem}.json"));
        let body_path = dir.join(format!("{stem}.body"));
        let meta: serde_json::Value = serde_json::from_slice(
            &std::fs::read(&meta_path).unwrap_or_else(|e| panic!("{}: {e}", meta_path.display())),
        )
        .unwrap_or_else(|e| panic!("{}: {e}", meta_path.display()));
        let body =
            std::fs::read(&body_path).unwrap_or_else(|e| panic!("{}: {e}", body_path.display()));
        assert_eq!(meta["status"], 200, "{}", meta_path.display());
        let headers = meta["headers"]
            .as_object()
            .unwrap_or_else(|| panic!("{}: no headers object", meta_path.display()))
            .iter()
            .map(|(name, values)| {
                let value = values[0]
                    .as_str()
                    .unwrap_or_else(|| panic!("{name}: not a string"));
                (name.clone(), value.to_owned())
            })
            .collect();
        Capture {
            url: meta["url"].as_str().unwrap_or_default().to_owned(),
            body,
            headers,
        }
    }

    pub fn header(&self, name: &str) -> &str {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
            .unwrap_or_else(|| panic!("capture {} lacks header {name}", self.url))
    }

    /// Replay: the captured headers (minus framing ones) and body.
    pub fn reply(&self) -> Reply {
        let mut reply = Reply::ok(self.body.clone());
        for (name, value) in &self.headers {
            let framing = [
                "content-length",
                "connection",
                "transfer-encoding",
                "keep-alive",
            ];
            if !framing.iter().any(|f| name.eq_ignore_ascii_case(f)) {
                reply = reply.header(name, value);
            }
        }
        reply
    }
}
