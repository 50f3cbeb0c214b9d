//! The on-disk collateral cache: Intel PCS answers, NVIDIA RIMs, OCSP responses and the NRAS
//! JWKS, kept byte for byte (with their headers) and reused only inside their validity window.
//!
//! A cached answer is raw input like a fresh one: the core verifies it (signatures, chains,
//! dates) exactly as if it had just arrived, so a poisoned cache can make a scan fail or be
//! indeterminate, never pass. The window only decides whether an entry is *offered*:
//!
//! | what | window |
//! | --- | --- |
//! | TCB Info, QE Identity | its signed `issueDate` .. `nextUpdate` |
//! | PCK CRL, root CA CRL | its `thisUpdate` .. `nextUpdate` |
//! | NVIDIA OCSP response | fetch time .. +12 h (NVIDIA's responses are valid 24 h) |
//! | NVIDIA RIM | fetch time .. +7 days (revocation is OCSP's job) |
//! | NRAS JWKS | fetch time .. +1 day |
//! | GitHub attestations (Sigstore bundles, by digest; re-verified at the scan time) | any scan time .. fetch time +30 days |
//!
//! NRAS appraisals and provider attestations are never cached (they answer one nonce).
//! Entries are keyed by SHA-256(method, URL, request body): `<dir>/<key>.json`, written
//! atomically. Answers from loopback hosts are cached only in a cache directory named
//! explicitly (a local PCCS is its own cache; tests must not leak into the user's).

use std::path::{Path, PathBuf};

use base64::Engine as _;
use serde::{Deserialize, Serialize};

use super::Fetched;
use super::FetchError;
use crate::time::Timestamp;

/// Most entries kept; beyond it, expired entries are pruned on write.
pub const MAX_ENTRIES: usize = 4096;

/// Largest entry file read.
const MAX_ENTRY_BYTES: u64 = 16 * 1024 * 1024;

/// The on-disk store of fetched collateral (`teescan cache …`), consulted as of a scan time.
/// Named apart from the in-memory verify-once [`crate::cache::VerifyCache`]: this one keeps HTTP
/// answers between runs; that one remembers verifications within a run.
#[derive(Debug, Clone)]
pub struct DiskStore {
    dir: PathBuf,
    at: Timestamp,
    explicit: bool,
    offline: bool,
    hits: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
}

/// One cached answer.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    /// `tcb_info`, `qe_identity`, `crl`, `ocsp`, `rim`, `jwks`.
    pub kind: String,
    /// `GET` or `POST`.
    pub method: String,
    /// The URL requested.
    pub url: String,
    /// When it was fetched.
    pub fetched_at: Timestamp,
    /// Offered from this time…
    pub not_before: Timestamp,
    /// …until this time.
    pub not_after: Timestamp,
    /// HTTP status.
    pub status: u16,
    /// Response headers.
    pub headers: Vec<(String, String)>,
    /// The body, base64.
    pub body: String,
}

/// The default cache directory: `$XDG_CACHE_HOME/teescan`, else `$HOME/.cache/teescan`.
pub fn default_dir() -> Option<PathBuf> {
    crate::scan::files::default_cache_dir()
}

fn key(method: &str, url: &str, body: Option<&[u8]>) -> String {
    let mut ctx = ring::digest::Context::new(&ring::digest::SHA256);
    ctx.update(method.as_bytes());
    ctx.update(&[0]);
    ctx.update(url.as_bytes());
    ctx.update(&[0]);
    ctx.update(body.unwrap_or_default());
    crate::bytes::to_hex(ctx.finish())
}

