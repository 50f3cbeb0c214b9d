//! Network access: the only module in `teescan` that performs I/O.
//!
//! Everything else in the crate verifies data it is handed. This module (behind the cargo feature
//! `fetch`) downloads that data — today the Intel PCS / PCCS collateral for TDX quotes, see
//! [`pcs::PcsClient`] — and returns it byte for byte as received, so that it can be stored as
//! evidence and verified offline later.
//!
//! Transport rules shared by every fetcher:
//! - `https://` only; `http://` is accepted solely for loopback hosts (`127.0.0.0/8`, `::1`,
//!   `localhost`), which is what tests and a local PCCS use. Redirects are held to the same rule.
//! - TLS is rustls with the bundled Mozilla (webpki) roots; proxy settings from the environment
//!   (`HTTP_PROXY`, `HTTPS_PROXY`, …) are **ignored**: connections are always direct.
//! - Each request has a timeout, bounded retries with exponential backoff (only on timeouts,
//!   connection errors and HTTP 5xx/429 — never on other 4xx), and a bounded body size.
//!
//! The futures returned here need a Tokio runtime with the time driver enabled (the default of
//! `#[tokio::main]` / `Runtime::new`, or `Builder::enable_time`/`enable_all`).

use std::net::IpAddr;
use std::time::Duration;

use reqwest::Url;

pub mod cache;
pub mod gather;
pub mod kds;
pub mod github;
pub mod live;
pub mod nvidia;
pub mod pcs;

/// Why a fetch failed. Every variant names the URL concerned.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FetchError {
    /// The URL is plain `http://` to a host that is not loopback (only `https://` is allowed there).
    #[error("refusing insecure URL {url}: https is required (http only for loopback hosts)")]
    InsecureUrl {
        /// The offending URL.
        url: String,
    },
    /// The URL could not be parsed or is unusable (unsupported scheme, query on a base URL, …).
    #[error("invalid URL {url}: {reason}")]
    InvalidUrl {
        /// The offending URL, as given.
        url: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The request (connect, headers and body) did not complete within the configured timeout,
    /// on every attempt.
    #[error("timed out fetching {url}")]
    Timeout {
        /// The URL requested.
        url: String,
    },
    /// The connection could not be established (DNS, TCP, TLS), on every attempt.
    #[error("cannot connect to {url}: {reason}")]
    Connect {
        /// The URL requested.
        url: String,
        /// The underlying error.
        reason: String,
    },
    /// The server answered with a non-success HTTP status (after retries for 5xx/429).
    #[error("{url} answered HTTP {status}")]
    Status {
        /// The URL requested.
        url: String,
        /// The HTTP status code of the last answer.
        status: u16,
    },
    /// A response header that the protocol requires was absent.
    #[error("{url}: response lacks the {header} header")]
    MissingHeader {
        /// The URL requested.
        url: String,
        /// The header that was expected.
        header: &'static str,
    },
    /// The response body exceeded [`FetchOptions::max_body_bytes`].
    #[error("{url}: response body exceeds {limit} bytes")]
    BodyTooLarge {
        /// The URL requested.
        url: String,
        /// The limit in force, in bytes.
        limit: usize,
    },
    /// `--offline`: the answer is not in the cache and the network may not be used.
    #[error("{url}: not in the cache, and the network may not be used (offline)")]
    Offline {
        /// The URL that would have been requested.
        url: String,
    },
    /// Any other HTTP-level failure (client construction, protocol error, body read error, …).
    #[error("HTTP error fetching {url}: {reason}")]
    Http {
        /// The URL requested.
        url: String,
        /// The underlying error.
        reason: String,
    },
}

impl FetchError {
    /// The URL this error is about.
    pub fn url(&self) -> &str {
        match self {
            FetchError::InsecureUrl { url }
            | FetchError::InvalidUrl { url, .. }
            | FetchError::Timeout { url }
            | FetchError::Connect { url, .. }
            | FetchError::Status { url, .. }
            | FetchError::MissingHeader { url, .. }
            | FetchError::BodyTooLarge { url, .. }
            | FetchError::Offline { url }
            | FetchError::Http { url, .. } => url,
        }
    }
}

