//! dstack event log: strict parsing, RTMR0–3 replay, runtime-event digest recomputation, and the
//! compose / MRCONFIGID bindings.
//!
//! A dstack event log (`Dstack-TEE/dstack` `cc-eventlog`, `TdxEvent`) is a list of
//! `{imr, event_type, digest, event, event_payload[, version, preimage]}`. Replaying it
//! (`mr = 0^48; mr = SHA-384(mr ‖ digest)` per IMR) and comparing with the quote's RTMRs proves the
//! *digests* were measured — nothing about the names and payloads next to them. Runtime events
//! (type `0x08000001`, IMR 3) carry their preimage, so their digests are recomputed here:
//!
//! * V1: `SHA-384(0x08000001 as u32 LE ‖ ":" ‖ name ‖ ":" ‖ payload)`;
//! * V2 (`"version": 2`): `SHA-384(JCS({"event","event_type":134217729,"payload":hex,"version":2}))`,
//!   and a supplied `preimage` must be exactly that canonical JSON.
//!
//! Only a named event that is a runtime event in IMR 3, appears once in the whole log, was emitted
//! before `system-ready` (for the boot-time names) and whose digest recomputes is *trusted*; claims
//! are read only from trusted events, and only when RTMR3 replays to the quote. The `info` object
//! next to the log is an unsigned hint: it is compared with the trusted events, never believed.
//!
//! dstack may *strip* a log to save space: boot events then lose their payloads (harmless: only
//! their digests are replayed) and runtime events lose their digests, which are then computed from
//! name and payload — and still checked, through the RTMR3 replay, against the quote.
//!
//! MRCONFIGID V1 (`0x01 ‖ compose_hash ‖ 0^15`) is checked. V2 (`0x02 ‖ keccak256(…)`) needs
//! Keccak-256, which this build does not carry: a V2 MRCONFIGID is reported as not checked.

use std::collections::BTreeMap;

use ring::digest::{Context, SHA256, SHA384};
use serde_json::{json, Map, Value};

use crate::report::Check;

/// Event type of dstack runtime events (not a TCG type).
pub const RUNTIME_EVENT_TYPE: u32 = 0x0800_0001;
/// The IMR (RTMR index) runtime events are extended into.
pub const RUNTIME_IMR: u8 = 3;
/// Most events accepted in one log (real logs have ~30).
pub const MAX_EVENTS: usize = 4096;
/// Largest event log accepted when it arrives as a JSON string.
pub const MAX_LOG_JSON_LEN: usize = 16 * 1024 * 1024;
/// Longest event name accepted, in bytes.
pub const MAX_NAME_LEN: usize = 1024;
/// Largest decoded event payload (or V2 preimage) accepted, in bytes.
pub const MAX_PAYLOAD_LEN: usize = 1024 * 1024;

/// Named runtime events whose payloads mean something to a verifier. Each must appear at most once
/// in the whole log, and only as a runtime event in IMR 3.
pub const NAMED_EVENTS: &[&str] = &[
    "system-preparing",
    "app-id",
    "compose-hash",
    "instance-id",
    "boot-mr-done",
    "mr-kms",
    "os-image-hash",
    "key-provider",
    "storage-fs",
    "system-ready",
    "gpu-policy-hash",
    "gpu-attestation",
];

/// Named events dstack emits while booting, before `system-ready`. One that appears after
/// `system-ready` was emitted by the running application, not by the boot sequence.
pub const BOOT_EVENTS: &[&str] = &[
    "system-preparing",
    "app-id",
    "compose-hash",
    "instance-id",
    "boot-mr-done",
    "mr-kms",
    "os-image-hash",
    "key-provider",
    "storage-fs",
];

const KEYS: &[&str] = &["imr", "event_type", "digest", "event", "event_payload", "version", "preimage"];

/// Why an event log was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EventLogError {
    /// Neither an array nor a JSON string holding one.
    #[error("event log is {0}, not an array of events (or a JSON string holding one)")]
    NotArray(String),
    /// The JSON string does not parse.
    #[error("event log string is not JSON: {0}")]
    Json(String),
    /// Too large.
    #[error("event log is {len} bytes, more than the {max}-byte limit")]
    TooLarge {
        /// Size of the JSON string.
        len: usize,
        /// Limit.
        max: usize,
    },
    /// Too many events.
    #[error("event log has {count} events, more than the {max}-event limit")]
    TooManyEvents {
        /// Events in the log.
        count: usize,
        /// Limit.
        max: usize,
    },
    /// One event is malformed.
    #[error("event #{index}: {field}: {reason}")]
    Event {
        /// Position in the log (0-based).
        index: usize,
        /// The offending key.
        field: String,
        /// What is wrong.
        reason: String,
    },
}

/// One event of a dstack event log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// IMR (RTMR) index, 0–3.
    pub imr: u8,
    /// Event type (`0x08000001` for dstack runtime events).
    pub event_type: u32,
    /// The digest extended into the RTMR. For a stripped runtime event (no digest in the log) it
    /// is computed from name and payload, and [`Event::digest_supplied`] is false.
    pub digest: [u8; 48],
    /// Whether the log supplied the digest (false: stripped runtime event, digest computed).
    pub digest_supplied: bool,
    /// Event name (`event`), empty for most boot events.
    pub name: String,
    /// Event payload (`event_payload`), possibly stripped (empty) for boot events.
    pub payload: Vec<u8>,
    /// Runtime-event digest version (`version`: 1 or 2; absent means 1).
    pub version: Option<u32>,
    /// V2 preimage (`preimage`), the canonical JSON the digest is the SHA-384 of.
    pub preimage: Option<Vec<u8>>,
}