/// `(kind, not_before, not_after)` of an answer, or `None` when it must not be cached.
fn window(method: &str, url: &str, body: &[u8], now: Timestamp) -> Option<(String, Timestamp, Timestamp)> {
    let lower = url.to_ascii_lowercase();
    let days = |n: u64| Timestamp::from_unix(now.unix().saturating_add(n.saturating_mul(86_400)));
    let json_window = |key: &str| -> Option<(Timestamp, Timestamp)> {
        let v: serde_json::Value = serde_json::from_slice(body).ok()?;
        let inner = v.get(key)?;
        let get = |k: &str| inner.get(k).and_then(|x| x.as_str()).and_then(|s| Timestamp::parse_rfc3339(s).ok());
        Some((get("issueDate")?, get("nextUpdate")?))
    };
    if lower.contains("/certification/v4/tcb") {
        return json_window("tcbInfo").map(|(a, b)| ("tcb_info".to_owned(), a, b));
    }
    if lower.contains("/qe/identity") {
        return json_window("enclaveIdentity").map(|(a, b)| ("qe_identity".to_owned(), a, b));
    }
    if (lower.contains("/vcek/v1/") || lower.contains("/vlek/v1/")) && !lower.ends_with("/crl") {
        // AMD KDS certificates: kept for their own validity (a re-issued VCEK has a new one).
        let (a, b) = crate::snp::certs::validity_window(body)?;
        return Some(("amd_kds".to_owned(), a, b));
    }
    if lower.contains("crl") || lower.ends_with(".der") {
        let der = if body.first() == Some(&0x30) { body.to_vec() } else { hex::decode(String::from_utf8_lossy(body).trim()).ok()? };
        let (this, next) = crate::pki::crl_dates(&der)?;
        let parse = |s: Option<String>| s.and_then(|t| Timestamp::parse_rfc3339(&t).ok());
        return Some(("crl".to_owned(), parse(this)?, parse(next)?));
    }
    if lower.contains("/v1/rim/") {
        return Some(("rim".to_owned(), now, days(7)));
    }
    if method == "GET" && lower.contains("/attestations/sha256:") {
        // Sigstore bundles by digest: content-addressed, verified on every use (at the scan
        // time: a bundle logged after it is refused), so offered to scans as of any earlier time.
        return Some(("sigstore_bundle".to_owned(), Timestamp::from_unix(0), days(30)));
    }
    if lower.ends_with("/.well-known/jwks.json") {
        return Some(("jwks".to_owned(), now, days(1)));
    }
    if method == "POST" && !lower.contains("/attest/") {
        return Some(("ocsp".to_owned(), now, Timestamp::from_unix(now.unix().saturating_add(12 * 3600))));
    }
    None
}

impl DiskStore {
    /// A cache in `dir`, offering entries valid at `at`. `explicit`: the directory was named by
    /// the user (then loopback answers are cached too).
    pub fn new(dir: PathBuf, at: Timestamp, explicit: bool) -> DiskStore {
        DiskStore { dir, at, explicit, offline: false, hits: std::sync::Arc::default() }
    }

    /// Never use the network: a miss is [`FetchError::Offline`].
    pub fn offline(mut self) -> DiskStore {
        self.offline = true;
        self
    }

    /// Whether misses must not go to the network.
    pub fn is_offline(&self) -> bool {
        self.offline
    }