/// Transport settings for every request a fetcher makes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchOptions {
    /// Time allowed for one attempt: connecting, sending, and reading the whole body. Default 15 s.
    pub timeout: Duration,
    /// How many times a failed attempt is retried (so at most `retries + 1` attempts). Only
    /// timeouts, connection errors and HTTP 5xx/429 are retried. Default 2.
    pub retries: u32,
    /// Pause before the first retry, doubled before each further one. Default 250 ms.
    pub backoff: Duration,
    /// Largest response body accepted, in bytes; a larger one fails with
    /// [`FetchError::BodyTooLarge`]. Default 4 MiB.
    pub max_body_bytes: usize,
}

impl Default for FetchOptions {
    fn default() -> Self {
        FetchOptions {
            timeout: Duration::from_secs(15),
            retries: 2,
            backoff: Duration::from_millis(250),
            max_body_bytes: 4 * 1024 * 1024,
        }
    }
}

// Shared by every client: URL rules (https, or http on loopback only) and error mapping.

/// Map a reqwest error to a [`FetchError`] for `url`.
pub(crate) fn classify(url: &str, e: &reqwest::Error) -> FetchError {
    let url = url.to_owned();
    if e.is_timeout() {
        FetchError::Timeout { url }
    } else if e.is_connect() {
        FetchError::Connect {
            url,
            reason: error_chain(e),
        }
    } else {
        FetchError::Http {
            url,
            reason: error_chain(e),
        }
    }
}

/// `e` and its sources, joined with `": "`.
pub(crate) fn error_chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    // reqwest names the URL in its message; every FetchError names it already: say it once.
    if let Some(start) = out.find(" for url (") {
        let end = out.get(start..).and_then(|t| t.find(')')).and_then(|i| start.checked_add(i)?.checked_add(1));
        if let Some(end) = end {
            out.replace_range(start..end, "");
        }
    }
    let mut source = e.source();
    while let Some(s) = source {
        out.push_str(": ");
        out.push_str(&s.to_string());
        source = s.source();
    }
    out
}

/// Parse `url` and apply the scheme rule.
pub(crate) fn checked_url(url: &str) -> Result<Url, FetchError> {
    let parsed = Url::parse(url).map_err(|e| FetchError::InvalidUrl {
        url: url.to_owned(),
        reason: e.to_string(),
    })?;
    check_scheme(&parsed)?;
    Ok(parsed)
}

/// teescan's User-Agent on every request.
pub(crate) const USER_AGENT: &str = concat!("teescan/", env!("CARGO_PKG_VERSION"));
/// Redirects a collateral client follows at most.
pub(crate) const MAX_REDIRECTS: usize = 5;

/// The HTTP client of the collateral fetchers (Intel PCS, NVIDIA, AMD KDS, GitHub): rustls, no
/// proxy, `timeout` to connect, at most [`MAX_REDIRECTS`] redirects and each to an `https` (or
/// loopback `http`) URL. `url` names the client in an error.
pub(crate) fn collateral_client(timeout: Duration, url: &str) -> Result<reqwest::Client, FetchError> {
    let redirect = reqwest::redirect::Policy::custom(|attempt| {
        if attempt.previous().len() >= MAX_REDIRECTS {
            attempt.error("too many redirects")
        } else if check_scheme(attempt.url()).is_err() {
            attempt.error("redirect to a URL that is neither https nor loopback http")
        } else {
            attempt.follow()
        }
    });
    reqwest::Client::builder()
        .use_rustls_tls()
        .user_agent(USER_AGENT)
        .no_proxy()
        .connect_timeout(timeout)
        .redirect(redirect)
        .build()
        .map_err(|e| FetchError::Http { url: url.to_owned(), reason: error_chain(&e) })
}

/// A base URL: checked, without query or fragment, serialised without trailing slash.
pub(crate) fn checked_base(url: &str) -> Result<String, FetchError> {
    let parsed = checked_url(url)?;
    if parsed.query().is_some() || parsed.fragment().is_some() {
        return Err(FetchError::InvalidUrl {
            url: url.to_owned(),
            reason: "a base URL cannot have a query or fragment".to_owned(),
        });
    }
    Ok(parsed.as_str().trim_end_matches('/').to_owned())
}