impl Event {
    /// Whether this is a dstack runtime event (type `0x08000001`).
    pub fn is_runtime(&self) -> bool {
        self.event_type == RUNTIME_EVENT_TYPE
    }
}

fn event_err(index: usize, field: &str, reason: impl Into<String>) -> EventLogError {
    EventLogError::Event { index, field: field.to_owned(), reason: reason.into() }
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Parse a dstack event log: a JSON array of events, or a JSON string holding one (NEAR's cloud
/// gateway sends a string). Strict: every key must be a known `TdxEvent` key, `imr` 0–3,
/// `event_type` a u32, `digest` 96 hex digits (or empty/absent on a runtime event only, when the
/// log was stripped), `event` a string, `event_payload` hex, `version` 1 or 2, `preimage` a
/// string; at most [`MAX_EVENTS`] events and bounded sizes.
pub fn parse_event_log(value: &Value) -> Result<Vec<Event>, EventLogError> {
    let parsed;
    let items = match value {
        Value::Array(a) => a,
        Value::String(s) => {
            if s.len() > MAX_LOG_JSON_LEN {
                return Err(EventLogError::TooLarge { len: s.len(), max: MAX_LOG_JSON_LEN });
            }
            // Duplicate keys refused, as in the enclosing provider report.
            parsed = crate::json::strict(s.as_bytes()).map_err(EventLogError::Json)?;
            match &parsed {
                Value::Array(a) => a,
                other => return Err(EventLogError::NotArray(format!("a JSON string holding {}", kind(other)))),
            }
        }
        other => return Err(EventLogError::NotArray(kind(other).to_owned())),
    };
    if items.len() > MAX_EVENTS {
        return Err(EventLogError::TooManyEvents { count: items.len(), max: MAX_EVENTS });
    }
    items.iter().enumerate().map(|(i, v)| parse_event(i, v)).collect()
}

fn parse_hex(index: usize, field: &str, s: &str) -> Result<Vec<u8>, EventLogError> {
    if s.len() > MAX_PAYLOAD_LEN.saturating_mul(2) {
        return Err(event_err(index, field, format!("more than {MAX_PAYLOAD_LEN} bytes")));
    }
    hex::decode(s).map_err(|e| event_err(index, field, format!("not hex: {e}")))
}

fn parse_event(index: usize, v: &Value) -> Result<Event, EventLogError> {
    let Some(obj) = v.as_object() else {
        return Err(event_err(index, "(event)", format!("{}, not an object", kind(v))));
    };
    if let Some(k) = obj.keys().find(|k| !KEYS.contains(&k.as_str())) {
        return Err(event_err(index, k, format!("unknown key (known: {})", KEYS.join(", "))));
    }
    let imr_raw = obj.get("imr").and_then(Value::as_u64).ok_or_else(|| event_err(index, "imr", "missing or not an unsigned integer"))?;
    let imr = u8::try_from(imr_raw).ok().filter(|i| *i <= RUNTIME_IMR).ok_or_else(|| event_err(index, "imr", format!("{imr_raw} is not an IMR index 0-3")))?;
    let et_raw = obj
        .get("event_type")
        .and_then(Value::as_u64)
        .ok_or_else(|| event_err(index, "event_type", "missing or not an unsigned integer"))?;
    let event_type = u32::try_from(et_raw).map_err(|_| event_err(index, "event_type", format!("{et_raw} does not fit in 32 bits")))?;
    let name = obj.get("event").and_then(Value::as_str).ok_or_else(|| event_err(index, "event", "missing or not a string"))?;
    if name.len() > MAX_NAME_LEN {
        return Err(event_err(index, "event", format!("name longer than {MAX_NAME_LEN} bytes")));
    }
    let payload_hex =
        obj.get("event_payload").and_then(Value::as_str).ok_or_else(|| event_err(index, "event_payload", "missing or not a string"))?;
    let payload = parse_hex(index, "event_payload", payload_hex)?;
    let version = match obj.get("version") {
        None => None,
        Some(v) => match v.as_u64() {
            Some(1) => Some(1),
            Some(2) => Some(2),
            _ => return Err(event_err(index, "version", format!("{v} is not a known event-log version (1 or 2)"))),
        },
    };
    let preimage = match obj.get("preimage") {
        None => None,
        Some(Value::String(s)) => Some(if s.starts_with('{') {
            if s.len() > MAX_PAYLOAD_LEN {
                return Err(event_err(index, "preimage", format!("more than {MAX_PAYLOAD_LEN} bytes")));
            }
            s.as_bytes().to_vec()
        } else {
            parse_hex(index, "preimage", s)?
        }),
        Some(other) => return Err(event_err(index, "preimage", format!("{}, not a string", kind(other)))),
    };
    let digest_text = match obj.get("digest") {
        None => "",
        Some(Value::String(s)) => s.as_str(),
        Some(other) => return Err(event_err(index, "digest", format!("{}, not a string", kind(other)))),
    };
    let (digest, digest_supplied) = if digest_text.is_empty() {
        if event_type != RUNTIME_EVENT_TYPE {
            return Err(event_err(
                index,
                "digest",
                format!("missing on a non-runtime event (type 0x{event_type:08x}): it cannot be replayed"),
            ));
        }
        match runtime_digest(name, &payload, version.unwrap_or(1)) {
            Some((d, _)) => (d, false),
            None => return Err(event_err(index, "version", "unsupported runtime-event digest version")),
        }
    } else {
        let bytes = hex::decode(digest_text).map_err(|e| event_err(index, "digest", format!("not hex: {e}")))?;
        let d = <[u8; 48]>::try_from(bytes.as_slice())
            .map_err(|_| event_err(index, "digest", format!("{} bytes, not 48 (SHA-384)", bytes.len())))?;
        (d, true)
    };
    Ok(Event { imr, event_type, digest, digest_supplied, name: name.to_owned(), payload, version, preimage })
}

fn sha384(parts: &[&[u8]]) -> [u8; 48] {
    let mut c = Context::new(&SHA384);
    for p in parts {
        c.update(p);
    }
    <[u8; 48]>::try_from(c.finish().as_ref()).unwrap_or([0u8; 48])
}

fn sha256(data: &[u8]) -> [u8; 32] {
    <[u8; 32]>::try_from(ring::digest::digest(&SHA256, data).as_ref()).unwrap_or([0u8; 32])
}

/// The RFC 8785 (JCS) canonical JSON a V2 runtime event's digest is taken over:
/// `{"event":<name>,"event_type":134217729,"payload":<hex>,"version":2}` (keys in JCS order;
/// serde_json's string escaping is JCS's for strings).
pub fn canonical_event_json_v2(name: &str, payload: &[u8]) -> String {
    let name_json = Value::String(name.to_owned()).to_string();
    format!(
        "{{\"event\":{name_json},\"event_type\":{RUNTIME_EVENT_TYPE},\"payload\":\"{}\",\"version\":2}}",
        crate::bytes::to_hex(payload)
    )
}

/// The digest a runtime event with this name, payload and version must have, and (V2) the
/// canonical preimage. `None` for an unknown version.
pub fn runtime_digest(name: &str, payload: &[u8], version: u32) -> Option<([u8; 48], Option<Vec<u8>>)> {
    match version {
        1 => Some((sha384(&[&RUNTIME_EVENT_TYPE.to_le_bytes(), b":", name.as_bytes(), b":", payload]), None)),
        2 => {
            let canonical = canonical_event_json_v2(name, payload).into_bytes();
            Some((sha384(&[&canonical]), Some(canonical)))
        }
        _ => None,
    }
}

/// RTMR values replayed from an event log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Replay {
    /// Replayed RTMR0–3.
    pub rtmr: [[u8; 48]; 4],
    /// Events replayed into each RTMR.
    pub counts: [usize; 4],
    /// Events with an IMR index above 3 (only possible for hand-built events), not replayed.
    pub ignored: usize,
}

/// Replay the events' digests: `mr = 0^48; for each event with imr == i: mr = SHA-384(mr ‖ digest)`.
pub fn replay(events: &[Event]) -> Replay {
    let mut r = Replay { rtmr: [[0u8; 48]; 4], counts: [0; 4], ignored: 0 };
    for e in events {
        let i = usize::from(e.imr);
        match (r.rtmr.get_mut(i), r.counts.get_mut(i)) {
            (Some(mr), Some(n)) => {
                *mr = sha384(&[mr.as_slice(), &e.digest]);
                *n = n.saturating_add(1);
            }
            _ => r.ignored = r.ignored.saturating_add(1),
        }
    }
    r
}

/// A runtime event whose supplied digest (or V2 preimage) does not match its recomputed value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DigestMismatch {
    /// Position in the log.
    pub index: usize,
    /// Event name.
    pub name: String,
    /// IMR.
    pub imr: u8,
    /// What does not match.
    pub reason: String,
}

