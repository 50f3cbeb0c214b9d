//! dstack event-log replay, runtime-digest recomputation, named-event rules and the compose /
//! MRCONFIGID bindings, on real provider captures (NEAR direct, NEAR cloud gateway + models,
//! Venice, dstack verifier fixtures) and on negatives made by editing those real logs.

#[path = "support/corpus.rs"]
mod corpus;

use std::path::Path;

use serde_json::{json, Value};
use teescan::provider::eventlog::{
    canonical_event_json_v2, check_runtime_events, parse_event_log, replay, runtime_digest, scan_event_log, EventLogError,
    MAX_EVENTS,
};
use teescan::report::{Check, Status};
use teescan::tdx::Quote;

const RUNTIME: u64 = 0x0800_0001;

/// The `0001_*.body` of a teep capture whose directory starts with `dir_prefix`.
fn capture(root: &Path, dir_prefix: &str) -> Value {
    let base = root.join("providers/teep-captures");
    let dir = std::fs::read_dir(&base)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.file_name().unwrap().to_string_lossy().starts_with(dir_prefix))
        .unwrap_or_else(|| panic!("no capture {dir_prefix}"));
    let body = std::fs::read_dir(dir.join("responses"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| {
            let n = p.file_name().unwrap().to_string_lossy().into_owned();
            n.starts_with("0001_") && n.ends_with(".body")
        })
        .unwrap();
    serde_json::from_slice(&std::fs::read(body).unwrap()).unwrap()
}

fn dstack_fixture(root: &Path, name: &str) -> Value {
    serde_json::from_slice(&corpus::read(root, &format!("providers/dstack-verifier-fixtures/{name}"))).unwrap()
}

fn quote(hex_text: &str) -> Quote {
    Quote::parse(&hex::decode(hex_text.trim()).unwrap()).unwrap()
}

/// One attested layer: its quote, event log (array or string) and info.
struct Layer {
    quote: Quote,
    log: Value,
    info: Option<Value>,
}

impl Layer {
    fn near(obj: &Value) -> Layer {
        Layer {
            quote: quote(obj["intel_quote"].as_str().unwrap()),
            log: obj["event_log"].clone(),
            info: obj.get("info").cloned(),
        }
    }
    fn run(&self, prefix: &str) -> (Vec<Check>, Value) {
        self.run_with(prefix, &self.log, self.info.as_ref(), &self.quote.report.mr_config_id)
    }
    fn run_with(&self, prefix: &str, log: &Value, info: Option<&Value>, mrconfig: &[u8; 48]) -> (Vec<Check>, Value) {
        scan_event_log(prefix, log, &self.quote.report.rtmr, info, mrconfig)
    }
    /// The log as an owned array (parsing a string log).
    fn events(&self) -> Vec<Value> {
        match &self.log {
            Value::Array(a) => a.clone(),
            Value::String(s) => serde_json::from_str(s).unwrap(),
            _ => panic!("log shape"),
        }
    }
}

fn check<'a>(checks: &'a [Check], id: &str) -> &'a Check {
    checks.iter().find(|c| c.id == id).unwrap_or_else(|| panic!("no check {id} in {:#?}", ids(checks)))
}

fn ids(checks: &[Check]) -> Vec<String> {
    checks.iter().map(|c| format!("{} {:?}", c.id, c.status)).collect()
}

fn status(checks: &[Check], id: &str) -> Status {
    check(checks, id).status
}

const ALL: &[&str] = &[
    "eventlog.parse",
    "eventlog.rtmr0",
    "eventlog.rtmr1",
    "eventlog.rtmr2",
    "eventlog.rtmr3",
    "eventlog.runtime_digests",
    "eventlog.named_events",
    "compose.hash",
    "compose.mrconfigid",
    "info.consistent",
];

fn assert_all_pass(checks: &[Check], prefix: &str) {
    assert_eq!(checks.len(), ALL.len(), "{:#?}", ids(checks));
    for id in ALL {
        let c = check(checks, &format!("{prefix}.{id}"));
        assert_eq!(c.status, Status::Pass, "{prefix}.{id}: {c:#?}");
    }
    assert!(check(checks, &format!("{prefix}.compose.mrconfigid")).reason.as_deref().unwrap().starts_with("V1"));
}

const NEAR_RUNTIME_ORDER: &[&str] = &[
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
];

fn near_direct(root: &Path) -> (Value, Layer) {
    let body = capture(root, "neardirect_");
    let layer = Layer::near(&body);
    (body, layer)
}