    /// URLs answered from the cache so far (by this value and its clones).
    pub fn hits(&self) -> Vec<String> {
        self.hits.lock().map(|h| h.clone()).unwrap_or_default()
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn applies(&self, url: &str) -> bool {
        self.explicit || !reqwest::Url::parse(url).is_ok_and(|u| super::is_loopback_host(&u))
    }

    /// The cached answer to `method url [body]`, when there is one valid at the scan time.
    pub fn get(&self, method: &str, url: &str, body: Option<&[u8]>) -> Option<Fetched> {
        if !self.applies(url) {
            return None;
        }
        let entry = read_entry(&self.dir.join(format!("{}.json", key(method, url, body))))?;
        if entry.url != url || entry.method != method || self.at < entry.not_before || self.at > entry.not_after {
            return None;
        }
        let body = base64::engine::general_purpose::STANDARD.decode(entry.body).ok()?;
        Some(Fetched { url: entry.url, status: entry.status, headers: entry.headers, body })
    }

    /// Keep `fetched` (the answer to `method url [body]`) if it is cacheable. Errors are ignored:
    /// a cache that cannot be written is only slower.
    pub fn put(&self, method: &str, url: &str, body: Option<&[u8]>, fetched: &Fetched) {
        if !self.applies(url) {
            return;
        }
        let now = Timestamp::now();
        let Some((kind, not_before, not_after)) = window(method, url, &fetched.body, now) else {
            return;
        };
        let entry = Entry {
            kind,
            method: method.to_owned(),
            url: url.to_owned(),
            fetched_at: now,
            not_before,
            not_after,
            status: fetched.status,
            headers: fetched.headers.clone(),
            body: base64::engine::general_purpose::STANDARD.encode(&fetched.body),
        };
        let Ok(bytes) = serde_json::to_vec(&entry) else { return };
        if std::fs::create_dir_all(&self.dir).is_err() {
            return;
        }
        let k = key(method, url, body);
        let tmp = self.dir.join(format!(".{k}.{}.tmp", std::process::id()));
        if std::fs::write(&tmp, bytes).is_ok() && std::fs::rename(&tmp, self.dir.join(format!("{k}.json"))).is_err() {
            let _ = std::fs::remove_file(&tmp);
        }
        prune(&self.dir, now);
    }

    /// The answer from the cache, or from `fetch` (then cached), or, offline, a miss error.
    pub(crate) async fn through<F, Fut>(cache: Option<&DiskStore>, method: &str, url: &str, body: Option<&[u8]>, fetch: F) -> Result<Fetched, FetchError>
    where
        F: FnOnce() -> Fut,
        Fut: std::future::Future<Output = Result<Fetched, FetchError>>,
    {
        let Some(cache) = cache else { return fetch().await };
        if let Some(hit) = cache.get(method, url, body) {
            if let Ok(mut h) = cache.hits.lock() {
                h.push(url.to_owned());
            }
            return Ok(hit);
        }
        if cache.offline {
            return Err(FetchError::Offline { url: url.to_owned() });
        }
        let fetched = fetch().await?;
        cache.put(method, url, body, &fetched);
        Ok(fetched)
    }
}

fn read_entry(path: &Path) -> Option<Entry> {
    use std::io::Read as _;
    let f = std::fs::File::open(path).ok()?;
    let mut buf = Vec::new();
    f.take(MAX_ENTRY_BYTES).read_to_end(&mut buf).ok()?;
    serde_json::from_slice(&buf).ok()
}

/// Entries in `dir`, with their file sizes, sorted by URL.
pub fn entries(dir: &Path) -> Vec<(PathBuf, Entry, u64)> {
    let Ok(rd) = std::fs::read_dir(dir) else { return Vec::new() };
    let mut out: Vec<(PathBuf, Entry, u64)> = rd
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .filter_map(|p| {
            let size = std::fs::metadata(&p).map(|m| m.len()).unwrap_or(0);
            read_entry(&p).map(|e| (p, e, size))
        })
        .collect();
    out.sort_by(|a, b| a.1.url.cmp(&b.1.url));
    out
}

/// `teescan cache status`: one line per entry (fresh = offered at `now`, its kind, validity
/// window, size, method and URL), then a summary line.
pub fn status_lines(dir: &Path, now: Timestamp) -> Vec<String> {
    if !dir.is_dir() {
        let what = if dir.exists() { "is not a directory" } else { "does not exist" };
        return vec![format!("{}: {what}: nothing is cached there (a scan that fetches creates the cache)", dir.display())];
    }
    let entries = entries(dir);
    let (mut fresh, mut bytes) = (0usize, 0u64);
    let mut lines = Vec::with_capacity(entries.len().saturating_add(1));
    for (_, e, size) in &entries {
        let ok = e.not_before <= now && now <= e.not_after;
        fresh = fresh.saturating_add(usize::from(ok));
        bytes = bytes.saturating_add(*size);
        lines.push(format!(
            "{:<5} {:<11} {} .. {}  {:>8} B  {} {}",
            if ok { "fresh" } else { "stale" },
            e.kind,
            e.not_before,
            e.not_after,
            size,
            e.method,
            e.url
        ));
    }
    lines.push(format!("{}: {} entries ({fresh} fresh), {bytes} bytes", dir.display(), entries.len()));
    lines
}

/// Remove every entry in `dir`; returns how many were removed.
pub fn clear(dir: &Path) -> std::io::Result<usize> {
    let mut n = 0usize;
    let rd = match std::fs::read_dir(dir) {
        Ok(rd) => rd,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(0),
        Err(e) => return Err(e),
    };
    for e in rd.flatten() {
        let p = e.path();
        let name = p.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        if name.ends_with(".json") || name.ends_with(".tmp") {
            std::fs::remove_file(&p)?;
            n = n.saturating_add(1);
        }
    }
    Ok(n)
}

/// Over [`MAX_ENTRIES`], drop entries whose window has passed.
fn prune(dir: &Path, now: Timestamp) {
    let Ok(rd) = std::fs::read_dir(dir) else { return };
    let files: Vec<PathBuf> = rd.filter_map(|e| e.ok().map(|e| e.path())).filter(|p| p.extension().is_some_and(|x| x == "json")).collect();
    if files.len() <= MAX_ENTRIES {
        return;
    }
    for p in files {
        if read_entry(&p).is_none_or(|e| e.not_after < now) {
            let _ = std::fs::remove_file(p);
        }
    }
}