/// The runtime events of a log, each digest recomputed; see [`check_runtime_events`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RuntimeEvents {
    trusted: BTreeMap<String, Vec<u8>>,
    /// Runtime events whose digest was recomputed and matched.
    pub recomputed: usize,
    /// Of those, how many had no digest in the log (stripped) and had it computed.
    pub stripped: usize,
    /// Of those, how many were V2 (JCS) events.
    pub v2: usize,
    /// Runtime events whose digest (or V2 preimage) does not recompute.
    pub mismatches: Vec<DigestMismatch>,
    /// Events in IMR 3 that are not runtime events (their digests cannot be recomputed).
    pub non_runtime_in_imr3: Vec<(usize, u32)>,
    /// Violations of the named-event rules (uniqueness, IMR 3, runtime type, before `system-ready`).
    pub named_problems: Vec<String>,
    /// Names of the IMR-3 events, in log order.
    pub imr3_order: Vec<String>,
}

impl RuntimeEvents {
    /// The payload of the named event, only if it is a runtime event in IMR 3, appears once in the
    /// whole log, obeys the named-event rules and its digest recomputed. The caller must still
    /// check that RTMR3 replays to the quote ([`eventlog_checks`] does).
    pub fn get(&self, name: &str) -> Option<&[u8]> {
        self.trusted.get(name).map(Vec::as_slice)
    }
    /// Whether every runtime event's digest recomputed and IMR 3 holds only runtime events.
    pub fn digests_ok(&self) -> bool {
        self.mismatches.is_empty() && self.non_runtime_in_imr3.is_empty()
    }
    /// Whether the named-event rules hold.
    pub fn named_ok(&self) -> bool {
        self.named_problems.is_empty()
    }
}

