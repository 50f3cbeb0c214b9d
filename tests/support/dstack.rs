//! A synthetic dstack event log and `info` for mock NEAR reports: the format requires an event
//! log and the compose file it measures (`<layer>.evidence.missing`), so a mock node minted with
//! the test PKI carries a small, honest one. One boot event per RTMR0–2 and the runtime events
//! `app-id`, `compose-hash`, `instance-id` and `system-ready` (V1 digests) in RTMR3; MRCONFIGID is
//! `0x01 ‖ compose_hash ‖ 0^15`. Put [`SyntheticDstack::rtmr`] and
//! [`SyntheticDstack::mr_config_id`] into the quote's `MintOptions`.
#![allow(dead_code)]

use serde_json::{json, Value};

/// What a mock NEAR node needs besides its quote.
pub struct SyntheticDstack {
    /// RTMR0–3 the log replays to.
    pub rtmr: [[u8; 48]; 4],
    /// MRCONFIGID binding the compose hash.
    pub mr_config_id: [u8; 48],
    /// The event log (a JSON array, as NEAR model nodes send it).
    pub event_log: Value,
    /// The `info` object with `tcb_info.app_compose`.
    pub info: Value,
}

const RUNTIME: u32 = 0x0800_0001;

fn sha384(parts: &[&[u8]]) -> [u8; 48] {
    let mut c = ring::digest::Context::new(&ring::digest::SHA384);
    for p in parts {
        c.update(p);
    }
    let mut out = [0u8; 48];
    out.copy_from_slice(c.finish().as_ref());
    out
}

/// A log for a compose file `app_compose`.
pub fn synthetic(app_compose: &str) -> SyntheticDstack {
    let compose_hash: [u8; 32] = ring::digest::digest(&ring::digest::SHA256, app_compose.as_bytes()).as_ref().try_into().unwrap();
    let mut rtmr = [[0u8; 48]; 4];
    let mut events = Vec::new();
    for imr in 0..3u8 {
        let digest = sha384(&[b"boot", &[imr]]);
        rtmr[usize::from(imr)] = sha384(&[&rtmr[usize::from(imr)], &digest]);
        events.push(json!({"imr": imr, "event_type": 1, "digest": hex::encode(digest), "event": "", "event_payload": ""}));
    }
    let app_id = [0x11u8; 20];
    let instance_id = [0x22u8; 20];
    for (name, payload) in [
        ("app-id", app_id.to_vec()),
        ("compose-hash", compose_hash.to_vec()),
        ("instance-id", instance_id.to_vec()),
        ("system-ready", Vec::new()),
    ] {
        let digest = sha384(&[&RUNTIME.to_le_bytes(), b":", name.as_bytes(), b":", &payload]);
        rtmr[3] = sha384(&[&rtmr[3], &digest]);
        events.push(json!({"imr": 3, "event_type": RUNTIME, "digest": hex::encode(digest), "event": name, "event_payload": hex::encode(&payload)}));
    }
    let mut mr_config_id = [0u8; 48];
    mr_config_id[0] = 1;
    mr_config_id[1..33].copy_from_slice(&compose_hash);
    SyntheticDstack {
        rtmr,
        mr_config_id,
        event_log: Value::Array(events),
        info: json!({
            "app_id": hex::encode(app_id),
            "instance_id": hex::encode(instance_id),
            "compose_hash": hex::encode(compose_hash),
            "tcb_info": { "app_compose": app_compose, "compose_hash": hex::encode(compose_hash) },
        }),
    }
}

/// The compose file mock nodes run.
pub const MOCK_COMPOSE: &str = "{\"manifest_version\":2,\"name\":\"teescan-mock\",\"runner\":\"docker-compose\"}";
