//! Loopback tests of the NVIDIA client (RIM service, OCSP responder, NRAS + JWKS).
//!
//! `support/replay_server.rs` plays NVIDIA's services on 127.0.0.1 and replays real captures
//! from the shared corpus: the nvtrust H100 sample's RIMs and OCSP responses (chosen by the
//! serial number in the OCSP request the client sent) and the NEAR AI NRAS exchange. No other
//! network is used. Corpus tests return early when the corpus is absent (see
//! `support/corpus.rs`).
#![cfg(feature = "fetch")]

#[path = "support/corpus.rs"]
mod corpus;
#[path = "support/replay_server.rs"]
mod replay_server;

use std::collections::{BTreeSet, HashMap};
use std::path::Path;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use base64::Engine as _;
use der::asn1::{Any, Int, OctetString};
use der::{Decode as _, Sequence};
use replay_server::{Reply, Request, Server};

use teescan::fetch::nvidia::{NvidiaClient, NvidiaEndpoints, NRAS_CLAIMS_VERSION};
use teescan::fetch::{FetchError, FetchOptions};
use teescan::nvidia::evidence::{parse_evidence_list, EvidenceList, GpuEvidence};
use teescan::nvidia::ocsp;
use teescan::nvidia::verify::{verify_gpus, GpuOptions, GpuVerification};
use teescan::report::Status;
use teescan::time::Timestamp;

const SAMPLE: &str = "nvidia/nvtrust-sample-h100";
const NEAR: &str = "nvidia/providers/neardirect-qwen35-teep";
const DRIVER_ID: &str = "NV_GPU_DRIVER_GH100_550.90.07";
const VBIOS_ID: &str = "NV_GPU_VBIOS_1010_0200_882_96009F0001";
const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;

// ---------------------------------------------------------------------------------------------
// An independent decoder for the OCSP requests the client sends (RFC 6960 §4.1.1).

#[derive(Sequence)]
struct OcspRequest {
    tbs_request: TbsRequest,
    #[asn1(context_specific = "0", optional = "true", tag_mode = "EXPLICIT")]
    optional_signature: Option<Any>,
}

#[derive(Sequence)]
struct TbsRequest {
    #[asn1(context_specific = "0", optional = "true", tag_mode = "EXPLICIT")]
    version: Option<u8>,
    #[asn1(context_specific = "1", optional = "true", tag_mode = "EXPLICIT")]
    requestor_name: Option<Any>,
    request_list: Vec<SingleRequest>,
    #[asn1(context_specific = "2", optional = "true", tag_mode = "EXPLICIT")]
    request_extensions: Option<Any>,
}

#[derive(Sequence)]
struct SingleRequest {
    req_cert: CertId,
    #[asn1(context_specific = "0", optional = "true", tag_mode = "EXPLICIT")]
    single_request_extensions: Option<Any>,
}

#[derive(Sequence)]
struct CertId {
    hash_algorithm: x509_cert::spki::AlgorithmIdentifierOwned,
    issuer_name_hash: OctetString,
    issuer_key_hash: OctetString,
    serial_number: Int,
}

/// The serial of the one CertID of an OCSP request, checking the shape NVIDIA's responder gets:
/// SHA-384 (2.16.840.1.101.3.4.2.2), 48-byte hashes, unsigned, no extensions (no nonce).
fn request_serial(der: &[u8]) -> Vec<u8> {
    let req = OcspRequest::from_der(der).expect("body is a DER OCSPRequest");
    assert!(req.optional_signature.is_none());
    let tbs = req.tbs_request;
    assert!(tbs.version.is_none() && tbs.requestor_name.is_none());
    assert!(tbs.request_extensions.is_none(), "no nonce");
    assert_eq!(tbs.request_list.len(), 1);
    let single = &tbs.request_list[0];
    assert!(single.single_request_extensions.is_none());
    let id = &single.req_cert;
    assert_eq!(id.hash_algorithm.oid.to_string(), "2.16.840.1.101.3.4.2.2");
    assert_eq!(id.issuer_name_hash.as_bytes().len(), 48);
    assert_eq!(id.issuer_key_hash.as_bytes().len(), 48);
    id.serial_number.as_bytes().to_vec()
}