/// Recompute every runtime event's digest (V1, or V2 by `version`, checking a V2 `preimage`),
/// record which do not match, apply the named-event rules, and keep the trusted named payloads.
pub fn check_runtime_events(events: &[Event]) -> RuntimeEvents {
    let mut out = RuntimeEvents::default();
    let mut by_name: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (i, e) in events.iter().enumerate() {
        if !e.name.is_empty() {
            by_name.entry(e.name.as_str()).or_default().push(i);
        }
    }
    let system_ready = by_name.get("system-ready").and_then(|v| v.first().copied());
    let mut recomputed_ok = vec![false; events.len()];
    for (i, e) in events.iter().enumerate() {
        if e.imr == RUNTIME_IMR {
            out.imr3_order.push(e.name.clone());
            if !e.is_runtime() {
                out.non_runtime_in_imr3.push((i, e.event_type));
            }
        }
        if !e.is_runtime() {
            continue;
        }
        if e.imr != RUNTIME_IMR && !NAMED_EVENTS.contains(&e.name.as_str()) {
            // (Named events get their own, more specific message below.)
            out.named_problems.push(format!("runtime event #{i} {:?} is in IMR {}, not IMR 3", e.name, e.imr));
        }
        let version = e.version.unwrap_or(1);
        let mismatch = |reason: String| DigestMismatch { index: i, name: e.name.clone(), imr: e.imr, reason };
        let Some((expected, canonical)) = runtime_digest(&e.name, &e.payload, version) else {
            out.mismatches.push(mismatch(format!("unsupported version {version}")));
            continue;
        };
        if let Some(pre) = &e.preimage {
            match &canonical {
                None => {
                    out.mismatches.push(mismatch("carries a preimage but is not a version-2 event".to_owned()));
                    continue;
                }
                Some(c) if c != pre => {
                    out.mismatches.push(mismatch(format!(
                        "V2 preimage {:?} is not the canonical JSON of its name and payload",
                        String::from_utf8_lossy(pre)
                    )));
                    continue;
                }
                Some(_) => {}
            }
        }
        if e.digest != expected {
            out.mismatches.push(mismatch(format!(
                "digest {} but V{version} recomputes to {}",
                crate::bytes::to_hex(e.digest),
                crate::bytes::to_hex(expected)
            )));
            continue;
        }
        out.recomputed = out.recomputed.saturating_add(1);
        if !e.digest_supplied {
            out.stripped = out.stripped.saturating_add(1);
        }
        if version == 2 {
            out.v2 = out.v2.saturating_add(1);
        }
        if let Some(ok) = recomputed_ok.get_mut(i) {
            *ok = true;
        }
    }
    for name in NAMED_EVENTS {
        let Some(idx) = by_name.get(name) else { continue };
        if idx.len() > 1 {
            out.named_problems.push(format!("{name} appears {} times (events {})", idx.len(), list_idx(idx)));
        }
        for &i in idx {
            let Some(e) = events.get(i) else { continue };
            if e.imr != RUNTIME_IMR || !e.is_runtime() {
                let p = format!("{name} (event #{i}) is in IMR {} with type 0x{:08x}, not a runtime event in IMR 3", e.imr, e.event_type);
                if !out.named_problems.contains(&p) {
                    out.named_problems.push(p);
                }
            }
            if let Some(ready) = system_ready {
                if BOOT_EVENTS.contains(name) && i > ready {
                    out.named_problems.push(format!("{name} (event #{i}) comes after system-ready (event #{ready}): not emitted during boot"));
                }
            }
        }
    }
    // Trusted: every named event (of interest or not) that is unique in the whole log, a runtime
    // event in IMR 3, recomputed, and not implicated in a named-event problem.
    for (name, idx) in &by_name {
        let [i] = idx.as_slice() else { continue };
        let Some(e) = events.get(*i) else { continue };
        let ok = e.imr == RUNTIME_IMR && e.is_runtime() && recomputed_ok.get(*i).copied().unwrap_or(false);
        let after_ready = system_ready.is_some_and(|r| BOOT_EVENTS.contains(name) && *i > r);
        if ok && !after_ready {
            out.trusted.insert((*name).to_owned(), e.payload.clone());
        }
    }
    out
}

fn list_idx(idx: &[usize]) -> String {
    idx.iter().map(|i| format!("#{i}")).collect::<Vec<_>>().join(", ")
}

fn id(prefix: &str, rest: &str) -> String {
    if prefix.is_empty() {
        rest.to_owned()
    } else {
        format!("{prefix}.{rest}")
    }
}

const T_PARSE: &str = "dstack event log parses (known keys, IMR 0-3, 48-byte digests, bounded)";
const T_RTMR: [&str; 4] = [
    "Event log replays to the quote's RTMR0",
    "Event log replays to the quote's RTMR1",
    "Event log replays to the quote's RTMR2",
    "Event log replays to the quote's RTMR3",
];
const T_DIGESTS: &str = "Every runtime event's digest recomputes from its name and payload";
const T_NAMED: &str = "Named runtime events are unique, in IMR 3, and emitted during boot";
const T_COMPOSE: &str = "SHA-256(app_compose) = compose-hash event = info.compose_hash";
const T_MRCONFIG: &str = "MRCONFIGID binds the compose hash";
const T_INFO: &str = "Unsigned info fields agree with the replayed event log";

