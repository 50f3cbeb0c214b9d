//! NEAR's `compose_manager_attestation`: a second TDX quote taken inside the node by its compose
//! manager (the service that starts and stops the node's containers), with its own event log and
//! nonce, whose REPORTDATA is `actions_hash ‖ nonce` ([`Scheme::ComposeActions`]) over the
//! manager's log of container operations (`actions`). It is scanned as a layer of its own,
//! `<layer>.compose_manager` (`[i]` when there are several), through the same per-layer code as
//! every layer — quote and collateral, REPORTDATA binding, the caller's nonce, event-log replay,
//! the layer's TDX policy except its `report_data` rule (this quote binds no key) — plus:
//!
//! * `<sub>.structure` — the object has hex `quote`, `nonce` and `actions_hash` and an `actions`
//!   array; otherwise it fails and the layer is not scanned;
//! * `<sub>.actions.hash` — `actions_hash` is the SHA-256 of the action list as compact JSON,
//!   with keys as sent (the exact bytes in the document) or with keys sorted: both forms occur in
//!   real captures (Venice 2026-06-10: as sent; NEAR 2026-06-29: sorted);
//! * `<sub>.same_td` — the quote's TD report equals the parent layer's except REPORTDATA: the
//!   manager runs in the attested node.
//!
//! `report_data`, `nonce_source` and `vm_config` beside the quote are unsigned and ignored; the
//! parent layer's unsigned `info` is compared with this layer's event log as with the parent's.

use std::collections::BTreeMap;

use serde_json::value::RawValue;
use serde_json::{json, Map, Value};

use super::binding::{Inputs, Scheme};
use super::keys::Attached;
use super::{GpuNonce, Layer, ProviderReport};
use crate::report::Check;
use crate::tdx::Quote;
use crate::ScanOptions;

/// Most raw action lists collected from one document.
const MAX_RAW_ACTIONS: usize = 64;

/// A compose-manager attestation ready to scan: the layer (absent when the object is malformed),
/// the checks specific to it, and its claims.
#[derive(Debug, Clone)]
pub struct SubLayer {
    /// `<parent>.compose_manager`.
    pub name: String,
    /// The layer to scan through the per-layer code.
    pub layer: Option<Layer>,
    /// `structure`, `actions.hash`, `same_td`.
    pub checks: Vec<Check>,
    /// `actions` (when their hash holds), `actions_hash_form`.
    pub claims: Map<String, Value>,
}

/// Record the exact JSON text of every compose-manager `actions` list in `bytes` on the layers
/// that carry a compose-manager attestation.
pub fn attach_raw_actions(report: &mut ProviderReport, bytes: &[u8]) {
    if report.layers.iter().all(|l| l.attached.compose_managers.is_empty()) {
        return;
    }
    let mut found = Vec::new();
    if let Ok(raw) = serde_json::from_slice::<&RawValue>(bytes) {
        collect(raw, 0, false, &mut found);
    }
    for l in &mut report.layers {
        if !l.attached.compose_managers.is_empty() {
            l.attached.raw_actions.clone_from(&found);
        }
    }
}

fn collect(raw: &RawValue, depth: usize, in_manager: bool, out: &mut Vec<String>) {
    if depth > 6 || out.len() >= MAX_RAW_ACTIONS {
        return;
    }
    let text = raw.get();
    if text.starts_with('{') {
        let Ok(map) = serde_json::from_str::<BTreeMap<String, &RawValue>>(text) else { return };
        for (k, v) in map {
            if in_manager && k == "actions" {
                if out.len() < MAX_RAW_ACTIONS {
                    out.push(v.get().to_owned());
                }
            } else {
                collect(v, depth.saturating_add(1), k == "compose_manager_attestation", out);
            }
        }
    } else if text.starts_with('[') {
        let Ok(items) = serde_json::from_str::<Vec<&RawValue>>(text) else { return };
        for v in items {
            collect(v, depth.saturating_add(1), false, out);
        }
    }
}

fn sha256(b: &[u8]) -> [u8; 32] {
    let mut out = [0u8; 32];
    out.copy_from_slice(ring::digest::digest(&ring::digest::SHA256, b).as_ref());
    out
}

/// `v` with every object's keys in sorted order (serde_json keeps insertion order when another
/// crate enables its `preserve_order` feature). Deeper than 64 levels is left as is.
fn sorted_keys(v: &Value, depth: usize) -> Value {
    match v {
        Value::Object(m) if depth < 64 => {
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort();
            let mut out = Map::new();
            for k in keys {
                if let Some(x) = m.get(k) {
                    out.insert(k.clone(), sorted_keys(x, depth.saturating_add(1)));
                }
            }
            Value::Object(out)
        }
        Value::Array(a) if depth < 64 => Value::Array(a.iter().map(|x| sorted_keys(x, depth.saturating_add(1))).collect()),
        other => other.clone(),
    }
}

fn hex_field(v: &Value, key: &str) -> Result<Vec<u8>, String> {
    let s = v.get(key).and_then(Value::as_str).ok_or_else(|| format!("{key}: missing or not a string"))?;
    let t = s.trim();
    hex::decode(t.strip_prefix("0x").unwrap_or(t)).map_err(|e| format!("{key}: not hex: {e}"))
}