// ---------------------------------------------------------------------------------------------
// Corpus.

fn at(s: &str) -> Timestamp {
    Timestamp::parse_rfc3339(s).unwrap()
}

fn opts(timeout_ms: u64, retries: u32) -> FetchOptions {
    FetchOptions {
        timeout: Duration::from_millis(timeout_ms),
        retries,
        backoff: Duration::from_millis(20),
        max_body_bytes: 4 * 1024 * 1024,
    }
}

fn endpoints(rim: &str, ocsp: &str, nras: &str) -> NvidiaEndpoints {
    NvidiaEndpoints {
        rim_service: rim.to_owned(),
        ocsp: ocsp.to_owned(),
        nras: nras.to_owned(),
    }
}

fn client(base: &str) -> NvidiaClient {
    NvidiaClient::new(endpoints(base, base, base), opts(5000, 2)).unwrap()
}

/// The H100 sample as one-item evidence, and the nonce its report carries.
fn h100_sample(root: &Path) -> (EvidenceList, [u8; 32]) {
    let hex_text = String::from_utf8(corpus::read(
        root,
        &format!("{SAMPLE}/attestation_report.hex"),
    ))
    .unwrap();
    let report = hex::decode(hex_text.trim()).unwrap();
    let nonce: [u8; 32] = report[4..36].try_into().unwrap();
    let cert_chain = pem::parse_many(corpus::read(
        root,
        &format!("{SAMPLE}/device_cert_chain.pem"),
    ))
    .unwrap()
    .into_iter()
    .map(pem::Pem::into_contents)
    .collect();
    let item = GpuEvidence {
        report,
        cert_chain,
        arch_hint: None,
        nonce_hint: None,
        driver_version_hint: None,
        vbios_version_hint: None,
    };
    (
        EvidenceList {
            arch_hint: None,
            nonce_hint: None,
            items: vec![item],
        },
        nonce,
    )
}

fn rim_xml(root: &Path, id: &str) -> Vec<u8> {
    corpus::read(root, &format!("{SAMPLE}/{id}.xml"))
}

/// The RIM service's JSON for `xml`, claiming `id` and `sha256`.
fn rim_json(id: &str, xml: &[u8], sha256: &str) -> Vec<u8> {
    serde_json::to_vec(&serde_json::json!({
        "id": id,
        "rim": B64.encode(xml),
        "sha256": sha256,
        "rim_format": "SWID",
        "request_id": "replay",
    }))
    .unwrap()
}

fn sha256_hex(b: &[u8]) -> String {
    hex::encode(ring::digest::digest(&ring::digest::SHA256, b))
}

/// The seven real OCSP responses (DER), by the serial they cover.
fn ocsp_by_serial(root: &Path) -> HashMap<Vec<u8>, Vec<u8>> {
    let mut map = HashMap::new();
    for entry in std::fs::read_dir(root.join(SAMPLE).join("ocsp")).unwrap() {
        let text = std::fs::read(entry.unwrap().path()).unwrap();
        let der = ocsp::decode_response(&text).unwrap();
        let serials = ocsp::response_serials(&der).unwrap();
        assert_eq!(serials.len(), 1);
        map.insert(serials[0].clone(), der);
    }
    assert_eq!(map.len(), 7);
    map
}

/// NVIDIA's services for the H100 sample: both RIMs, OCSP by serial (anything else 404).
fn h100_world(root: &Path, delay: Duration) -> Server {
    let rims: HashMap<String, Vec<u8>> = [DRIVER_ID, VBIOS_ID]
        .iter()
        .map(|id| {
            let xml = rim_xml(root, id);
            (
                format!("/v1/rim/{id}"),
                rim_json(id, &xml, &sha256_hex(&xml)),
            )
        })
        .collect();
    let ocsp = ocsp_by_serial(root);
    Server::start_full(move |req: &Request, _| {
        let reply = match (req.method.as_str(), req.path.as_str()) {
            ("GET", path) if rims.contains_key(path) => Reply::ok(rims[path].clone()),
            ("POST", "/") => match ocsp.get(&request_serial(&req.body)) {
                Some(der) => {
                    Reply::ok(der.clone()).header("Content-Type", "application/ocsp-response")
                }
                None => Reply::status(404),
            },
            _ => Reply::status(404),
        };
        reply.delayed(delay)
    })
}