#[test]
fn near_direct_node_replays_and_binds() {
    let Some(root) = corpus::root() else { return };
    let (body, layer) = near_direct(&root);
    assert!(layer.log.is_array());
    let (checks, claims) = layer.run("node");
    assert_all_pass(&checks, "node");
    // RTMRs: the replayed values are the quote's.
    for i in 0..4 {
        let c = check(&checks, &format!("node.eventlog.rtmr{i}"));
        assert_eq!(c.expected.as_deref(), Some(hex::encode(layer.quote.report.rtmr[i]).as_str()));
        assert_eq!(c.expected, c.actual);
    }
    assert_eq!(check(&checks, "node.eventlog.parse").actual.as_deref(), Some("30 events (IMR0 13, IMR1 5, IMR2 2, IMR3 10)"));
    let info = &body["info"];
    assert_eq!(claims["app_id"], info["app_id"]);
    assert_eq!(claims["instance_id"], info["instance_id"]);
    assert_eq!(claims["compose_hash"], info["compose_hash"]);
    assert_eq!(claims["os_image_hash"], info["os_image_hash"]);
    assert_eq!(claims["compose_hash"], "66007399f064f058af68771c552bcae150c9f88622305631b5141da1aa2f7b7e");
    assert_eq!(claims["key_provider"]["name"], "kms");
    let kpi: Value = serde_json::from_str(info["key_provider_info"].as_str().unwrap()).unwrap();
    assert_eq!(claims["key_provider"]["id"], kpi["id"]);
    assert_eq!(claims["storage_fs"], "zfs");
    assert_eq!(claims["app_name"], "dstack-nvidia-0.5.5");
    assert_eq!(claims["mr_config_id"], "v1");
    assert_eq!(claims["rtmr3_replayed"], true);
    assert_eq!(claims["mr_kms"].as_str().unwrap().len(), 64);
    let order: Vec<&str> = claims["runtime_events"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
    assert_eq!(order, NEAR_RUNTIME_ORDER);
    // The info check compared every hint, including tcb_info's copy of the log and RTMRs.
    let reason = check(&checks, "node.info.consistent").reason.clone().unwrap();
    for f in ["info.app_id", "info.instance_id", "info.os_image_hash", "info.key_provider_info", "info.tcb_info.rtmr3", "info.tcb_info.event_log"] {
        assert!(reason.contains(f), "{reason}");
    }
    assert!(!reason.contains("not compared"), "{reason}");

    // The same node, as the multi-node `all_attestations[0]` and the compose manager's quote
    // (event_log as a JSON string, no info): the logs replay too.
    let all0 = Layer::near(&body["all_attestations"][0]);
    assert_all_pass(&all0.run("all[0]").0, "all[0]");
    let cm = &body["compose_manager_attestation"];
    let cm_layer = Layer { quote: quote(cm["quote"].as_str().unwrap()), log: cm["event_log"].clone(), info: None };
    assert!(cm_layer.log.is_string());
    let (checks, _) = cm_layer.run("cm");
    for id in ["eventlog.rtmr0", "eventlog.rtmr1", "eventlog.rtmr2", "eventlog.rtmr3", "eventlog.runtime_digests", "eventlog.named_events", "compose.mrconfigid"] {
        assert_eq!(status(&checks, &format!("cm.{id}")), Status::Pass, "{id}");
    }
    // Without app_compose the compose hash is measured but cannot be checked: skipped, not passed.
    assert_eq!(status(&checks, "cm.compose.hash"), Status::Skipped);
    let info_c = check(&checks, "cm.info.consistent");
    assert_eq!((info_c.status, info_c.required), (Status::Skipped, false));
}

#[test]
fn near_cloud_gateway_and_models_replay() {
    let Some(root) = corpus::root() else { return };
    let body = capture(&root, "nearcloud_");
    let gw = Layer::near(&body["gateway_attestation"]);
    assert!(gw.log.is_string(), "the gateway's event_log is a JSON string");
    let (checks, claims) = gw.run("gateway");
    assert_all_pass(&checks, "gateway");
    assert_eq!(claims["app_id"], body["gateway_attestation"]["info"]["app_id"]);
    assert_eq!(claims["compose_hash"], "52a82a58fd5d1eac580adb564ab08ca1813094b9e4e8f5b43aca2e3914512c53");
    assert!(claims.get("storage_fs").is_none(), "the gateway log has no storage-fs event");
    let models = body["model_attestations"].as_array().unwrap();
    assert!(!models.is_empty());
    for (i, m) in models.iter().enumerate() {
        let layer = Layer::near(m);
        assert!(layer.log.is_array(), "model event_log is an array");
        let prefix = format!("model[{i}]");
        let (checks, claims) = layer.run(&prefix);
        assert_all_pass(&checks, &prefix);
        assert_eq!(claims["app_id"], m["info"]["app_id"]);
    }
}

#[test]
fn venice_wrapped_near_report_replays() {
    let Some(root) = corpus::root() else { return };
    let body = capture(&root, "venice_");
    assert_eq!(body["tee_provider"], "near-ai");
    let layer = Layer::near(&body);
    let (checks, claims) = layer.run("node");
    assert_all_pass(&checks, "node");
    assert_eq!(claims["compose_hash"], "4676ec04ecaff0303142bd3b76205ffc7bc218adaa91b92c10863d4fa6463a3f");
    assert_eq!(claims["app_id"], "2c0a0c96cb6dbd659bf1446e2f3fce58172ff91b");
}

#[test]
fn dstack_quote_report_replays() {
    let Some(root) = corpus::root() else { return };
    let f = dstack_fixture(&root, "quote-report.json");
    // `quote` is hex, `event_log` a JSON string, no info.
    let layer = Layer { quote: quote(f["quote"].as_str().unwrap()), log: f["event_log"].clone(), info: None };
    let (checks, claims) = layer.run("node");
    for id in ["eventlog.parse", "eventlog.rtmr0", "eventlog.rtmr1", "eventlog.rtmr2", "eventlog.rtmr3", "eventlog.runtime_digests", "eventlog.named_events"] {
        assert_eq!(status(&checks, &format!("node.{id}")), Status::Pass, "{id}");
    }
    assert_eq!(status(&checks, "node.compose.hash"), Status::Skipped);
    // This quote's MRCONFIGID is all zero: nothing bound at launch.
    let mc = check(&checks, "node.compose.mrconfigid");
    assert_eq!(mc.status, Status::Fail);
    assert!(mc.reason.as_deref().unwrap().contains("unset"));
    assert_eq!(claims["key_provider"]["name"], "local-sgx");
    let order: Vec<&str> = claims["runtime_events"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
    assert_eq!(order.last(), Some(&"LIUM_MINER_HOTKEY"), "an application event after system-ready");
    assert!(claims.get("os_image_hash").is_none(), "this older log has no os-image-hash event");
}

/// Decode the SCALE `attestation` of tdx-lite-attestation.json far enough to get its quote and
/// event list: `u16 version ‖ compact-len quote ‖ compact-len [ {u32 imr, u32 type,
/// compact-len digest, compact-len name, compact-len payload} ]`.
fn decode_lite_attestation(bytes: &[u8]) -> (Vec<u8>, Vec<Value>) {
    fn compact(b: &[u8], o: &mut usize) -> usize {
        let first = b[*o];
        match first & 3 {
            0 => {
                *o += 1;
                (first >> 2) as usize
            }
            1 => {
                let v = u16::from_le_bytes([b[*o], b[*o + 1]]) as usize >> 2;
                *o += 2;
                v
            }
            2 => {
                let v = u32::from_le_bytes(b[*o..*o + 4].try_into().unwrap()) as usize >> 2;
                *o += 4;
                v
            }
            _ => panic!("big compact"),
        }
    }
    fn take<'a>(b: &'a [u8], o: &mut usize) -> &'a [u8] {
        let n = compact(b, o);
        let s = &b[*o..*o + n];
        *o += n;
        s
    }
    let mut o = 2;
    let quote = take(bytes, &mut o).to_vec();
    let count = compact(bytes, &mut o);
    let mut events = Vec::new();
    for _ in 0..count {
        let imr = u32::from_le_bytes(bytes[o..o + 4].try_into().unwrap());
        let ty = u32::from_le_bytes(bytes[o + 4..o + 8].try_into().unwrap());
        o += 8;
        let digest = hex::encode(take(bytes, &mut o));
        let name = String::from_utf8(take(bytes, &mut o).to_vec()).unwrap();
        let payload = hex::encode(take(bytes, &mut o));
        events.push(json!({"imr": imr, "event_type": ty, "digest": digest, "event": name, "event_payload": payload}));
    }
    (quote, events)
}

