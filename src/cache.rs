//! Verify-once caches: the result of verifying a device certificate chain, a RIM, an OCSP response,
//! or one collateral signature is kept and reused by later verifications of the same bytes — across
//! the GPUs of a node and across the scans of a batch.
//!
//! Rules (fail-closed):
//! - A key is the SHA-256 of a domain tag and the *content* verified (the certificates, the XML,
//!   the response, the certificate and issuer it is checked for), **plus the trust anchor** (its
//!   DER's SHA-256). A different anchor is a different key: never a hit.
//! - Every entry carries the validity window its original verification established (the
//!   intersection of every time-dependent condition it passed: certificate validity, OCSP
//!   `thisUpdate..nextUpdate`, …). An entry is reused only when the new scan time is inside that
//!   window; outside it, the verification runs again (and may fail).
//! - Only successes are cached. A failure is recomputed every time, so its message is identical.
//! - A signature entry says "this signature by this public key over this message verifies": a pure
//!   function of those bytes (key: SHA-256 of algorithm, public key and signature; the message is
//!   kept and compared byte for byte), valid at every time, used to skip the ECDSA arithmetic of
//!   collateral signatures (TDX collateral inside dcap-qvl, certificates inside webpki).
//!   Evidence signatures (a TDX quote's own signature, a GPU report's signature, NRAS tokens) are
//!   never cached: every scan verifies them.
//! - Bounded: each kind holds at most `capacity` entries; the least recently used is evicted.
//!
//! Passed explicitly, never ambient: one [`VerifyCache`] for a batch goes in
//! [`crate::ScanOptions::cache`] (every scan function, the provider and bundle scans included,
//! hands it down) or [`crate::nvidia::verify::GpuOptions::cache`], or is given to the `*_cached`
//! functions. There is no thread-local default: a scan without a cache caches nothing across
//! calls. Without a cache, one `verify_gpus` call still shares its work across its GPUs through a
//! private cache dropped at the end of the call; nothing outlives the call.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use rustls_pki_types::{AlgorithmIdentifier, InvalidSignature, SignatureVerificationAlgorithm};

use crate::pki::TrustAnchor;
use crate::time::Timestamp;

/// Entries per kind when no capacity is given.
pub const DEFAULT_CAPACITY: usize = 4096;

/// A closed time interval `[not_before, not_after]` in which a cached result holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    /// First second the result holds.
    pub not_before: Timestamp,
    /// Last second the result holds.
    pub not_after: Timestamp,
}

impl Window {
    /// Every time (for results that do not depend on time, such as a signature).
    pub fn always() -> Window {
        Window { not_before: Timestamp::from_unix(0), not_after: Timestamp::from_unix(u64::MAX) }
    }
    /// `[not_before, not_after]`.
    pub fn new(not_before: Timestamp, not_after: Timestamp) -> Window {
        Window { not_before, not_after }
    }
    /// True when `at` is inside the window (both ends included).
    pub fn contains(&self, at: Timestamp) -> bool {
        self.not_before <= at && at <= self.not_after
    }
    /// The intersection with `[not_before, not_after]`.
    pub fn narrow(self, not_before: Timestamp, not_after: Timestamp) -> Window {
        Window { not_before: self.not_before.max(not_before), not_after: self.not_after.min(not_after) }
    }
}

/// The kinds of cached result.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    /// A GPU / NVSwitch device certificate chain, validated to its anchor.
    DeviceChain,
    /// A RIM: XML signature, signer chain to the CoRIM root, signed content.
    Rim,
    /// An OCSP response, verified for one certificate and issuer.
    Ocsp,
    /// One collateral signature (certificate, CRL, TCB Info, QE Identity, QE report).
    Signature,
    /// A TDX quote's PEM PCK chain, decoded (a parse result, no verification).
    PckChainPem,
}