/// A certificate and its issuer (DER).
type Pair = (Vec<u8>, Vec<u8>);

/// The distinct (certificate, issuer) pairs NVIDIA's verifier asks OCSP about for the sample:
/// device chain 1..3, each RIM's KeyInfo chain 0..2; and how many there are before deduplication.
fn sample_pairs(root: &Path, list: &EvidenceList) -> (Vec<Pair>, usize) {
    let chain = &list.items[0].cert_chain;
    let mut all: Vec<Pair> = (1..4)
        .map(|k| (chain[k].clone(), chain[k + 1].clone()))
        .collect();
    for id in [DRIVER_ID, VBIOS_ID] {
        // Verified at a time its chain is valid, only to read its KeyInfo chain.
        let rim = teescan::nvidia::rim::verify_rim(
            &rim_xml(root, id),
            &teescan::pki::TrustAnchor::nvidia_corim_root_ca(),
            at("2025-10-24T12:00:00Z"),
        )
        .unwrap();
        all.extend((0..3).map(|k| (rim.signer_chain[k].clone(), rim.signer_chain[k + 1].clone())));
    }
    let naive = all.len();
    let mut distinct = Vec::new();
    for pair in all {
        if !distinct.contains(&pair) {
            distinct.push(pair);
        }
    }
    (distinct, naive)
}

fn status_of(v: &GpuVerification, id: &str) -> Status {
    v.checks
        .iter()
        .find(|c| c.id == id)
        .unwrap_or_else(|| panic!("no check {id}"))
        .status
}

fn ids_with(v: &GpuVerification, s: Status) -> BTreeSet<String> {
    v.checks
        .iter()
        .filter(|c| c.status == s)
        .map(|c| c.id.clone())
        .collect()
}

const DEVICE_OCSP: [&str; 3] = [
    "gpu[0].ocsp.brom",
    "gpu[0].ocsp.provisioner_ica",
    "gpu[0].ocsp.identity",
];

fn rim_ocsp_ids() -> BTreeSet<String> {
    ["driver", "vbios"]
        .iter()
        .flat_map(|l| (0..3).map(move |k| format!("gpu[0].rim.{l}.ocsp[{k}]")))
        .collect()
}

// ---------------------------------------------------------------------------------------------
// (a) RIM service.

#[tokio::test]
async fn rim_get_returns_the_xml_and_checks_the_wrapper() {
    let Some(root) = corpus::root() else { return };
    let driver = rim_xml(&root, DRIVER_ID);
    let vbios = rim_xml(&root, VBIOS_ID);
    let (d, v) = (driver.clone(), vbios.clone());
    let server = Server::start(move |path, _| {
        match path.strip_prefix("/v1/rim/") {
        Some(DRIVER_ID) => Reply::ok(rim_json(DRIVER_ID, &d, &sha256_hex(&d))),
        // Upper-case hex, no optional fields beyond the required ones: still fine.
        Some(VBIOS_ID) => Reply::ok(
            serde_json::to_vec(&serde_json::json!({"id": VBIOS_ID, "rim": B64.encode(&v), "sha256": sha256_hex(&v).to_uppercase()})).unwrap(),
        ),
        Some("WRONG_ID") => Reply::ok(rim_json(DRIVER_ID, &d, &sha256_hex(&d))),
        Some("BAD_SHA") => Reply::ok(rim_json("BAD_SHA", &d, &sha256_hex(b"something else"))),
        Some("NO_SHA") => Reply::ok(serde_json::to_vec(&serde_json::json!({"id": "NO_SHA", "rim": B64.encode(&d)})).unwrap()),
        Some("NOT_JSON") => Reply::ok("<html>"),
        _ => Reply::status(404),
    }
    });
    let c = client(&server.base);

    assert_eq!(
        c.rim(DRIVER_ID).await.unwrap(),
        (DRIVER_ID.to_owned(), driver.clone())
    );
    assert_eq!(c.rim(VBIOS_ID).await.unwrap(), (VBIOS_ID.to_owned(), vbios));
    assert_eq!(
        c.rim("NO_SHA").await.unwrap().1,
        driver,
        "sha256 is optional"
    );

    for (id, needle) in [
        ("WRONG_ID", "not the requested"),
        ("BAD_SHA", "is not the SHA-256"),
        ("NOT_JSON", "not the expected JSON"),
    ] {
        match c.rim(id).await {
            Err(FetchError::Http { url, reason }) => {
                assert!(reason.contains(needle), "{id}: {reason}");
                assert!(url.ends_with(&format!("/v1/rim/{id}")), "{url}");
            }
            other => panic!("{id}: {other:?}"),
        }
    }

    // 404 is final: no retry.
    match c.rim("NV_GPU_DRIVER_GH100_0.0.0").await {
        Err(FetchError::Status { status: 404, .. }) => {}
        other => panic!("{other:?}"),
    }
    assert_eq!(server.hits("/v1/rim/NV_GPU_DRIVER_GH100_0.0.0"), 1);

    // An id that is not one path segment is refused before any request.
    let before = server.received().len();
    assert!(matches!(
        c.rim("../v1/x").await,
        Err(FetchError::InvalidUrl { .. })
    ));
    assert_eq!(server.received().len(), before);

    for r in server.received() {
        assert_eq!(r.method, "GET");
        assert!(r.header("user-agent").unwrap().starts_with("teescan/"));
    }
}

