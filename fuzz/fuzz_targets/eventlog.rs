//! dstack event log (JSON array, or a JSON string holding one): strict parse, RTMR replay,
//! runtime-event digests, named events, compose hash and info consistency.
#![no_main]
use libfuzzer_sys::fuzz_target;

use teescan::provider::eventlog;

fuzz_target!(|data: &[u8]| {
    let Ok(v) = serde_json::from_slice::<serde_json::Value>(data) else { return };
    // The log itself, or an object carrying `event_log` and `info` (a provider report).
    let (log, info) = match v.get("event_log") {
        Some(log) => (log.clone(), v.get("info").cloned()),
        None => (v, None),
    };
    if let Ok(events) = eventlog::parse_event_log(&log) {
        let replay = eventlog::replay(&events);
        let rt = eventlog::check_runtime_events(&events);
        let _ = (rt.digests_ok(), rt.named_ok(), rt.get("compose-hash"));
        let _ = eventlog::eventlog_checks("node", &events, &replay_rtmrs(&replay), info.as_ref(), &[0u8; 48]);
    }
    let _ = eventlog::scan_event_log("node", &log, &[[0u8; 48]; 4], info.as_ref(), &[0u8; 48]);
});

fn replay_rtmrs(r: &eventlog::Replay) -> [[u8; 48]; 4] {
    r.rtmr
}