#[test]
fn dstack_tdx_lite_fixtures() {
    let Some(root) = corpus::root() else { return };
    let gq = dstack_fixture(&root, "tdx-lite-getquote.json");
    // README: vm_config.tdx_attestation_variant = "lite", memory 2 GiB, os_image_hash e6f5cfec….
    let vm: Value = serde_json::from_str(gq["vm_config"].as_str().unwrap()).unwrap();
    assert_eq!(vm["tdx_attestation_variant"], "lite");
    assert_eq!(vm["memory_size"], 2_147_483_648u64);
    assert_eq!(vm["os_image_hash"], "e6f5cfec20c02e7b97baa213d0f718020b55e040172d90ccbcb946d56c8b09db");
    let layer = Layer { quote: quote(gq["quote"].as_str().unwrap()), log: gq["event_log"].clone(), info: None };
    let events = layer.events();
    // README: the three RTMR0 ACPI DATA events carry names and their "ACPI DATA" marker payloads.
    let acpi: Vec<&Value> = events.iter().filter(|e| e["event_type"] == 10).collect();
    let names: Vec<&str> = acpi.iter().map(|e| e["event"].as_str().unwrap()).collect();
    assert_eq!(names, ["acpi-loader", "acpi-rsdp", "acpi-tables"]);
    assert!(acpi.iter().all(|e| e["imr"] == 0 && e["event_payload"] == hex::encode("ACPI DATA")));
    // The log is stripped: runtime events have no digest, other boot events no payload.
    assert!(events.iter().filter(|e| e["event_type"] == RUNTIME).all(|e| e["digest"] == ""));
    let (checks, claims) = layer.run("node");
    for id in ["eventlog.parse", "eventlog.rtmr0", "eventlog.rtmr1", "eventlog.rtmr2", "eventlog.rtmr3", "eventlog.runtime_digests", "eventlog.named_events", "compose.mrconfigid"] {
        assert_eq!(status(&checks, &format!("node.{id}")), Status::Pass, "{id}: {:#?}", check(&checks, &format!("node.{id}")));
    }
    assert!(check(&checks, "node.eventlog.parse").reason.as_deref().unwrap().contains("stripped"));
    assert!(check(&checks, "node.eventlog.runtime_digests").reason.as_deref().unwrap().contains("9 had no digest"));
    assert_eq!(status(&checks, "node.compose.hash"), Status::Skipped, "no app_compose in a GetQuote response");
    // The measured os-image-hash event is not vm_config.os_image_hash (= SHA-256 of the lite
    // checksum file): in lite mode the two name different things.
    let os = claims["os_image_hash"].as_str().unwrap();
    assert!(os.starts_with("07a2388c"), "{os}");
    assert_ne!(claims["os_image_hash"], vm["os_image_hash"]);

    // The stripped SCALE attestation: the same quote; only the ACPI events and the runtime events
    // survive, so RTMR3 replays and RTMR0-2 cannot (dstack-verifier recomputes those from the
    // image measurement instead).
    let att = dstack_fixture(&root, "tdx-lite-attestation.json");
    let (q, events) = decode_lite_attestation(&hex::decode(att["attestation"].as_str().unwrap()).unwrap());
    assert_eq!(hex::encode(&q), gq["quote"].as_str().unwrap().trim());
    assert_eq!(events.len(), 12);
    let (checks, claims2) = layer.run_with("att", &Value::Array(events), None, &layer.quote.report.mr_config_id);
    assert_eq!(status(&checks, "att.eventlog.rtmr3"), Status::Pass);
    assert_eq!(status(&checks, "att.eventlog.runtime_digests"), Status::Pass);
    assert_eq!(status(&checks, "att.eventlog.named_events"), Status::Pass);
    for i in 0..3 {
        assert_eq!(status(&checks, &format!("att.eventlog.rtmr{i}")), Status::Fail, "rtmr{i}");
    }
    assert!(check(&checks, "att.eventlog.rtmr1").reason.as_deref().unwrap().contains("no events"));
    assert_eq!(claims2["compose_hash"], claims["compose_hash"]);
}