/// The compose-manager layers of `parent` (none when it carries no such attestation).
pub fn sub_layers(parent: &Layer) -> Vec<SubLayer> {
    let many = parent.attached.compose_managers.len() > 1;
    parent
        .attached
        .compose_managers
        .iter()
        .enumerate()
        .map(|(i, (_, v))| {
            let name = if many { format!("{}.compose_manager[{i}]", parent.name) } else { format!("{}.compose_manager", parent.name) };
            sub_layer(parent, name, v)
        })
        .collect()
}

fn sub_layer(parent: &Layer, name: String, v: &Value) -> SubLayer {
    let mut checks = Vec::new();
    let mut claims = Map::new();
    let parsed = (|| -> Result<_, String> {
        if !v.is_object() {
            return Err("not a JSON object".to_owned());
        }
        let quote = hex_field(v, "quote")?;
        let nonce = hex_field(v, "nonce")?;
        let actions_hash = hex_field(v, "actions_hash")?;
        let actions = v.get("actions").filter(|a| a.is_array()).ok_or("actions: missing or not an array")?;
        Ok((quote, nonce, actions_hash, actions))
    })();
    let (quote, nonce, actions_hash, actions) = match parsed {
        Ok(x) => x,
        Err(e) => {
            checks.push(Check::fail(&format!("{name}.structure"), "The compose-manager attestation has quote, nonce, actions_hash and actions", e));
            return SubLayer { name, layer: None, checks, claims };
        }
    };
    checks.push(Check::pass(&format!("{name}.structure"), "The compose-manager attestation has quote, nonce, actions_hash and actions"));

    // actions_hash over the action list.
    let sorted = serde_json::to_vec(&sorted_keys(actions, 0)).unwrap_or_default();
    let mut forms = vec![("compact JSON, keys sorted", sha256(&sorted))];
    for raw in &parent.attached.raw_actions {
        if crate::json::strict(raw.as_bytes()).as_ref() == Ok(actions) {
            forms.push(("compact JSON, keys as sent (the document's bytes)", sha256(raw.as_bytes())));
        }
    }
    let title = "actions_hash is the SHA-256 of the action list";
    let hit = forms.iter().find(|(_, h)| h.as_slice() == actions_hash.as_slice());
    checks.push(match hit {
        Some((form, _)) => Check::pass(&format!("{name}.actions.hash"), title).reason(*form).expected(hex::encode(&actions_hash)).actual(hex::encode(&actions_hash)),
        None => Check::fail(&format!("{name}.actions.hash"), title, "no compact JSON form of the action list hashes to actions_hash")
            .expected(hex::encode(&actions_hash))
            .actual(forms.iter().map(|(f, h)| format!("{} ({f})", hex::encode(h))).collect::<Vec<_>>().join(", ")),
    });
    if let Some((form, _)) = hit {
        claims.insert("actions_hash_form".to_owned(), json!(form));
        claims.insert("actions".to_owned(), actions.clone());
    }

    // Same TD as the parent.
    let title = "The compose-manager quote comes from the same TD as the layer's (all but REPORTDATA equal)";
    let same = match (Quote::parse(&quote), Quote::parse(&parent.quote)) {
        (Ok(q), Ok(pq)) => {
            let (mut a, mut b) = (q.report.clone(), pq.report.clone());
            a.report_data = [0; 64];
            b.report_data = [0; 64];
            Check::from_bool(&format!("{name}.same_td"), title, a == b, "the TD reports differ: another TD, or another state of it")
        }
        (Err(e), _) => Check::fail(&format!("{name}.same_td"), title, format!("the compose-manager quote does not parse: {e}")),
        (_, Err(e)) => Check::fail(&format!("{name}.same_td"), title, format!("the layer's quote does not parse: {e}")),
    };
    checks.push(same);

    let layer = Layer {
        name: name.clone(),
        role: parent.role,
        required: super::required(v, &["event_log"]),
        unexpected: Vec::new(),
        quote,
        scheme: Scheme::ComposeActions,
        inputs: Inputs { nonce: Some(nonce), actions_hash: Some(actions_hash), ..Inputs::default() },
        gpu: None,
        gpu_nonce: GpuNonce::Raw,
        event_log: v.get("event_log").cloned(),
        // Same TD (checked above): the layer's unsigned `info` is compared with this log too.
        info: parent.info.clone(),
        attached: Attached { sub_layer: true, ..Attached::default() },
    };
    SubLayer { name, layer: Some(layer), checks, claims }
}

/// The scan options for a compose-manager layer of `parent`: the parent's TDX policy (a
/// gateway's `[gateway.tdx]`), without its `report_data` rule, which names the parent's scheme.
pub fn options(parent: &Layer, opts: &ScanOptions) -> ScanOptions {
    let mut o = opts.clone();
    if let Some(lp) = o.policy.as_mut() {
        // The sections that apply to the parent, decided in one place; then no GPU rules (this
        // quote carries none) and no `report_data` rule.
        let mut pol = super::scan::layer_policy(&lp.policy, parent.role);
        pol.gateway = None;
        pol.gpu = None;
        if let Some(td) = pol.tdx.as_mut().and_then(|t| t.td.as_mut()) {
            td.report_data = None;
        }
        lp.policy = pol;
    }
    o
}