/// Counters of one kind.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct KindStats {
    /// Lookups answered from the cache.
    pub hits: u64,
    /// Lookups that found nothing usable (absent, or present but outside its window).
    pub misses: u64,
    /// Of the misses, those whose entry existed but whose window does not contain the scan time.
    pub out_of_window: u64,
    /// Results stored.
    pub inserts: u64,
    /// Entries evicted to stay within the capacity.
    pub evictions: u64,
}

/// Counters per kind.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CacheStats {
    /// Device chains.
    pub device_chain: KindStats,
    /// RIMs.
    pub rim: KindStats,
    /// OCSP responses.
    pub ocsp: KindStats,
    /// Collateral signatures.
    pub signature: KindStats,
    /// Decoded PEM PCK chains of TDX quotes.
    pub pck_chain_pem: KindStats,
}

/// A cache key: SHA-256 of a domain tag and length-prefixed parts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct Key([u8; 32]);

impl Key {
    pub(crate) fn new(domain: &str, parts: &[&[u8]]) -> Key {
        let mut h = crate::crypto::Sha256::new();
        h.update(domain.as_bytes());
        h.update(&[0]);
        for p in parts {
            h.update(&u64::try_from(p.len()).unwrap_or(u64::MAX).to_be_bytes());
            h.update(p);
        }
        Key(h.finish())
    }
    /// A key bound to a trust anchor (its DER hash and its kind).
    pub(crate) fn anchored(domain: &str, anchor: &TrustAnchor, parts: &[&[u8]]) -> Key {
        let kind: &[u8] = if anchor.is_production() { b"production" } else { b"danger-test" };
        let mut all: Vec<&[u8]> = vec![anchor.sha256().as_bytes(), kind];
        all.extend_from_slice(parts);
        Key::new(domain, &all)
    }
}

struct Slot<T> {
    value: T,
    window: Window,
    used: u64,
}

struct Map<T> {
    entries: HashMap<Key, Slot<T>>,
    stats: KindStats,
}

impl<T: Clone> Map<T> {
    fn new() -> Self {
        Map { entries: HashMap::new(), stats: KindStats::default() }
    }
    fn get(&mut self, key: &Key, at: Timestamp, tick: u64) -> Option<T> {
        match self.entries.get_mut(key) {
            Some(slot) if slot.window.contains(at) => {
                slot.used = tick;
                self.stats.hits = self.stats.hits.saturating_add(1);
                Some(slot.value.clone())
            }
            Some(_) => {
                self.stats.misses = self.stats.misses.saturating_add(1);
                self.stats.out_of_window = self.stats.out_of_window.saturating_add(1);
                None
            }
            None => {
                self.stats.misses = self.stats.misses.saturating_add(1);
                None
            }
        }
    }
    fn put(&mut self, key: Key, value: T, window: Window, capacity: usize, tick: u64) {
        if capacity == 0 {
            return;
        }
        if !self.entries.contains_key(&key) && self.entries.len() >= capacity {
            let oldest = self.entries.iter().min_by_key(|(_, s)| s.used).map(|(k, _)| *k);
            if let Some(k) = oldest {
                self.entries.remove(&k);
                self.stats.evictions = self.stats.evictions.saturating_add(1);
            }
        }
        self.stats.inserts = self.stats.inserts.saturating_add(1);
        self.entries.insert(key, Slot { value, window, used: tick });
    }
}

/// A verified result of one of the kinds the cache keeps, type-erased so this module depends on
/// none of the verifiers that use it (they read their own type back with [`VerifyCache::get`]).
type Entry = Arc<dyn std::any::Any + Send + Sync>;

struct Inner {
    tick: u64,
    chains: Map<Entry>,
    rims: Map<Entry>,
    ocsp: Map<Entry>,
    /// Signature entries hold the exact message: the key hashes only the (small) algorithm ids,
    /// key and signature, and a hit requires the message to be byte-for-byte equal.
    sigs: Map<Arc<[u8]>>,
    pem_chains: Map<Arc<Vec<Vec<u8>>>>,
}