// ---- negatives made by editing the real NEAR direct log ----

fn near_events(root: &Path) -> (Value, Layer, Vec<Value>) {
    let (body, layer) = near_direct(root);
    let events = layer.events();
    (body, layer, events)
}

fn position(events: &[Value], name: &str) -> usize {
    events.iter().position(|e| e["event"] == name).unwrap()
}

fn flip_hex(s: &str) -> String {
    let mut b = hex::decode(s).unwrap();
    b[0] ^= 1;
    hex::encode(b)
}

#[test]
fn changed_compose_hash_payload() {
    let Some(root) = corpus::root() else { return };
    let (body, layer, mut events) = near_events(&root);
    let i = position(&events, "compose-hash");
    events[i]["event_payload"] = json!(flip_hex(events[i]["event_payload"].as_str().unwrap()));
    let (checks, claims) = layer.run_with("node", &Value::Array(events), Some(&body["info"]), &layer.quote.report.mr_config_id);
    // The digest is untouched, so a digest-only replay still matches: exactly the trap.
    assert_eq!(status(&checks, "node.eventlog.rtmr3"), Status::Pass);
    let d = check(&checks, "node.eventlog.runtime_digests");
    assert_eq!(d.status, Status::Fail);
    assert!(d.reason.as_deref().unwrap().contains("\"compose-hash\""), "{d:?}");
    assert_ne!(status(&checks, "node.compose.hash"), Status::Pass);
    assert_ne!(status(&checks, "node.compose.mrconfigid"), Status::Pass);
    assert!(claims.get("compose_hash").is_none());
    assert!(claims.get("app_name").is_none());
    assert!(claims.get("app_id").is_some(), "other events are still trusted");
}