// ---------------------------------------------------------------------------------------------
// (b) OCSP.

#[tokio::test]
async fn ocsp_post_sends_a_sha384_request_and_returns_the_response_verbatim() {
    let Some(root) = corpus::root() else { return };
    let (list, _) = h100_sample(&root);
    let chain = &list.items[0].cert_chain;
    let (brom, ica) = (&chain[1], &chain[2]);
    let server = h100_world(&root, Duration::ZERO);
    let c = client(&server.base);

    let body = c.ocsp(brom, ica).await.unwrap();
    let expected = &ocsp_by_serial(&root)[&ocsp::cert_serial(brom).unwrap()];
    assert_eq!(&body, expected, "byte-identical");
    // And it is the right response: it verifies for the BROM at its time.
    let r = ocsp::verify_ocsp(&body, brom, ica, at("2025-08-21T12:00:00Z")).unwrap();
    assert_eq!(r.status, ocsp::CertStatus::Good);

    let received = server.received();
    assert_eq!(received.len(), 1);
    let req = &received[0];
    assert_eq!((req.method.as_str(), req.path.as_str()), ("POST", "/"));
    assert_eq!(req.header("content-type"), Some("application/ocsp-request"));
    assert_eq!(request_serial(&req.body), ocsp::cert_serial(brom).unwrap());
    assert_eq!(req.body, ocsp::build_request(brom, ica).unwrap());

    // A pair that is not (certificate, its issuer) is refused before any request.
    assert!(matches!(
        c.ocsp(brom, &chain[3]).await,
        Err(FetchError::Http { .. })
    ));
    assert_eq!(server.received().len(), 1);
}

// ---------------------------------------------------------------------------------------------
// (c) NRAS and JWKS.