impl Inner {
    /// The map of a verifier's result kind (signatures and PEM chains have maps of their own).
    fn map(&mut self, kind: Kind) -> Option<&mut Map<Entry>> {
        match kind {
            Kind::DeviceChain => Some(&mut self.chains),
            Kind::Rim => Some(&mut self.rims),
            Kind::Ocsp => Some(&mut self.ocsp),
            Kind::Signature | Kind::PckChainPem => None,
        }
    }
    fn next(&mut self) -> u64 {
        self.tick = self.tick.wrapping_add(1);
        self.tick
    }
}

/// A bounded, thread-safe verify-once cache (see the module docs for what it keeps and when a
/// result is reused). Share it with `Arc` across threads and scans.
pub struct VerifyCache {
    inner: Mutex<Inner>,
    capacity: usize,
}

impl std::fmt::Debug for VerifyCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VerifyCache").field("capacity", &self.capacity).field("len", &self.len()).finish()
    }
}

impl Default for VerifyCache {
    fn default() -> Self {
        VerifyCache::new()
    }
}

macro_rules! with_inner {
    ($self:ident, $inner:ident => $body:expr, $default:expr) => {
        match $self.inner.lock() {
            Ok(mut guard) => {
                let $inner = &mut *guard;
                $body
            }
            // A poisoned lock: behave as if there were no cache (recompute, store nothing).
            Err(_) => $default,
        }
    };
}

impl VerifyCache {
    /// An empty cache holding at most [`DEFAULT_CAPACITY`] entries per kind.
    pub fn new() -> Self {
        VerifyCache::with_capacity(DEFAULT_CAPACITY)
    }
    /// An empty cache holding at most `capacity` entries per kind (0 disables caching).
    pub fn with_capacity(capacity: usize) -> Self {
        VerifyCache {
            inner: Mutex::new(Inner { tick: 0, chains: Map::new(), rims: Map::new(), ocsp: Map::new(), sigs: Map::new(), pem_chains: Map::new() }),
            capacity,
        }
    }
    /// Entries per kind at most.
    pub fn capacity(&self) -> usize {
        self.capacity
    }
    /// Entries held, all kinds.
    pub fn len(&self) -> usize {
        with_inner!(self, i => i.chains.entries.len().saturating_add(i.rims.entries.len()).saturating_add(i.ocsp.entries.len()).saturating_add(i.sigs.entries.len()).saturating_add(i.pem_chains.entries.len()), 0)
    }
    /// True when nothing is cached.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// Drop every entry (the counters are kept).
    pub fn clear(&self) {
        with_inner!(self, i => {
            i.chains.entries.clear();
            i.rims.entries.clear();
            i.ocsp.entries.clear();
            i.sigs.entries.clear();
            i.pem_chains.entries.clear();
        }, ())
    }
    /// Hit, miss and eviction counters.
    pub fn stats(&self) -> CacheStats {
        with_inner!(self, i => CacheStats { device_chain: i.chains.stats, rim: i.rims.stats, ocsp: i.ocsp.stats, signature: i.sigs.stats, pck_chain_pem: i.pem_chains.stats }, CacheStats::default())
    }