#[test]
fn changed_digest_breaks_rtmr3() {
    let Some(root) = corpus::root() else { return };
    let (body, layer, mut events) = near_events(&root);
    let i = position(&events, "instance-id");
    events[i]["digest"] = json!(flip_hex(events[i]["digest"].as_str().unwrap()));
    let (checks, claims) = layer.run_with("node", &Value::Array(events.clone()), Some(&body["info"]), &layer.quote.report.mr_config_id);
    let r3 = check(&checks, "node.eventlog.rtmr3");
    assert_eq!(r3.status, Status::Fail);
    assert_ne!(r3.expected, r3.actual);
    assert!(r3.reason.as_deref().unwrap().contains("\"instance-id\""), "{r3:?}");
    for i in 0..3 {
        assert_eq!(status(&checks, &format!("node.eventlog.rtmr{i}")), Status::Pass);
    }
    assert_eq!(status(&checks, "node.eventlog.runtime_digests"), Status::Fail);
    // RTMR3 does not replay: nothing is read from the log, and nothing binds.
    assert_eq!(claims["rtmr3_replayed"], false);
    assert!(claims.get("app_id").is_none() && claims.get("compose_hash").is_none());
    assert_eq!(status(&checks, "node.compose.hash"), Status::Fail);

    // A changed boot-event digest breaks only its own RTMR.
    let (_, _, mut events) = near_events(&root);
    events[0]["digest"] = json!(flip_hex(events[0]["digest"].as_str().unwrap()));
    let (checks, _) = layer.run_with("node", &Value::Array(events), Some(&body["info"]), &layer.quote.report.mr_config_id);
    assert_eq!(status(&checks, "node.eventlog.rtmr0"), Status::Fail);
    assert_eq!(status(&checks, "node.eventlog.rtmr3"), Status::Pass);
    assert_eq!(status(&checks, "node.eventlog.runtime_digests"), Status::Pass);
    // info.tcb_info.event_log is the original log: the hint no longer agrees.
    assert_eq!(status(&checks, "node.info.consistent"), Status::Fail);
}

fn v1_event(name: &str, payload: &[u8]) -> Value {
    let (d, _) = runtime_digest(name, payload, 1).unwrap();
    json!({"imr": 3, "event_type": RUNTIME, "digest": hex::encode(d), "event": name, "event_payload": hex::encode(payload)})
}

#[test]
fn duplicated_app_id() {
    let Some(root) = corpus::root() else { return };
    let (body, layer, mut events) = near_events(&root);
    let i = position(&events, "app-id");
    let copy = events[i].clone();
    events.insert(i + 1, copy);
    let (checks, claims) = layer.run_with("node", &Value::Array(events), Some(&body["info"]), &layer.quote.report.mr_config_id);
    let n = check(&checks, "node.eventlog.named_events");
    assert_eq!(n.status, Status::Fail);
    assert!(n.reason.as_deref().unwrap().contains("app-id appears 2 times"), "{n:?}");
    assert_eq!(status(&checks, "node.eventlog.rtmr3"), Status::Fail);
    assert_eq!(status(&checks, "node.eventlog.runtime_digests"), Status::Pass);
    assert!(claims.get("app_id").is_none());

    // The attack this rule exists for: an application emits a second, well-formed app-id after
    // boot, which really extends RTMR3 — so the replay matches a quote taken afterwards.
    let (_, _, mut events) = near_events(&root);
    events.push(v1_event("app-id", &[0x42; 20]));
    let parsed = parse_event_log(&Value::Array(events.clone())).unwrap();
    let rtmr = replay(&parsed).rtmr;
    let (checks, claims) = scan_event_log("node", &Value::Array(events), &rtmr, Some(&body["info"]), &layer.quote.report.mr_config_id);
    assert_eq!(status(&checks, "node.eventlog.rtmr3"), Status::Pass);
    assert_eq!(status(&checks, "node.eventlog.runtime_digests"), Status::Pass);
    let n = check(&checks, "node.eventlog.named_events");
    assert_eq!(n.status, Status::Fail);
    let why = n.reason.as_deref().unwrap();
    assert!(why.contains("app-id appears 2 times") && why.contains("after system-ready"), "{why}");
    assert!(claims.get("app_id").is_none(), "neither app-id is trusted");
    assert_eq!(claims["compose_hash"], body["info"]["compose_hash"], "unrelated events still are");
    // The unsigned info.app_id is then not compared, never believed.
    let info_reason = check(&checks, "node.info.consistent").reason.clone().unwrap();
    assert!(info_reason.contains("not compared") && info_reason.contains("info.app_id"), "{info_reason}");
}