/// Parse `log` (array or JSON string) and run [`eventlog_checks`]; a log that does not parse
/// fails `{prefix}.eventlog.parse` and every other check is skipped.
pub fn scan_event_log(
    prefix: &str,
    log: &Value,
    quote_rtmr: &[[u8; 48]; 4],
    info: Option<&Value>,
    mr_config_id: &[u8; 48],
) -> (Vec<Check>, Value) {
    match parse_event_log(log) {
        Ok(events) => eventlog_checks(prefix, &events, quote_rtmr, info, mr_config_id),
        Err(e) => {
            let why = "the event log did not parse";
            let mut checks = vec![Check::fail(&id(prefix, "eventlog.parse"), T_PARSE, e.to_string())];
            for (i, t) in T_RTMR.iter().enumerate() {
                checks.push(Check::skipped(&id(prefix, &format!("eventlog.rtmr{i}")), t, why));
            }
            checks.push(Check::skipped(&id(prefix, "eventlog.runtime_digests"), T_DIGESTS, why));
            checks.push(Check::skipped(&id(prefix, "eventlog.named_events"), T_NAMED, why));
            checks.push(Check::skipped(&id(prefix, "compose.hash"), T_COMPOSE, why));
            checks.push(Check::skipped(&id(prefix, "compose.mrconfigid"), T_MRCONFIG, why));
            checks.push(Check::skipped(&id(prefix, "info.consistent"), T_INFO, why).optional());
            (checks, Value::Null)
        }
    }
}

/// A JSON object that may arrive as a JSON string (dstack `tcb_info`, sometimes `info`).
fn object_or_string(v: &Value) -> Option<Value> {
    match v {
        Value::Object(_) => Some(v.clone()),
        // Strict, as the enclosing report: a duplicated `app_compose` or `compose_hash` inside
        // the string would otherwise mean one thing here and another to the next parser.
        Value::String(s) => crate::json::strict(s.as_bytes()).ok().filter(Value::is_object),
        _ => None,
    }
}

fn norm_hex(s: &str) -> String {
    s.trim().trim_start_matches("0x").to_ascii_lowercase()
}

/// The checks a provider scan reports for one layer's event log, with stable ids
/// (`{prefix}.eventlog.parse`, `.eventlog.rtmr0`–`rtmr3`, `.eventlog.runtime_digests`,
/// `.eventlog.named_events`, `.compose.hash`, `.compose.mrconfigid`, `.info.consistent`), and the
/// claims read from trusted events only (`app_id`, `instance_id`, `compose_hash`,
/// `os_image_hash`, `mr_kms`, `key_provider {name, id}`, `storage_fs`, `app_name` from the
/// hash-bound compose file, `runtime_events`). `info` is the layer's dstack `info` (unsigned).
pub fn eventlog_checks(
    prefix: &str,
    events: &[Event],
    quote_rtmr: &[[u8; 48]; 4],
    info: Option<&Value>,
    mr_config_id: &[u8; 48],
) -> (Vec<Check>, Value) {
    let mut checks = Vec::new();
    let r = replay(events);
    let rt = check_runtime_events(events);
    checks.push(parse_check(prefix, events, &r, &rt));
    let rtmr3_ok = rtmr_checks(prefix, &r, &rt, quote_rtmr, &mut checks);
    checks.push(digests_check(prefix, &rt));
    checks.push(named_check(prefix, &rt));
    let trust = Trust { events, rt: &rt, rtmr3_ok };

    let info_obj = info.and_then(object_or_string);
    let tcb_info = info_obj.as_ref().and_then(|i| i.get("tcb_info")).and_then(object_or_string);
    let app_compose = tcb_info.as_ref().and_then(|t| t.get("app_compose")).and_then(Value::as_str);
    let (compose, compose_bound) = compose_hash_check(prefix, &trust, app_compose, info_obj.as_ref(), tcb_info.as_ref());
    checks.extend(compose);
    let (mrconfig, mrconfig_version) = mrconfigid_check(prefix, &trust, mr_config_id);
    checks.extend(mrconfig);
    checks.push(info_check(prefix, info, info_obj.as_ref(), tcb_info.as_ref(), events, quote_rtmr, &rt, rtmr3_ok));
    let mut claims = trusted_claims(&trust, compose_bound, app_compose);
    claims.insert("mr_config_id".to_owned(), mrconfig_version);
    (checks, Value::Object(claims))
}

/// Which runtime events are trusted: recomputed, unique, in IMR 3, and RTMR3 replays.
struct Trust<'a> {
    events: &'a [Event],
    rt: &'a RuntimeEvents,
    rtmr3_ok: bool,
}

impl Trust<'_> {
    fn payload(&self, name: &str) -> Option<&[u8]> {
        trusted_payload(self.rt, self.rtmr3_ok, name)
    }
    fn why_not(&self, name: &str) -> String {
        if !self.rtmr3_ok {
            format!("the {name} event is not trusted: RTMR3 does not replay to the quote")
        } else if self.events.iter().any(|e| e.name == name) {
            format!("the {name} event is not trusted: duplicated, outside IMR 3, emitted after boot, or its digest does not recompute")
        } else {
            format!("the log has no {name} event")
        }
    }
}

