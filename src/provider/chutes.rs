//! Chutes' own attestation API (not the RedPill wrapper, [`super::Format::Chutes`]): two
//! documents fetched with a client nonce, scanned as one provider report
//! ([`super::Format::ChutesApi`]):
//!
//! * `GET /chutes/{id}/evidence?nonce=N` — `{"evidence": [{instance_id, quote (base64),
//!   gpu_evidence: [{certificate, evidence, arch}], certificate}], "failed_instance_ids": […]}`;
//! * `GET /e2e/instances/{id}` — `{"instances": [{instance_id, e2e_pubkey (base64 ML-KEM-768),
//!   nonces: […]}], "nonce_expires_in", "nonce_expires_at"}`.
//!
//! Neither document carries N: it is the caller's (sent in the query), so the pair is scanned
//! only with it. Every instance of the evidence document becomes a layer `instance[i]` under the
//! `chutes-e2e` binding (REPORTDATA\[0..32\] = SHA-256(N hex ‖ e2e_pubkey), the key taken from the
//! instances document by `instance_id`) with Chutes' derived GPU nonce, exactly as the RedPill
//! form. An evidence instance without an e2e key fails `instance[i].evidence.missing`; an
//! instance of the instances document without evidence (a key a client may encrypt to that no
//! quote binds) becomes a layer that fails `instance[i].evidence.missing` and
//! `instance[i].tdx.quote.structure`. The instance the client encrypts to — the first of the
//! instances document, as Chutes' client and teep choose — is named in the report's reason
//! ([`encryption_target`]).
//!
//! Live (`teescan scan https://api.chutes.ai/chutes/{id}`, `fetch::live`): both documents are
//! fetched with the scan's nonce and recorded in the bundle. Chutes terminates TLS outside the
//! attested VMs, so no quote binds the TLS key: the channel check is `endpoint.e2e` (the target's
//! verified quote binds its `e2e_pubkey` under this nonce) instead of `endpoint.tls`, and the
//! report warns that only payloads end-to-end encrypted to that key are protected
//! (`docs/threat-model.md`, "The channel").

use serde_json::Value;

use super::{b64, field_err, keys, Format, GpuNonce, Inputs, Layer, ProviderError, ProviderReport, RequiredMember, Role};
use crate::nvidia::evidence::parse_evidence_list;
use crate::provider::binding::Scheme;

/// Which of the two documents `bytes` is, if either (by shape only).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Document {
    /// `/chutes/{id}/evidence`.
    Evidence,
    /// `/e2e/instances/{id}`.
    Instances,
}

/// Recognise one of the two documents: an object whose `evidence` (or `instances`) array holds
/// objects with an `instance_id`.
pub fn sniff(bytes: &[u8]) -> Option<Document> {
    if bytes.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
        return None;
    }
    let v: Value = crate::json::strict(bytes).ok()?;
    let with_ids = |key: &str| {
        v.get(key).and_then(Value::as_array).is_some_and(|a| a.iter().any(|x| x.get("instance_id").is_some()))
    };
    match (with_ids("evidence"), with_ids("instances")) {
        (true, false) => Some(Document::Evidence),
        (false, true) => Some(Document::Instances),
        _ => None,
    }
}

/// The instance a client encrypts to — the first of `/e2e/instances`, as Chutes' client and
/// teep choose — and the layer of [`parse_pair`]'s report that stands for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// Its `instance_id`.
    pub instance_id: String,
    /// Its `e2e_pubkey` as listed (base64 ML-KEM-768).
    pub e2e_pubkey: String,
    /// The layer name (`instance[i]`): layers follow the evidence document, then the instances
    /// it lacks.
    pub layer: String,
}

/// The [`Target`] of the pair; `None` when `/e2e/instances` lists no instance (or either
/// document is malformed, which [`parse_pair`] reports).
pub fn encryption_target(evidence: &[u8], instances: &[u8]) -> Option<Target> {
    let ev: Value = crate::json::strict(evidence).ok()?;
    let inst: Value = crate::json::strict(instances).ok()?;
    let first = inst.get("instances")?.as_array()?.first()?;
    let id = first.get("instance_id")?.as_str()?;
    let key = first.get("e2e_pubkey")?.as_str()?;
    let ids: Vec<&str> = ev.get("evidence")?.as_array()?.iter().filter_map(|a| a.get("instance_id").and_then(Value::as_str)).collect();
    // Not in the evidence: the first instance without evidence, the first layer after them.
    let index = ids.iter().position(|x| *x == id).unwrap_or(ids.len());
    Some(Target { instance_id: id.to_owned(), e2e_pubkey: key.to_owned(), layer: format!("instance[{index}]") })
}

/// What a single document of the pair cannot be scanned without.
pub fn alone_message(doc: Document) -> &'static str {
    match doc {
        Document::Evidence => "a Chutes /chutes/{id}/evidence document: its quotes bind e2e public keys it does not carry; scan it with its /e2e/instances/{id} document and the nonce sent: teescan scan EVIDENCE.json INSTANCES.json --nonce HEX",
        Document::Instances => "a Chutes /e2e/instances/{id} document: it carries no evidence; scan it with its /chutes/{id}/evidence document and the nonce sent: teescan scan EVIDENCE.json INSTANCES.json --nonce HEX",
    }
}