#[test]
fn named_event_moved_to_imr2() {
    let Some(root) = corpus::root() else { return };
    let (body, layer, mut events) = near_events(&root);
    let i = position(&events, "os-image-hash");
    events[i]["imr"] = json!(2);
    let (checks, claims) = layer.run_with("node", &Value::Array(events), Some(&body["info"]), &layer.quote.report.mr_config_id);
    let n = check(&checks, "node.eventlog.named_events");
    assert_eq!(n.status, Status::Fail);
    assert!(n.reason.as_deref().unwrap().contains("IMR 2"), "{n:?}");
    assert_eq!(status(&checks, "node.eventlog.rtmr2"), Status::Fail);
    assert_eq!(status(&checks, "node.eventlog.rtmr3"), Status::Fail);
    assert_eq!(status(&checks, "node.eventlog.rtmr0"), Status::Pass);
    assert!(claims.get("os_image_hash").is_none());
}

#[test]
fn reordered_imr3_pair() {
    let Some(root) = corpus::root() else { return };
    let (body, layer, mut events) = near_events(&root);
    let a = position(&events, "app-id");
    let b = position(&events, "compose-hash");
    events.swap(a, b);
    let (checks, claims) = layer.run_with("node", &Value::Array(events), Some(&body["info"]), &layer.quote.report.mr_config_id);
    assert_eq!(status(&checks, "node.eventlog.rtmr3"), Status::Fail);
    assert_eq!(status(&checks, "node.eventlog.runtime_digests"), Status::Pass);
    assert_eq!(status(&checks, "node.eventlog.named_events"), Status::Pass);
    assert_eq!(claims["rtmr3_replayed"], false);
}

#[test]
fn tampered_info_compose_hash() {
    let Some(root) = corpus::root() else { return };
    let (body, layer) = near_direct(&root);
    let mut info = body["info"].clone();
    info["compose_hash"] = json!(flip_hex(info["compose_hash"].as_str().unwrap()));
    let (checks, claims) = layer.run_with("node", &layer.log, Some(&info), &layer.quote.report.mr_config_id);
    assert_eq!(status(&checks, "node.compose.hash"), Status::Fail);
    let c = check(&checks, "node.info.consistent");
    assert_eq!((c.status, c.required), (Status::Fail, true));
    assert!(c.reason.as_deref().unwrap().contains("info.compose_hash"));
    // The claim is the measured one, never the hint.
    assert_eq!(claims["compose_hash"], body["info"]["compose_hash"]);
    for id in ["eventlog.rtmr3", "eventlog.runtime_digests", "compose.mrconfigid"] {
        assert_eq!(status(&checks, &format!("node.{id}")), Status::Pass);
    }
}

#[test]
fn app_compose_changed_by_one_byte() {
    let Some(root) = corpus::root() else { return };
    let (body, layer) = near_direct(&root);
    let mut info = body["info"].clone();
    let ac = info["tcb_info"]["app_compose"].as_str().unwrap().replacen("docker-compose", "docker-composf", 1);
    info["tcb_info"]["app_compose"] = json!(ac);
    let (checks, claims) = layer.run_with("node", &layer.log, Some(&info), &layer.quote.report.mr_config_id);
    let c = check(&checks, "node.compose.hash");
    assert_eq!(c.status, Status::Fail);
    assert!(c.reason.as_deref().unwrap().contains("SHA-256(app_compose)"));
    assert!(claims.get("app_name").is_none(), "the compose file is not bound, so its name is not a claim");
    assert_eq!(status(&checks, "node.compose.mrconfigid"), Status::Pass);

    // tcb_info as a JSON string (older dstack) is read the same way.
    let mut info = body["info"].clone();
    info["tcb_info"] = json!(info["tcb_info"].to_string());
    let (checks, _) = layer.run_with("node", &layer.log, Some(&info), &layer.quote.report.mr_config_id);
    assert_all_pass(&checks, "node");
}

#[test]
fn mrconfigid_zero_v2_and_wrong() {
    let Some(root) = corpus::root() else { return };
    let (body, layer) = near_direct(&root);
    let run = |m: &[u8; 48]| layer.run_with("node", &layer.log, Some(&body["info"]), m).0;
    let c = run(&[0u8; 48]);
    let m = check(&c, "node.compose.mrconfigid");
    assert_eq!(m.status, Status::Fail);
    assert!(m.reason.as_deref().unwrap().contains("unset"));
    let mut v2 = [0u8; 48];
    v2[0] = 2;
    v2[1] = 0xaa;
    assert_eq!(status(&run(&v2), "node.compose.mrconfigid"), Status::Skipped);
    let mut wrong = layer.quote.report.mr_config_id;
    wrong[47] = 1;
    assert_eq!(status(&run(&wrong), "node.compose.mrconfigid"), Status::Fail);
    let mut unknown = layer.quote.report.mr_config_id;
    unknown[0] = 7;
    assert_eq!(status(&run(&unknown), "node.compose.mrconfigid"), Status::Fail);
}