    /// The result of `kind` cached under `key`, if it is valid at `at` and of type `T`.
    pub(crate) fn get<T: Clone + Send + Sync + 'static>(&self, kind: Kind, key: &Key, at: Timestamp) -> Option<T> {
        let entry = with_inner!(self, i => { let t = i.next(); i.map(kind).and_then(|m| m.get(key, at, t)) }, None)?;
        entry.downcast_ref::<T>().cloned()
    }
    /// Remember a verified result of `kind`, reusable inside `w`.
    pub(crate) fn put<T: Send + Sync + 'static>(&self, kind: Kind, key: Key, v: T, w: Window) {
        let cap = self.capacity;
        let entry: Entry = Arc::new(v);
        with_inner!(self, i => {
            let t = i.next();
            if let Some(m) = i.map(kind) {
                m.put(key, entry, w, cap, t);
            }
        }, ())
    }
    fn has_signature(&self, key: &Key, message: &[u8]) -> bool {
        with_inner!(self, i => {
            let t = i.next();
            match i.sigs.entries.get_mut(key) {
                Some(slot) if *slot.value == *message => {
                    slot.used = t;
                    i.sigs.stats.hits = i.sigs.stats.hits.saturating_add(1);
                    true
                }
                _ => {
                    i.sigs.stats.misses = i.sigs.stats.misses.saturating_add(1);
                    false
                }
            }
        }, false)
    }
    fn put_signature(&self, key: Key, message: &[u8]) {
        let cap = self.capacity;
        with_inner!(self, i => { let t = i.next(); i.sigs.put(key, Arc::from(message), Window::always(), cap, t) }, ())
    }
    pub(crate) fn get_pem_chain(&self, key: &Key) -> Option<Arc<Vec<Vec<u8>>>> {
        with_inner!(self, i => { let t = i.next(); i.pem_chains.get(key, Timestamp::from_unix(0), t) }, None)
    }
    pub(crate) fn put_pem_chain(&self, key: Key, v: Arc<Vec<Vec<u8>>>) {
        let cap = self.capacity;
        with_inner!(self, i => { let t = i.next(); i.pem_chains.put(key, v, Window::always(), cap, t) }, ())
    }

    /// Verify one signature with `alg`, skipping the arithmetic when the same (algorithm, key,
    /// message, signature) already verified. Only successes are remembered. The key is the SHA-256
    /// of the algorithm ids, public key and signature; the entry keeps the message itself, which
    /// must be equal byte for byte (cheaper than hashing a TCB Info on every lookup, and exact).
    pub(crate) fn verify_signature(
        &self,
        alg: &dyn SignatureVerificationAlgorithm,
        public_key: &[u8],
        message: &[u8],
        signature: &[u8],
    ) -> Result<(), InvalidSignature> {
        let pk_alg = alg.public_key_alg_id();
        let sig_alg = alg.signature_alg_id();
        let key = Key::new("teescan.signature.v2", &[pk_alg.as_ref(), sig_alg.as_ref(), public_key, signature]);
        if self.has_signature(&key, message) {
            return Ok(());
        }
        alg.verify_signature(public_key, message, signature)?;
        self.put_signature(key, message);
        Ok(())
    }
}

/// A webpki signature algorithm that consults a [`VerifyCache`] before doing the arithmetic.
#[derive(Debug)]
pub(crate) struct CachedAlg<'a> {
    pub(crate) inner: &'static dyn SignatureVerificationAlgorithm,
    pub(crate) cache: &'a VerifyCache,
}

impl SignatureVerificationAlgorithm for CachedAlg<'_> {
    fn verify_signature(&self, public_key: &[u8], message: &[u8], signature: &[u8]) -> Result<(), InvalidSignature> {
        self.cache.verify_signature(self.inner, public_key, message, signature)
    }
    fn public_key_alg_id(&self) -> AlgorithmIdentifier {
        self.inner.public_key_alg_id()
    }
    fn signature_alg_id(&self) -> AlgorithmIdentifier {
        self.inner.signature_alg_id()
    }
    fn fips(&self) -> bool {
        self.inner.fips()
    }
}

/// The validity `[notBefore, notAfter]` of a DER certificate.
pub(crate) fn cert_window(cert_der: &[u8]) -> Option<Window> {
    use der::Decode as _;
    let cert = x509_cert::Certificate::from_der(cert_der).ok()?;
    let v = cert.tbs_certificate().validity();
    Some(Window::new(
        Timestamp::from_unix(v.not_before.to_unix_duration().as_secs()),
        Timestamp::from_unix(v.not_after.to_unix_duration().as_secs()),
    ))
}

/// The intersection of the validity of every certificate in `certs`; `None` if one does not parse.
pub(crate) fn certs_window<'a>(certs: impl IntoIterator<Item = &'a [u8]>) -> Option<Window> {
    let mut w = Window::always();
    for c in certs {
        let cw = cert_window(c)?;
        w = w.narrow(cw.not_before, cw.not_after);
    }
    Some(w)
}