/// `eventlog.parse`.
fn parse_check(prefix: &str, events: &[Event], r: &Replay, rt: &RuntimeEvents) -> Check {
    let mut parse = Check::pass(&id(prefix, "eventlog.parse"), T_PARSE).actual(format!(
        "{} events (IMR0 {}, IMR1 {}, IMR2 {}, IMR3 {})",
        events.len(),
        r.counts[0],
        r.counts[1],
        r.counts[2],
        r.counts[3]
    ));
    if r.ignored > 0 {
        parse = Check::fail(&id(prefix, "eventlog.parse"), T_PARSE, format!("{} events have an IMR index above 3", r.ignored));
    } else if rt.stripped > 0 {
        parse = parse.reason(format!(
            "stripped log: {} runtime events carry no digest; it was computed from name and payload",
            rt.stripped
        ));
    }
    parse

}

/// `eventlog.rtmr0`–`rtmr3`; whether RTMR3 replays.
fn rtmr_checks(prefix: &str, r: &Replay, rt: &RuntimeEvents, quote_rtmr: &[[u8; 48]; 4], checks: &mut Vec<Check>) -> bool {
    let mut rtmr_ok = [false; 4];
    for (i, ((replayed, quoted), title)) in r.rtmr.iter().zip(quote_rtmr.iter()).zip(T_RTMR.iter()).enumerate() {
        let cid = id(prefix, &format!("eventlog.rtmr{i}"));
        let n = r.counts.get(i).copied().unwrap_or(0);
        let ok = replayed == quoted;
        if let Some(slot) = rtmr_ok.get_mut(i) {
            *slot = ok;
        }
        let mut c = if ok {
            Check::pass(&cid, title).reason(format!("{n} events replayed"))
        } else {
            let mut why = format!("replaying {n} IMR{i} events does not give the quote's RTMR{i}");
            if n == 0 {
                why.push_str(" (the log has no events for it: stripped or incomplete)");
            }
            if i == usize::from(RUNTIME_IMR) {
                why.push_str("; a digest replay cannot tell which event is wrong");
                if !rt.mismatches.is_empty() {
                    let names: Vec<String> = rt.mismatches.iter().map(|m| format!("{:?} (#{})", m.name, m.index)).collect();
                    why.push_str(&format!("; runtime events whose digest does not recompute: {}", names.join(", ")));
                }
            }
            Check::fail(&cid, title, why)
        };
        c = c.expected(crate::bytes::to_hex(quoted)).actual(crate::bytes::to_hex(replayed));
        checks.push(c);
    }
    rtmr_ok[3]

}

/// `eventlog.runtime_digests`.
fn digests_check(prefix: &str, rt: &RuntimeEvents) -> Check {
    let cid = id(prefix, "eventlog.runtime_digests");
    if rt.digests_ok() {
        let mut note = format!("{} runtime events recomputed", rt.recomputed);
        if rt.v2 > 0 {
            note.push_str(&format!(" ({} V2)", rt.v2));
        }
        if rt.stripped > 0 {
            note.push_str(&format!("; {} had no digest in the log (stripped), so only the RTMR3 replay checks them", rt.stripped));
        }
        if rt.recomputed == 0 {
            note.push_str(": the log has no runtime events");
        }
        Check::pass(&cid, T_DIGESTS).reason(note)
    } else {
        let mut why: Vec<String> = rt.mismatches.iter().map(|m| format!("{:?} (#{}, IMR {}): {}", m.name, m.index, m.imr, m.reason)).collect();
        why.extend(
            rt.non_runtime_in_imr3
                .iter()
                .map(|(i, t)| format!("event #{i} in IMR 3 has type 0x{t:08x}, not a runtime event: its digest cannot be recomputed")),
        );
        Check::fail(&cid, T_DIGESTS, why.join("; "))
    }

}

/// `eventlog.named_events`.
fn named_check(prefix: &str, rt: &RuntimeEvents) -> Check {
    let cid = id(prefix, "eventlog.named_events");
    let order = rt.imr3_order.join(", ");
    if rt.named_ok() {
        Check::pass(&cid, T_NAMED).actual(order)
    } else {
        Check::fail(&cid, T_NAMED, rt.named_problems.join("; ")).actual(order)
    }
}

/// `compose.hash`; whether the compose file is bound.
fn compose_hash_check(prefix: &str, trust: &Trust<'_>, app_compose: Option<&str>, info_obj: Option<&Value>, tcb_info: Option<&Value>) -> (Vec<Check>, bool) {
    let mut checks = Vec::new();
    let untrusted_why = |name: &str| trust.why_not(name);
    // compose.hash
    let cid = id(prefix, "compose.hash");
    let compose_event = trust.payload("compose-hash");
    let mut compose_bound = false;
    match (compose_event, app_compose) {
        (None, _) => checks.push(Check::fail(&cid, T_COMPOSE, untrusted_why("compose-hash"))),
        (Some(ev), _) if ev.len() != 32 => {
            checks.push(Check::fail(&cid, T_COMPOSE, format!("compose-hash payload is {} bytes, not 32", ev.len())).actual(crate::bytes::to_hex(ev)))
        }
        (Some(ev), None) => checks.push(
            Check::skipped(
                &cid,
                T_COMPOSE,
                "the compose file (info.tcb_info.app_compose) is not disclosed, or is not strict JSON: the compose hash is measured, but what it hashes cannot be checked (a format that requires the file fails <layer>.evidence.missing)",
            )
            .actual(crate::bytes::to_hex(ev)),
        ),
        (Some(ev), Some(ac)) => {
            let computed = sha256(ac.as_bytes());
            let mut problems = Vec::new();
            if computed.as_slice() != ev {
                problems.push(format!("SHA-256(app_compose) = {} but the compose-hash event says {}", crate::bytes::to_hex(computed), crate::bytes::to_hex(ev)));
            }
            for (label, v) in [
                ("info.compose_hash", info_obj.and_then(|i| i.get("compose_hash"))),
                ("info.tcb_info.compose_hash", tcb_info.and_then(|t| t.get("compose_hash"))),
            ] {
                match v {
                    None => {}
                    Some(Value::String(s)) if norm_hex(s) == crate::bytes::to_hex(ev) => {}
                    Some(other) => problems.push(format!("{label} = {other} differs from the compose-hash event {}", crate::bytes::to_hex(ev))),
                }
            }
            let c = if problems.is_empty() {
                compose_bound = true;
                Check::pass(&cid, T_COMPOSE)
            } else {
                Check::fail(&cid, T_COMPOSE, problems.join("; "))
            };
            checks.push(c.expected(crate::bytes::to_hex(ev)).actual(crate::bytes::to_hex(computed)));
        }
    }

    (checks, compose_bound)
}