#[test]
fn stripped_and_v2_logs() {
    let Some(root) = corpus::root() else { return };
    let (body, layer, events) = near_events(&root);
    // Stripped: runtime digests removed (computed from name and payload), boot payloads removed.
    let stripped: Vec<Value> = events
        .iter()
        .map(|e| {
            let mut e = e.clone();
            if e["event_type"] == RUNTIME {
                e["digest"] = json!("");
            } else {
                e["event_payload"] = json!("");
            }
            e
        })
        .collect();
    let (checks, _) = layer.run_with("node", &Value::Array(stripped.clone()), Some(&body["info"]), &layer.quote.report.mr_config_id);
    for id in ALL.iter().filter(|i| **i != "info.consistent") {
        assert_eq!(status(&checks, &format!("node.{id}")), Status::Pass, "{id}");
    }
    // tcb_info.event_log is the unstripped log: that hint differs (payloads and digests).
    assert_eq!(status(&checks, "node.info.consistent"), Status::Fail);
    // A stripped runtime event with a changed payload now changes RTMR3 instead.
    let mut s2 = stripped.clone();
    let i = position(&s2, "compose-hash");
    s2[i]["event_payload"] = json!(flip_hex(s2[i]["event_payload"].as_str().unwrap()));
    let (checks, _) = layer.run_with("node", &Value::Array(s2), None, &layer.quote.report.mr_config_id);
    assert_eq!(status(&checks, "node.eventlog.rtmr3"), Status::Fail);

    // V2: the runtime events re-emitted as version 2 (JCS digests, with preimages); the quote's
    // RTMR3 is the replay of that log.
    let v2: Vec<Value> = events
        .iter()
        .map(|e| {
            let mut e = e.clone();
            if e["event_type"] == RUNTIME {
                let name = e["event"].as_str().unwrap().to_owned();
                let payload = hex::decode(e["event_payload"].as_str().unwrap()).unwrap();
                let (d, pre) = runtime_digest(&name, &payload, 2).unwrap();
                assert_eq!(pre.as_deref(), Some(canonical_event_json_v2(&name, &payload).as_bytes()));
                e["digest"] = json!(hex::encode(d));
                e["version"] = json!(2);
                e["preimage"] = json!(String::from_utf8(pre.unwrap()).unwrap());
            }
            e
        })
        .collect();
    let rtmr = replay(&parse_event_log(&Value::Array(v2.clone())).unwrap()).rtmr;
    assert_eq!(rtmr[..3], layer.quote.report.rtmr[..3]);
    let (checks, claims) = scan_event_log("node", &Value::Array(v2.clone()), &rtmr, None, &layer.quote.report.mr_config_id);
    assert_eq!(status(&checks, "node.eventlog.rtmr3"), Status::Pass);
    let d = check(&checks, "node.eventlog.runtime_digests");
    assert_eq!(d.status, Status::Pass);
    assert!(d.reason.as_deref().unwrap().contains("(10 V2)"), "{d:?}");
    assert_eq!(claims["compose_hash"], body["info"]["compose_hash"]);
    // A preimage that is not the canonical JSON of the event's fields fails, as does a V1 event
    // that carries a preimage; a hex-encoded preimage is accepted.
    let mut bad = v2.clone();
    let i = position(&bad, "compose-hash");
    let pre = bad[i]["preimage"].as_str().unwrap().replace("\"version\":2", "\"version\":2 ");
    bad[i]["preimage"] = json!(pre);
    let (checks, _) = scan_event_log("node", &Value::Array(bad), &rtmr, None, &layer.quote.report.mr_config_id);
    assert_eq!(status(&checks, "node.eventlog.runtime_digests"), Status::Fail);
    let mut hexed = v2.clone();
    hexed[i]["preimage"] = json!(hex::encode(hexed[i]["preimage"].as_str().unwrap()));
    let (checks, _) = scan_event_log("node", &Value::Array(hexed), &rtmr, None, &layer.quote.report.mr_config_id);
    assert_eq!(status(&checks, "node.eventlog.runtime_digests"), Status::Pass);
    let mut v1pre = events.clone();
    let i = position(&v1pre, "app-id");
    v1pre[i]["preimage"] = json!("7b7d");
    let (checks, _) = layer.run_with("node", &Value::Array(v1pre), None, &layer.quote.report.mr_config_id);
    assert_eq!(status(&checks, "node.eventlog.runtime_digests"), Status::Fail);
}