/// `https` always; `http` only for a loopback host; anything else is invalid.
pub(crate) fn check_scheme(url: &Url) -> Result<(), FetchError> {
    match url.scheme() {
        "https" => Ok(()),
        "http" if is_loopback_host(url) => Ok(()),
        "http" => Err(FetchError::InsecureUrl {
            url: url.to_string(),
        }),
        other => Err(FetchError::InvalidUrl {
            url: url.to_string(),
            reason: format!("unsupported scheme {other:?} (https required)"),
        }),
    }
}

/// Whether the host of `url` is `localhost`, an address in 127.0.0.0/8, or `::1`.
pub(crate) fn is_loopback_host(url: &Url) -> bool {
    let Some(host) = url.host_str() else {
        return false;
    };
    if host.eq_ignore_ascii_case("localhost") {
        return true;
    }
    let bare = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host);
    bare.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// Check the status and read the body of `response` to at most `limit` bytes (refused early
/// when `Content-Length` says more), keeping the headers for the record.
pub(crate) async fn read_response(url: &str, mut response: reqwest::Response, limit: usize) -> Result<Fetched, FetchError> {
    let status = response.status();
    if !status.is_success() {
        return Err(FetchError::Status { url: url.to_owned(), status: status.as_u16() });
    }
    let too_large = || FetchError::BodyTooLarge { url: url.to_owned(), limit };
    let mut body = Vec::new();
    if let Some(len) = response.content_length() {
        if len > limit as u64 {
            return Err(too_large());
        }
        // `len <= limit`, so this fits in usize.
        body.reserve(usize::try_from(len).unwrap_or(0));
    }
    let headers = response
        .headers()
        .iter()
        .map(|(name, value)| (name.as_str().to_owned(), String::from_utf8_lossy(value.as_bytes()).into_owned()))
        .collect();
    let final_url = response.url().to_string();
    while let Some(chunk) = response.chunk().await.map_err(|e| classify(url, &e))? {
        if chunk.len() > limit.saturating_sub(body.len()) {
            return Err(too_large());
        }
        body.extend_from_slice(&chunk);
    }
    Ok(Fetched { url: final_url, status: status.as_u16(), headers, body })
}

/// Run `attempt` under the per-attempt timeout, retrying timeouts, connection errors, 5xx and 429
/// with exponential backoff, at most `opts.retries` times; any other error is returned at once.
pub(crate) async fn with_retries<T, F, Fut>(opts: &FetchOptions, url: &str, mut attempt: F) -> Result<T, FetchError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, FetchError>>,
{
    let mut tries: u32 = 0;
    loop {
        let result = match tokio::time::timeout(opts.timeout, attempt()).await {
            Ok(result) => result,
            Err(_elapsed) => Err(FetchError::Timeout { url: url.to_owned() }),
        };
        let retryable = match &result {
            Ok(_) => return result,
            Err(FetchError::Timeout { .. }) | Err(FetchError::Connect { .. }) => true,
            Err(FetchError::Status { status, .. }) => *status == 429 || *status >= 500,
            Err(_) => false,
        };
        if !retryable || tries >= opts.retries {
            return result;
        }
        tokio::time::sleep(opts.backoff.saturating_mul(2u32.saturating_pow(tries))).await;
        tries = tries.saturating_add(1);
    }
}

/// One successful HTTP exchange, recorded for provenance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fetched {
    /// The URL the body came from (the requested one, or the last hop if redirects were followed).
    pub url: String,
    /// HTTP status code of the response (2xx).
    pub status: u16,
    /// Response headers in received order; names lowercase, values as received (non-UTF-8 bytes
    /// replaced by U+FFFD). A repeated header appears once per value.
    pub headers: Vec<(String, String)>,
    /// The response body, byte for byte.
    pub body: Vec<u8>,
}

impl Fetched {
    /// The first value of header `name` (compared case-insensitively), if present.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}