/// `compose.mrconfigid`, and the MRCONFIGID version claim.
fn mrconfigid_check(prefix: &str, trust: &Trust<'_>, mr_config_id: &[u8; 48]) -> (Vec<Check>, Value) {
    let mut checks = Vec::new();
    let untrusted_why = |name: &str| trust.why_not(name);
    let compose_event = trust.payload("compose-hash");
    // compose.mrconfigid
    let cid = id(prefix, "compose.mrconfigid");
    let mut mrconfig_version = Value::Null;
    let actual = crate::bytes::to_hex(mr_config_id);
    match mr_config_id.first().copied() {
        _ if mr_config_id.iter().all(|b| *b == 0) => checks.push(
            Check::fail(&cid, T_MRCONFIG, "MRCONFIGID is zero (unset): the compose hash is not bound at launch").actual(actual),
        ),
        Some(1) => match compose_event.filter(|ev| ev.len() == 32) {
            None => checks.push(Check::fail(&cid, T_MRCONFIG, untrusted_why("compose-hash")).actual(actual)),
            Some(ev) => {
                let mut expected = [0u8; 48];
                for (slot, b) in expected.iter_mut().zip(std::iter::once(&1u8).chain(ev.iter())) {
                    *slot = *b;
                }
                let c = if &expected == mr_config_id {
                    mrconfig_version = json!("v1");
                    Check::pass(&cid, T_MRCONFIG).reason("V1: 0x01 ‖ compose_hash ‖ 0^15")
                } else {
                    Check::fail(&cid, T_MRCONFIG, "V1 MRCONFIGID is not 0x01 ‖ compose_hash ‖ 0^15")
                };
                checks.push(c.expected(crate::bytes::to_hex(expected)).actual(actual));
            }
        },
        Some(2) => checks.push(
            Check::skipped(
                &cid,
                T_MRCONFIG,
                "V2 MRCONFIGID (0x02 ‖ keccak256(compose_hash ‖ app_id ‖ key provider)) not checked: this build has no Keccak-256",
            )
            .actual(actual),
        ),
        Some(v) => checks.push(Check::fail(&cid, T_MRCONFIG, format!("unknown MRCONFIGID version byte 0x{v:02x} (known: 0x01, 0x02)")).actual(actual)),
        None => checks.push(Check::fail(&cid, T_MRCONFIG, "empty MRCONFIGID").actual(actual)),
    }

    (checks, mrconfig_version)
}

/// The claims of a log, read from trusted events only.
fn trusted_claims(trust: &Trust<'_>, compose_bound: bool, app_compose: Option<&str>) -> Map<String, Value> {
    let (rt, rtmr3_ok) = (trust.rt, trust.rtmr3_ok);
    let trusted = |name: &str| trust.payload(name);
    // Claims, from trusted events only.
    let mut claims = Map::new();
    claims.insert("rtmr3_replayed".to_owned(), json!(rtmr3_ok));
    if rtmr3_ok {
        for (key, name) in [
            ("app_id", "app-id"),
            ("instance_id", "instance-id"),
            ("compose_hash", "compose-hash"),
            ("os_image_hash", "os-image-hash"),
            ("mr_kms", "mr-kms"),
        ] {
            if let Some(p) = trusted(name) {
                claims.insert(key.to_owned(), json!(crate::bytes::to_hex(p)));
            }
        }
        if let Some(p) = trusted("key-provider") {
            let kp = match crate::json::strict(p) {
                Ok(Value::Object(o)) => json!({ "name": o.get("name").cloned().unwrap_or(Value::Null), "id": o.get("id").cloned().unwrap_or(Value::Null) }),
                _ => json!({ "raw": String::from_utf8_lossy(p) }),
            };
            claims.insert("key_provider".to_owned(), kp);
        }
        if let Some(p) = trusted("storage-fs") {
            claims.insert("storage_fs".to_owned(), json!(String::from_utf8_lossy(p)));
        }
        if compose_bound {
            if let Some(name) = app_compose.and_then(|ac| crate::json::strict(ac.as_bytes()).ok()).and_then(|v| v.get("name").cloned()) {
                claims.insert("app_name".to_owned(), name);
            }
        }
        claims.insert("runtime_events".to_owned(), json!(rt.imr3_order));
    } else {
        claims.insert("note".to_owned(), json!("RTMR3 does not replay to the quote: no claim is read from the event log"));
    }
    claims
}