#[test]
fn strict_parsing() {
    let Some(root) = corpus::root() else { return };
    let (_, layer, events) = near_events(&root);
    let expect_err = |log: Value, what: &str| {
        let e = parse_event_log(&log).unwrap_err();
        assert!(e.to_string().contains(what), "{e} (wanted {what})");
        let (checks, claims) = scan_event_log("x", &log, &layer.quote.report.rtmr, None, &layer.quote.report.mr_config_id);
        assert_eq!(status(&checks, "x.eventlog.parse"), Status::Fail);
        assert_eq!(status(&checks, "x.eventlog.rtmr3"), Status::Skipped);
        assert_eq!(checks.len(), ALL.len());
        assert_eq!(claims, Value::Null);
    };
    let edit = |f: &dyn Fn(&mut Value)| {
        let mut ev = events.clone();
        f(&mut ev[20]);
        Value::Array(ev)
    };
    expect_err(edit(&|e| e["extra"] = json!(1)), "unknown key");
    expect_err(edit(&|e| e["imr"] = json!(4)), "not an IMR index");
    expect_err(edit(&|e| e["imr"] = json!("3")), "imr");
    expect_err(edit(&|e| e["event_type"] = json!(1u64 << 32)), "32 bits");
    expect_err(edit(&|e| e["digest"] = json!("00".repeat(47))), "not 48");
    expect_err(edit(&|e| e["event_payload"] = json!("0g")), "not hex");
    expect_err(edit(&|e| e["version"] = json!(3)), "version");
    expect_err(edit(&|e| { e.as_object_mut().unwrap().remove("event"); }), "missing or not a string");
    let mut boot = events.clone();
    boot[0]["digest"] = json!("");
    expect_err(Value::Array(boot), "non-runtime");
    expect_err(json!(5), "not an array");
    expect_err(json!({"a": 1}), "not an array");
    expect_err(json!("{\"a\":1}"), "JSON string holding an object");
    expect_err(json!("[oops"), "not JSON");
    let many = Value::Array(vec![events[20].clone(); MAX_EVENTS + 1]);
    assert!(matches!(parse_event_log(&many), Err(EventLogError::TooManyEvents { .. })));
    // An empty log parses, and replays to zero: every non-zero RTMR fails.
    let (checks, _) = scan_event_log("x", &json!([]), &layer.quote.report.rtmr, None, &layer.quote.report.mr_config_id);
    assert_eq!(status(&checks, "x.eventlog.parse"), Status::Pass);
    assert_eq!(status(&checks, "x.eventlog.rtmr3"), Status::Fail);
    assert_eq!(status(&checks, "x.compose.hash"), Status::Fail);
}

#[test]
fn runtime_events_api() {
    let Some(root) = corpus::root() else { return };
    let (body, _, events) = near_events(&root);
    let parsed = parse_event_log(&Value::Array(events.clone())).unwrap();
    let rt = check_runtime_events(&parsed);
    assert!(rt.digests_ok() && rt.named_ok());
    assert_eq!((rt.recomputed, rt.stripped, rt.v2), (10, 0, 0));
    assert_eq!(hex::encode(rt.get("app-id").unwrap()), body["info"]["app_id"].as_str().unwrap());
    assert_eq!(rt.get("storage-fs"), Some(&b"zfs"[..]));
    assert_eq!(rt.get("no-such-event"), None);
    // Boot events are replayed only from digests, never trusted by name.
    assert_eq!(rt.get(""), None);
    assert_eq!(rt.imr3_order, NEAR_RUNTIME_ORDER);
}

#[test]
fn dstack_event_log_mismatch_names_the_log_that_replays() {
    let Some(root) = corpus::root() else { return };
    let (body, layer, events) = near_events(&root);
    let mr_config_id = layer.quote.report.mr_config_id;
    // The top-level log tampered, info.tcb_info's copy original: the copy is the one that replays.
    let mut top = events.clone();
    top[0]["digest"] = json!(flip_hex(top[0]["digest"].as_str().unwrap()));
    let (checks, _) = layer.run_with("node", &Value::Array(top), Some(&body["info"]), &mr_config_id);
    let c = check(&checks, "node.info.consistent");
    assert_eq!(c.status, Status::Fail);
    let why = c.reason.as_deref().unwrap();
    assert!(why.contains("info.tcb_info.event_log replays to the quote's RTMRs, the top-level event_log (the one teescan checks) does NOT"), "{why}");
    // The copy in info.tcb_info tampered, the top-level log original: the top-level one replays.
    let mut info = body["info"].clone();
    if let Some(text) = info["tcb_info"].as_str() {
        info["tcb_info"] = serde_json::from_str(text).unwrap();
    }
    let mut inner = events.clone();
    inner[0]["digest"] = json!(flip_hex(inner[0]["digest"].as_str().unwrap()));
    info["tcb_info"]["event_log"] = Value::Array(inner);
    let (checks, _) = layer.run_with("node", &Value::Array(events), Some(&info), &mr_config_id);
    let c = check(&checks, "node.info.consistent");
    assert_eq!(c.status, Status::Fail);
    let why = c.reason.as_deref().unwrap();
    assert!(why.contains("the top-level event_log replays to the quote's RTMRs, info.tcb_info.event_log does NOT"), "{why}");
    assert_eq!(status(&checks, "node.eventlog.rtmr0"), Status::Pass);
}