/// The pair as one provider report, under the caller's `nonce` (the one sent in the evidence
/// request). Malformed members are errors (the scan input is malformed: exit 2).
pub fn parse_pair(evidence: &[u8], instances: &[u8], nonce: &[u8; 32]) -> Result<ProviderReport, ProviderError> {
    let f = Format::ChutesApi;
    let ev: Value = crate::json::strict(evidence).map_err(ProviderError::Json)?;
    let inst: Value = crate::json::strict(instances).map_err(ProviderError::Json)?;
    let items = ev.get("evidence").and_then(Value::as_array).ok_or_else(|| field_err(f, "evidence", "missing or not an array"))?;
    let keys_of = inst.get("instances").and_then(Value::as_array).ok_or_else(|| field_err(f, "instances", "missing or not an array"))?;
    if items.is_empty() {
        return Err(field_err(f, "evidence", "empty"));
    }
    let mut e2e: Vec<(String, String)> = Vec::new();
    for (i, k) in keys_of.iter().enumerate() {
        let id = k.get("instance_id").and_then(Value::as_str).ok_or_else(|| field_err(f, &format!("instances[{i}].instance_id"), "missing or not a string"))?;
        let key = k.get("e2e_pubkey").and_then(Value::as_str).ok_or_else(|| field_err(f, &format!("instances[{i}].e2e_pubkey"), "missing or not a string"))?;
        if e2e.iter().any(|(x, _)| x == id) {
            return Err(field_err(f, &format!("instances[{i}].instance_id"), format!("{id} is listed twice")));
        }
        e2e.push((id.to_owned(), key.to_owned()));
    }
    let nonce_text = crate::bytes::to_hex(nonce);
    let mut layers = Vec::new();
    let mut seen: Vec<String> = Vec::new();
    for (i, a) in items.iter().enumerate() {
        let at = |k: &str| format!("evidence[{i}].{k}");
        let id = a.get("instance_id").and_then(Value::as_str).ok_or_else(|| field_err(f, &at("instance_id"), "missing or not a string"))?;
        if seen.iter().any(|x| x == id) {
            return Err(field_err(f, &at("instance_id"), format!("{id} is listed twice")));
        }
        seen.push(id.to_owned());
        let q = a.get("quote").and_then(Value::as_str).ok_or_else(|| field_err(f, &at("quote"), "missing or not a string"))?;
        let quote = b64(q).ok_or_else(|| field_err(f, &at("quote"), "not base64"))?;
        let gpu = match a.get("gpu_evidence") {
            None | Some(Value::Null) => None,
            Some(g) => Some(parse_evidence_list(g.to_string().as_bytes()).map_err(|e| field_err(f, &at("gpu_evidence"), e.to_string()))?),
        };
        let key = e2e.iter().find(|(x, _)| x == id).map(|(_, k)| k.clone());
        layers.push(layer(i, quote, gpu, key, &nonce_text, nonce, a.get("gpu_evidence").is_some()));
    }
    // Keys a client may encrypt to that no evidence covers: layers that fail.
    let unattested: Vec<&(String, String)> = e2e.iter().filter(|(id, _)| !seen.contains(id)).collect();
    for (id, key) in unattested {
        let mut l = layer(layers.len(), Vec::new(), None, Some(key.clone()), &nonce_text, nonce, false);
        l.required.insert(0, RequiredMember { member: "quote (no evidence for this /e2e/instances instance)", present: false });
        layers.push(l);
        seen.push(id.clone());
    }
    let failed = ev.get("failed_instance_ids").and_then(Value::as_array).map_or(0, Vec::len);
    let target = keys_of
        .first()
        .and_then(|k| k.get("instance_id").and_then(Value::as_str))
        .and_then(|id| seen.iter().position(|x| x == id).map(|i| format!("instance[{i}] ({id})")))
        .unwrap_or_else(|| "none: /e2e/instances lists no instance".to_owned());
    Ok(ProviderReport {
        format: f,
        reason: format!(
            "Chutes API pair /chutes/{{id}}/evidence + /e2e/instances/{{id}}: {} instances with evidence, {} e2e keys, {failed} failed instance ids; the client encrypts to {target}, the first of /e2e/instances",
            items.len(),
            keys_of.len()
        ),
        layers,
        ignored: Vec::new(),
        nonce_hint: None,
    })
}

fn layer(i: usize, quote: Vec<u8>, gpu: Option<crate::nvidia::evidence::EvidenceList>, key: Option<String>, nonce_text: &str, nonce: &[u8; 32], has_gpu: bool) -> Layer {
    Layer {
        name: format!("instance[{i}]"),
        role: Role::Workload,
        required: vec![
            RequiredMember { member: "gpu_evidence", present: has_gpu },
            RequiredMember { member: "e2e_pubkey (from /e2e/instances)", present: key.is_some() },
        ],
        unexpected: Vec::new(),
        quote,
        scheme: Scheme::ChutesE2e,
        inputs: Inputs {
            nonce: Some(nonce.to_vec()),
            nonce_text: Some(nonce_text.to_owned()),
            e2e_pubkey: key.clone(),
            ..Inputs::default()
        },
        gpu,
        gpu_nonce: GpuNonce::ChutesDerived(key.unwrap_or_default()),
        event_log: None,
        info: None,
        attached: keys::Attached::default(),
    }
}