fn trusted_payload<'a>(rt: &'a RuntimeEvents, rtmr3_ok: bool, name: &str) -> Option<&'a [u8]> {
    if rtmr3_ok {
        rt.get(name)
    } else {
        None
    }
}

#[allow(clippy::too_many_arguments)]
fn info_check(
    prefix: &str,
    raw_info: Option<&Value>,
    info: Option<&Value>,
    tcb_info: Option<&Value>,
    events: &[Event],
    quote_rtmr: &[[u8; 48]; 4],
    rt: &RuntimeEvents,
    rtmr3_ok: bool,
) -> Check {
    let trusted = |name: &str| trusted_payload(rt, rtmr3_ok, name);
    let cid = id(prefix, "info.consistent");
    let Some(info) = info else {
        return match raw_info {
            None | Some(Value::Null) => Check::skipped(&cid, T_INFO, "no info object: nothing to compare").optional(),
            Some(other) => Check::fail(&cid, T_INFO, format!("info is {}, not an object", kind(other))),
        };
    };
    let mut mismatches = Vec::new();
    let mut compared = Vec::new();
    let mut unverified = Vec::new();
    let mut compare = |label: &str, hint: Option<&Value>, truth: Option<String>, as_text: bool| {
        let Some(hint) = hint else { return };
        let Some(truth) = truth else {
            unverified.push(label.to_owned());
            return;
        };
        let agrees = match hint {
            Value::String(s) if as_text => *s == truth,
            Value::String(s) => norm_hex(s) == truth,
            _ => false,
        };
        if agrees {
            compared.push(label.to_owned());
        } else {
            mismatches.push(format!("{label} = {hint} but the replayed log says {truth}"));
        }
    };
    let ev_hex = |name: &str| trusted(name).map(hex::encode);
    compare("info.app_id", info.get("app_id"), ev_hex("app-id"), false);
    compare("info.instance_id", info.get("instance_id"), ev_hex("instance-id"), false);
    compare("info.os_image_hash", info.get("os_image_hash"), ev_hex("os-image-hash"), false);
    compare("info.compose_hash", info.get("compose_hash"), ev_hex("compose-hash"), false);
    compare(
        "info.key_provider_info",
        info.get("key_provider_info"),
        trusted("key-provider").map(|p| String::from_utf8_lossy(p).into_owned()),
        true,
    );
    if let Some(t) = tcb_info {
        compare("info.tcb_info.compose_hash", t.get("compose_hash"), ev_hex("compose-hash"), false);
        compare("info.tcb_info.os_image_hash", t.get("os_image_hash"), ev_hex("os-image-hash"), false);
        for (i, q) in quote_rtmr.iter().enumerate() {
            compare(&format!("info.tcb_info.rtmr{i}"), t.get(format!("rtmr{i}").as_str()), Some(crate::bytes::to_hex(q)), false);
        }
        if let Some(tl) = t.get("event_log") {
            match parse_event_log(tl) {
                Ok(parsed) if parsed == events => compared.push("info.tcb_info.event_log".to_owned()),
                Ok(parsed) => {
                    // Verifiers disagree on which log to trust: say which one the quote's RTMRs back.
                    let top = replay(events).rtmr == *quote_rtmr;
                    let inner = replay(&parsed).rtmr == *quote_rtmr;
                    let which = match (top, inner) {
                        (true, true) => "both replay to the quote's RTMRs",
                        (true, false) => "the top-level event_log replays to the quote's RTMRs, info.tcb_info.event_log does NOT",
                        (false, true) => "info.tcb_info.event_log replays to the quote's RTMRs, the top-level event_log (the one teescan checks) does NOT",
                        (false, false) => "neither replays to the quote's RTMRs",
                    };
                    mismatches.push(format!("info.tcb_info.event_log differs from the top-level event_log: {which}"));
                }
                Err(e) => mismatches.push(format!("info.tcb_info.event_log does not parse: {e}")),
            }
        }
    } else if info.get("tcb_info").is_some() {
        mismatches.push("info.tcb_info is neither an object nor a JSON string holding one".to_owned());
    }
    let mut note = format!("agree: {}", if compared.is_empty() { "none".to_owned() } else { compared.join(", ") });
    if !unverified.is_empty() {
        note.push_str(&format!("; not compared (no trusted event to compare with): {}", unverified.join(", ")));
    }
    if mismatches.is_empty() {
        Check::pass(&cid, T_INFO).reason(note)
    } else {
        Check::fail(&cid, T_INFO, format!("{}; {note}", mismatches.join("; ")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn v2_canonical_json_matches_dstack() {
        assert_eq!(
            canonical_event_json_v2("compose-hash", &[0xab, 0xcd]),
            r#"{"event":"compose-hash","event_type":134217729,"payload":"abcd","version":2}"#
        );
        let c = canonical_event_json_v2("a\"b\\c\nd\u{1}", &[]);
        let v: Value = serde_json::from_str(&c).unwrap();
        assert_eq!(v["event"], "a\"b\\c\nd\u{1}");
        assert!(c.contains(r#""a\"b\\c\nd\u0001""#));
    }

    #[test]
    fn v1_digest_layout() {
        let (d, pre) = runtime_digest("app-id", &[0xde, 0xad], 1).unwrap();
        assert!(pre.is_none());
        assert_eq!(d, sha384(&[&[0x01, 0x00, 0x00, 0x08], b":app-id:", &[0xde, 0xad]]));
    }
}