#[tokio::test]
async fn nras_post_carries_the_evidence_and_jwks_is_replayed() {
    let Some(root) = corpus::root() else { return };
    let list =
        parse_evidence_list(&corpus::read(&root, &format!("{NEAR}/nvidia_payload.json"))).unwrap();
    let captured: serde_json::Value =
        serde_json::from_slice(&corpus::read(&root, &format!("{NEAR}/nras_request.json"))).unwrap();
    let response = corpus::read(&root, &format!("{NEAR}/nras_response.json"));
    let jwks = corpus::read(&root, &format!("{NEAR}/nras_jwks_at_capture.json"));
    let (resp, keys) = (response.clone(), jwks.clone());
    let server = Server::start_full(move |req: &Request, _| {
        match (req.method.as_str(), req.path.as_str()) {
            ("POST", "/v3/attest/gpu") => {
                Reply::ok(resp.clone()).header("Content-Type", "application/json")
            }
            ("GET", "/.well-known/jwks.json") => Reply::ok(keys.clone()),
            _ => Reply::status(404),
        }
    });
    let c = client(&server.base);
    let nonce: [u8; 32] = hex::decode(captured["nonce"].as_str().unwrap())
        .unwrap()
        .try_into()
        .unwrap();

    assert_eq!(c.nras(&list, &nonce, "HOPPER").await.unwrap(), response);
    assert_eq!(c.jwks().await.unwrap(), jwks);

    let received = server.received();
    let post = received.iter().find(|r| r.method == "POST").unwrap();
    assert_eq!(post.header("content-type"), Some("application/json"));
    let sent: serde_json::Value = serde_json::from_slice(&post.body).unwrap();
    assert_eq!(sent["nonce"], captured["nonce"]);
    assert_eq!(sent["arch"], captured["arch"]);
    assert_eq!(sent["claims_version"], NRAS_CLAIMS_VERSION);
    let (sent_items, captured_items) = (
        sent["evidence_list"].as_array().unwrap(),
        captured["evidence_list"].as_array().unwrap(),
    );
    assert_eq!(sent_items.len(), 8);
    assert_eq!(sent_items.len(), captured_items.len());
    let b64 = |v: &serde_json::Value| B64.decode(v.as_str().unwrap()).unwrap();
    let ders = |v: &serde_json::Value| -> Vec<Vec<u8>> {
        pem::parse_many(b64(v))
            .unwrap()
            .into_iter()
            .map(pem::Pem::into_contents)
            .collect()
    };
    for (s, c) in sent_items.iter().zip(captured_items) {
        assert_eq!(
            s.as_object().unwrap().len(),
            2,
            "evidence and certificate only: {s}"
        );
        assert_eq!(
            b64(&s["evidence"]),
            b64(&c["evidence"]),
            "same report bytes"
        );
        assert_eq!(
            ders(&s["certificate"]),
            ders(&c["certificate"]),
            "same chain"
        );
        assert!(
            !String::from_utf8(b64(&s["certificate"]))
                .unwrap()
                .contains('\r'),
            "LF line ends"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// (d) Everything for a node, concurrently.

#[tokio::test]
async fn gpu_collateral_fetches_rims_and_ocsp_concurrently_and_verifies() {
    let Some(root) = corpus::root() else { return };
    let (list, nonce) = h100_sample(&root);
    let (pairs, naive) = sample_pairs(&root, &list);
    assert_eq!(naive, 9, "3 device + 3 per RIM");
    assert_eq!(
        pairs.len(),
        7,
        "the RIMs share their L3 and L2 certificates"
    );

    let delay = Duration::from_millis(200);
    let server = h100_world(&root, delay);
    let c = client(&server.base);
    let started = Instant::now();
    let (coll, errors, log) = c.gpu_collateral(&list, Some(&nonce), false).await;
    let elapsed = started.elapsed();
    eprintln!(
        "gpu_collateral: {elapsed:?}, {} requests",
        server.received().len()
    );
    assert!(errors.is_empty(), "{errors:?}");

    // Two waves (device OCSP + RIMs, then RIM-chain OCSP): ~400 ms, not 9 × 200 ms.
    assert!(elapsed < Duration::from_millis(1200), "{elapsed:?}");
    assert!(server.state.max_in_flight.load(Ordering::SeqCst) >= 4);

    // Exactly the two RIMs, once each.
    let received = server.received();
    let gets: BTreeSet<String> = received
        .iter()
        .filter(|r| r.method == "GET")
        .map(|r| r.path.clone())
        .collect();
    assert_eq!(
        gets,
        [DRIVER_ID, VBIOS_ID]
            .iter()
            .map(|id| format!("/v1/rim/{id}"))
            .collect()
    );
    assert_eq!(received.iter().filter(|r| r.method == "GET").count(), 2);
    let rims: BTreeSet<(String, Vec<u8>)> = coll.rims.iter().cloned().collect();
    assert_eq!(
        rims,
        [DRIVER_ID, VBIOS_ID]
            .iter()
            .map(|id| (id.to_string(), rim_xml(&root, id)))
            .collect()
    );

    // Exactly one OCSP request per distinct (certificate, issuer), each answered verbatim.
    let posted: Vec<&Request> = received.iter().filter(|r| r.method == "POST").collect();
    assert_eq!(posted.len(), pairs.len());
    let bodies: BTreeSet<Vec<u8>> = posted.iter().map(|r| r.body.clone()).collect();
    let wanted: BTreeSet<Vec<u8>> = pairs
        .iter()
        .map(|(c, i)| ocsp::build_request(c, i).unwrap())
        .collect();
    assert_eq!(bodies, wanted);
    let served: BTreeSet<Vec<u8>> = ocsp_by_serial(&root).into_values().collect();
    assert_eq!(coll.ocsp.iter().cloned().collect::<BTreeSet<_>>(), served);
    assert_eq!(coll.ocsp.len(), 7);
    assert!(coll.nras.is_none());
    assert_eq!(log.len(), 9);
    assert!(log.iter().all(|f| f.status == 200));

    // What was fetched verifies: device OCSP and both RIMs pass; the RIM-chain OCSP responses
    // (2025-10-24) are outside their window on 2025-08-21: indeterminate, and nothing else is.
    let opts = GpuOptions {
        expected_nonce: Some(nonce),
        ..GpuOptions::default()
    };
    let v = verify_gpus(&list, &coll, at("2025-08-21T12:00:00Z"), &opts);
    for id in DEVICE_OCSP.iter().chain(&[
        "gpu[0].rim.driver",
        "gpu[0].rim.vbios",
        "gpu[0].measurements",
    ]) {
        assert_eq!(status_of(&v, id), Status::Pass, "{id}");
    }
    assert!(
        ids_with(&v, Status::Fail).is_empty(),
        "{:?}",
        ids_with(&v, Status::Fail)
    );
    assert_eq!(ids_with(&v, Status::Indeterminate), rim_ocsp_ids());
}

// ---------------------------------------------------------------------------------------------
// (e) An unreachable OCSP responder.

#[tokio::test]
async fn unreachable_ocsp_is_collected_and_indeterminate() {
    let Some(root) = corpus::root() else { return };
    let (list, nonce) = h100_sample(&root);
    let server = h100_world(&root, Duration::ZERO);
    // A loopback port nobody listens on (bound, then released).
    let dead = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}", l.local_addr().unwrap())
    };
    let c = NvidiaClient::new(endpoints(&server.base, &dead, &server.base), opts(2000, 1)).unwrap();
    let (coll, errors, log) = c.gpu_collateral(&list, Some(&nonce), false).await;

    assert_eq!(coll.rims.len(), 2);
    assert!(coll.ocsp.is_empty());
    assert_eq!(log.len(), 2);
    assert_eq!(errors.len(), 7, "{errors:?}");
    for (what, e) in &errors {
        assert!(what.starts_with("ocsp "), "{what}");
        assert!(matches!(e, FetchError::Connect { .. }), "{what}: {e:?}");
        assert_eq!(e.url(), format!("{dead}/"));
    }
    assert_eq!(
        errors
            .iter()
            .filter(|(w, _)| w.starts_with("ocsp gpu[0] chain["))
            .count(),
        3
    );

    let opts = GpuOptions {
        expected_nonce: Some(nonce),
        ..GpuOptions::default()
    };
    let v = verify_gpus(&list, &coll, at("2025-08-21T12:00:00Z"), &opts);
    let ocsp_ids: BTreeSet<String> = DEVICE_OCSP
        .iter()
        .map(|s| s.to_string())
        .chain(rim_ocsp_ids())
        .collect();
    assert_eq!(ids_with(&v, Status::Indeterminate), ocsp_ids);
    assert!(ids_with(&v, Status::Fail).is_empty());
    assert_eq!(status_of(&v, "gpu[0].rim.driver"), Status::Pass);
}

// ---------------------------------------------------------------------------------------------
// NRAS through gpu_collateral: 8 H100s, arch from the BROM certificates.

#[tokio::test]
async fn gpu_collateral_with_nras_on_eight_gpus() {
    let Some(root) = corpus::root() else { return };
    let list =
        parse_evidence_list(&corpus::read(&root, &format!("{NEAR}/nvidia_payload.json"))).unwrap();
    let captured: serde_json::Value =
        serde_json::from_slice(&corpus::read(&root, &format!("{NEAR}/nras_request.json"))).unwrap();
    let nonce: [u8; 32] = hex::decode(captured["nonce"].as_str().unwrap())
        .unwrap()
        .try_into()
        .unwrap();
    let response = corpus::read(&root, &format!("{NEAR}/nras_response.json"));
    let jwks = corpus::read(&root, &format!("{NEAR}/nras_jwks_at_capture.json"));
    let (resp, keys) = (response.clone(), jwks.clone());
    // The RIM service and the responder know nothing here: RIM 404s, OCSP 404s.
    let server = Server::start_full(move |req: &Request, _| {
        match (req.method.as_str(), req.path.as_str()) {
            ("POST", "/v3/attest/gpu") => Reply::ok(resp.clone()),
            ("GET", "/.well-known/jwks.json") => Reply::ok(keys.clone()),
            _ => Reply::status(404),
        }
    });
    let c = client(&server.base);
    let (coll, errors, _) = c.gpu_collateral(&list, Some(&nonce), true).await;
    let nras = coll.nras.as_ref().expect("NRAS and JWKS fetched");
    assert_eq!((&nras.body, &nras.jwks), (&response, &jwks));
    assert!(
        errors
            .iter()
            .all(|(_, e)| matches!(e, FetchError::Status { status: 404, .. })),
        "{errors:?}"
    );
    // One driver and one VBIOS RIM for eight identical GPUs, each asked once.
    let rim_errors: Vec<&String> = errors
        .iter()
        .map(|(w, _)| w)
        .filter(|w| w.starts_with("rim "))
        .collect();
    assert_eq!(rim_errors.len(), 2, "{rim_errors:?}");
    let received = server.received();
    let post = received
        .iter()
        .find(|r| r.path == "/v3/attest/gpu")
        .unwrap();
    let sent: serde_json::Value = serde_json::from_slice(&post.body).unwrap();
    assert_eq!(
        (&sent["arch"], &sent["nonce"]),
        (&captured["arch"], &captured["nonce"])
    );
    let ocsp_posts = received.iter().filter(|r| r.path == "/").count();
    assert_eq!(
        ocsp_posts,
        errors
            .iter()
            .filter(|(w, _)| w.starts_with("ocsp "))
            .count()
    );

    let opts = GpuOptions {
        expected_nonce: Some(nonce),
        require_rims: false,
        require_ocsp: false,
        require_nras: true,
        ..GpuOptions::default()
    };
    let v = verify_gpus(&list, &coll, at("2026-06-29T02:06:40Z"), &opts);
    for id in ["nras.signature", "nras.count", "nras.result"] {
        assert_eq!(status_of(&v, id), Status::Pass, "{id}");
    }

    // Without a nonce and with no parseable report, NRAS is not asked, and says why.
    let mut broken = list.clone();
    for item in &mut broken.items {
        item.report.truncate(10);
    }
    let before = server.received().len();
    let (coll, errors, _) = c.gpu_collateral(&broken, None, true).await;
    assert!(coll.nras.is_none() && coll.rims.is_empty() && coll.ocsp.is_empty());
    assert_eq!(errors.len(), 1);
    assert!(
        errors[0].0 == "nras" && errors[0].1.to_string().contains("no nonce"),
        "{errors:?}"
    );
    assert_eq!(server.received().len(), before);
}

// ---------------------------------------------------------------------------------------------
// (f) URL rules.

#[test]
fn plain_http_endpoints_are_refused() {
    let ok = "https://nvidia.example";
    for e in [
        endpoints("http://example.com", ok, ok),
        endpoints(ok, "http://example.com", ok),
        endpoints(ok, ok, "http://example.com"),
    ] {
        match NvidiaClient::new(e, FetchOptions::default()) {
            Err(FetchError::InsecureUrl { url }) => {
                assert!(url.starts_with("http://example.com"), "{url}")
            }
            other => panic!("{other:?}"),
        }
    }
    assert!(NvidiaClient::new(
        endpoints(ok, "http://127.0.0.1:9", "http://localhost:9"),
        FetchOptions::default()
    )
    .is_ok());
    assert!(matches!(
        NvidiaClient::new(endpoints("ftp://x", ok, ok), FetchOptions::default()),
        Err(FetchError::InvalidUrl { .. })
    ));
}
