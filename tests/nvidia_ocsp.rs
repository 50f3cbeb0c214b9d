//! OCSP verification against NVIDIA's 7 real responses (`nvidia/nvtrust-sample-h100/ocsp/`),
//! the device chain they cover and the RIM chains embedded in the sample RIM XMLs.
//!
//! A `revoked` response cannot be made here: it would need NVIDIA's responder key. The status
//! mapping of revoked/unknown structures, and every path that needs a response signed by a key
//! we hold, are unit-tested with a synthetic PKI in `src/nvidia/ocsp.rs`.

#[path = "support/corpus.rs"]
mod corpus;

use std::path::Path;

use teescan::nvidia::ocsp::{
    cert_serial, decode_response, response_serials, verify_ocsp, verify_ocsp_with, CertStatus,
    OcspError, OcspOptions, MAX_RESPONSE_LEN,
};
use teescan::pki::TrustAnchor;
use teescan::time::Timestamp;

const DIR: &str = "nvidia/nvtrust-sample-h100";
const DEVICE_AT: &str = "2025-08-21T12:00:00Z";
const RIM_AT: &str = "2025-10-24T12:00:00Z";

fn ts(s: &str) -> Timestamp {
    Timestamp::parse_rfc3339(s).unwrap()
}

/// `<ds:X509Certificate>` contents of a RIM XML, in document order (plain string search).
fn xml_certs(xml: &str) -> Vec<Vec<u8>> {
    use base64::Engine as _;
    let (open, close) = ("<ds:X509Certificate>", "</ds:X509Certificate>");
    let mut out = Vec::new();
    let mut rest = xml;
    while let Some(start) = rest.find(open) {
        let after = &rest[start + open.len()..];
        let end = after.find(close).expect("closing X509Certificate");
        let b64: String = after[..end]
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect();
        out.push(
            base64::engine::general_purpose::STANDARD
                .decode(b64)
                .unwrap(),
        );
        rest = &after[end + close.len()..];
    }
    out
}

/// One of the 7 corpus responses with the certificate it covers and that certificate's issuer.
struct Case {
    file: &'static str,
    der: Vec<u8>,
    b64: Vec<u8>,
    cert: Vec<u8>,
    issuer: Vec<u8>,
    at: Timestamp,
}

struct Corpus {
    device: Vec<Vec<u8>>,
    driver: Vec<Vec<u8>>,
    vbios: Vec<Vec<u8>>,
    cases: Vec<Case>,
}

/// (file, chain, index of the covered certificate in that chain). The issuer is the next one.
const MAP: [(&str, &str, usize); 7] = [
    ("test_gpu_certificate_l4.ocsp.b64", "device", 1), // GH100 A01 GSP BROM
    ("test_gpu_certificate_l3.ocsp.b64", "device", 2), // NVIDIA GH100 Provisioner ICA 1
    ("test_gpu_certificate_l2.ocsp.b64", "device", 3), // NVIDIA GH100 Identity
    ("test_gpu_driver_rim_l4.ocsp.b64", "driver", 0),  // HCC RIM L4 Signer (driver RIM)
    ("test_gpu_vbios_l4.ocsp.b64", "vbios", 0),        // HCC RIM L4 Signer (VBIOS RIM)
    ("test_gpu_driver_rim_l3.ocsp.b64", "driver", 1),  // NVIDIA Reference Value L3 GH100 002
    ("test_gpu_rim_l2.ocsp.b64", "driver", 2),         // NVIDIA Reference Value GH100 CA
];

fn load(root: &Path) -> Corpus {
    let pem_text = corpus::read(root, &format!("{DIR}/device_cert_chain.pem"));
    let device: Vec<Vec<u8>> = pem::parse_many(&pem_text)
        .unwrap()
        .into_iter()
        .map(pem::Pem::into_contents)
        .collect();
    assert_eq!(device.len(), 5);
    let read_xml =
        |name: &str| String::from_utf8(corpus::read(root, &format!("{DIR}/{name}"))).unwrap();
    let driver = xml_certs(&read_xml("NV_GPU_DRIVER_GH100_550.90.07.xml"));
    let vbios = xml_certs(&read_xml("NV_GPU_VBIOS_1010_0200_882_96009F0001.xml"));
    assert_eq!((driver.len(), vbios.len()), (4, 4));
    // The chains' own roots are NVIDIA's pinned roots; L3/L2 are shared by both RIM chains.
    assert_eq!(device[4], TrustAnchor::nvidia_device_identity_ca().der());
    assert_eq!(driver[3], TrustAnchor::nvidia_corim_root_ca().der());
    assert_eq!(driver[1..], vbios[1..]);

    let chain = |name: &str| -> &Vec<Vec<u8>> {
        match name {
            "device" => &device,
            "driver" => &driver,
            _ => &vbios,
        }
    };
    let mut cases = Vec::new();
    for (file, chain_name, idx) in MAP {
        let b64 = corpus::read(root, &format!("{DIR}/ocsp/{file}"));
        let der = decode_response(&b64).unwrap();
        let c = chain(chain_name);
        let (cert, issuer) = (c[idx].clone(), c[idx + 1].clone());
        // The mapping is by CertID serial, not by file name.
        assert_eq!(
            response_serials(&der).unwrap(),
            vec![cert_serial(&cert).unwrap()],
            "{file}"
        );
        let at = ts(if chain_name == "device" {
            DEVICE_AT
        } else {
            RIM_AT
        });
        cases.push(Case {
            file,
            der,
            b64,
            cert,
            issuer,
            at,
        });
    }
    Corpus {
        device: device.clone(),
        driver: driver.clone(),
        vbios: vbios.clone(),
        cases,
    }
}

fn corpus() -> Option<Corpus> {
    corpus::root().map(|r| load(&r))
}

#[test]
fn all_seven_real_responses_verify_good_at_their_pinned_times() {
    let Some(c) = corpus() else { return };
    let mut responders = Vec::new();
    for case in &c.cases {
        let t0 = std::time::Instant::now();
        let r = verify_ocsp(&case.der, &case.cert, &case.issuer, case.at)
            .unwrap_or_else(|e| panic!("{}: {e}", case.file));
        let took = t0.elapsed();
        eprintln!(
            "{}: {} serial {} by {:?} thisUpdate {} ({} µs)",
            case.file,
            r.status.as_str(),
            hex::encode(&r.serial),
            r.responder,
            r.this_update,
            took.as_micros()
        );
        assert_eq!(r.status, CertStatus::Good, "{}", case.file);
        assert!(!r.signed_by_issuer, "NVIDIA uses delegated responders");
        assert!(
            r.responder.contains("NVIDIA OCSP Responder"),
            "{}",
            r.responder
        );
        assert_eq!(r.serial, cert_serial(&case.cert).unwrap());
        assert_eq!(r.nonce, None);
        let next = r.next_update.expect("NVIDIA sets nextUpdate");
        assert_eq!(
            next.unix() - r.this_update.unix(),
            24 * 3600,
            "24 h validity"
        );
        assert!(r.this_update <= case.at && case.at <= next);
        assert_eq!(r.produced_at, r.this_update);
        assert_eq!(r.sha256.len(), 64);
        responders.push(r.responder);
    }
    // One delegated responder per CA level; both RIM L4 signers share the L3 responder.
    assert!(responders[0].contains("L3 GH100 ICA1 Identity"));
    assert!(responders[1].contains("L2 GH100 Identity"));
    assert!(responders[2].contains("L1-A 02"));
    assert_eq!(responders[3], responders[4]);
    assert!(responders[3].contains("L3 GH100 002"));
    assert!(responders[5].contains("L2 Reference Value GH100"));
    assert!(responders[6].contains("L1 CoRIM Root"));
}

#[test]
fn base64_and_der_are_both_accepted() {
    let Some(c) = corpus() else { return };
    for case in &c.cases {
        assert_eq!(decode_response(&case.der).unwrap(), case.der);
        assert_eq!(decode_response(&case.b64).unwrap(), case.der);
        let from_b64 = verify_ocsp(&case.b64, &case.cert, &case.issuer, case.at).unwrap();
        let from_der = verify_ocsp(&case.der, &case.cert, &case.issuer, case.at).unwrap();
        assert_eq!(from_b64, from_der, "the digest is of the DER either way");
    }
    assert!(matches!(
        decode_response(b"not base64 !!"),
        Err(OcspError::Encoding { .. })
    ));
    assert!(matches!(
        decode_response(b""),
        Err(OcspError::Encoding { .. })
    ));
    assert!(
        matches!(decode_response(b"AAAA"), Err(OcspError::Encoding { .. })),
        "base64 of non-DER"
    );
}

#[test]
fn outside_this_update_next_update_is_rejected() {
    let Some(c) = corpus() else { return };
    for case in &c.cases {
        let device = case.at == ts(DEVICE_AT);
        let (late, early) = if device {
            (ts("2025-08-23T12:00:00Z"), ts("2025-08-20T12:00:00Z"))
        } else {
            (ts("2025-10-26T12:00:00Z"), ts("2025-10-23T12:00:00Z"))
        };
        for at in [late, early] {
            match verify_ocsp(&case.der, &case.cert, &case.issuer, at) {
                Err(OcspError::OutsideValidity {
                    this_update,
                    next_update,
                    at: got,
                }) => {
                    assert_eq!(got, at);
                    let next = next_update.unwrap();
                    assert!(at < this_update || at > next, "{}", case.file);
                }
                other => panic!("{} at {at}: {other:?}", case.file),
            }
        }
        // Boundaries are inclusive, one second past is not.
        let r = verify_ocsp(&case.der, &case.cert, &case.issuer, case.at).unwrap();
        let next = r.next_update.unwrap();
        assert!(verify_ocsp(&case.der, &case.cert, &case.issuer, r.this_update).is_ok());
        assert!(verify_ocsp(&case.der, &case.cert, &case.issuer, next).is_ok());
        let before = Timestamp::from_unix(r.this_update.unix() - 1);
        let after = Timestamp::from_unix(next.unix() + 1);
        for at in [before, after] {
            assert!(matches!(
                verify_ocsp(&case.der, &case.cert, &case.issuer, at),
                Err(OcspError::OutsideValidity { .. })
            ));
        }
    }
}

#[test]
fn wrong_certificate_is_a_serial_mismatch() {
    let Some(c) = corpus() else { return };
    // The BROM response, checked for the Provisioner ICA (with the ICA's real issuer).
    let brom = &c.cases[0];
    let err = verify_ocsp(&brom.der, &c.device[2], &c.device[3], brom.at).unwrap_err();
    match err {
        OcspError::SerialMismatch { expected, found } => {
            assert_eq!(expected, hex::encode(cert_serial(&c.device[2]).unwrap()));
            assert_eq!(found, vec!["41431d480fe5e87274".to_owned()]);
        }
        other => panic!("{other:?}"),
    }
    // The driver RIM signer's response for the VBIOS RIM signer (same issuer, other serial).
    let drv = &c.cases[3];
    assert!(matches!(
        verify_ocsp(&drv.der, &c.vbios[0], &c.vbios[1], drv.at),
        Err(OcspError::SerialMismatch { .. })
    ));
}

#[test]
fn wrong_issuer_is_an_issuer_mismatch() {
    let Some(c) = corpus() else { return };
    for (case, wrong_issuer) in [
        (&c.cases[0], &c.device[3]), // BROM with GH100 Identity
        (
            &c.cases[2],
            &TrustAnchor::nvidia_corim_root_ca().der().to_vec(),
        ), // Identity with CoRIM root
        (&c.cases[3], &c.driver[2]), // RIM L4 with the GH100 CA
    ] {
        match verify_ocsp(&case.der, &case.cert, wrong_issuer, case.at) {
            Err(OcspError::IssuerMismatch {
                field,
                expected,
                found,
            }) => {
                assert_eq!(field, "issuerNameHash", "{}", case.file);
                assert_ne!(expected, found);
                assert_eq!(found.len(), 96, "SHA-384 CertID");
            }
            other => panic!("{}: {other:?}", case.file),
        }
    }
}

/// Offset of the response's signature BIT STRING contents (after the unused-bits byte): the
/// first `03 L 00 30 L-3` with an ECDSA-P384-sized L (the responder certificate's signature
/// comes later in the encoding).
fn signature_offset(der: &[u8]) -> usize {
    (0..der.len() - 5)
        .find(|&i| {
            der[i] == 0x03
                && (0x66..=0x6a).contains(&der[i + 1])
                && der[i + 2] == 0x00
                && der[i + 3] == 0x30
                && der[i + 4] == der[i + 1] - 3
        })
        .expect("signature BIT STRING")
        + 3
}

#[test]
fn flipped_signature_byte_is_a_signature_error() {
    let Some(c) = corpus() else { return };
    for case in &c.cases {
        let off = signature_offset(&case.der);
        // Inside r (skip SEQUENCE / INTEGER headers and a possible leading zero).
        let mut bad = case.der.clone();
        bad[off + 10] ^= 0x01;
        match verify_ocsp(&bad, &case.cert, &case.issuer, case.at) {
            Err(OcspError::BadSignature { signer }) => {
                assert!(signer.contains("NVIDIA OCSP Responder"))
            }
            other => panic!("{}: {other:?}", case.file),
        }
        // And inside s, from the end of the signature.
        let sig_len = usize::from(case.der[off - 2]) - 1;
        let mut bad = case.der.clone();
        bad[off + sig_len - 3] ^= 0x80;
        assert!(matches!(
            verify_ocsp(&bad, &case.cert, &case.issuer, case.at),
            Err(OcspError::BadSignature { .. })
        ));
    }
}

#[test]
fn flipped_tbs_byte_is_a_signature_error() {
    let Some(c) = corpus() else { return };
    for case in &c.cases {
        // The seconds digit of producedAt (the first GeneralizedTime in tbsResponseData): the
        // response still parses and matches, only the signature can catch it.
        let pos = (0..case.der.len() - 17)
            .find(|&i| {
                case.der[i] == 0x18 && case.der[i + 1] == 0x0f && case.der[i + 2..i + 4] == *b"20"
            })
            .expect("producedAt");
        let mut bad = case.der.clone();
        bad[pos + 2 + 13] ^= 0x01; // "…SS" last digit, still a valid time
        match verify_ocsp(&bad, &case.cert, &case.issuer, case.at) {
            Err(OcspError::BadSignature { .. }) => {}
            other => panic!("{}: {other:?}", case.file),
        }
    }
}

#[test]
fn every_single_byte_flip_is_rejected() {
    let Some(c) = corpus() else { return };
    let case = &c.cases[0];
    let mut kinds = std::collections::BTreeMap::<String, usize>::new();
    for i in 0..case.der.len() {
        let mut bad = case.der.clone();
        bad[i] ^= 0x01;
        match verify_ocsp(&bad, &case.cert, &case.issuer, case.at) {
            Ok(r) => panic!("flip at {i} verified: {r:?}"),
            Err(e) => {
                let k = format!("{e:?}");
                *kinds
                    .entry(k.split([' ', '{', '(']).next().unwrap().to_owned())
                    .or_default() += 1;
            }
        }
    }
    eprintln!("{} flips of {}: {kinds:?}", case.der.len(), case.file);
}

#[test]
fn unsuccessful_response_status_is_an_error() {
    // OCSPResponse { responseStatus malformedRequest(1) }, no responseBytes.
    let resp = [0x30, 0x03, 0x0a, 0x01, 0x01];
    let Some(c) = corpus() else {
        assert!(decode_response(&resp).is_ok());
        return;
    };
    let case = &c.cases[0];
    assert_eq!(
        verify_ocsp(&resp, &case.cert, &case.issuer, case.at),
        Err(OcspError::ResponseStatus {
            status: 1,
            name: "malformedRequest"
        })
    );
    for (status, name) in [
        (2u8, "internalError"),
        (3, "tryLater"),
        (5, "sigRequired"),
        (6, "unauthorized"),
        (4, "undefined"),
    ] {
        let resp = [0x30, 0x03, 0x0a, 0x01, status];
        assert_eq!(
            verify_ocsp(&resp, &case.cert, &case.issuer, case.at),
            Err(OcspError::ResponseStatus {
                status: u32::from(status),
                name
            })
        );
    }
    // successful without responseBytes.
    assert_eq!(
        verify_ocsp(
            &[0x30, 0x03, 0x0a, 0x01, 0x00],
            &case.cert,
            &case.issuer,
            case.at
        ),
        Err(OcspError::MissingResponseBytes)
    );
    // Not an ENUMERATED.
    assert!(matches!(
        verify_ocsp(
            &[0x30, 0x03, 0x02, 0x01, 0x00],
            &case.cert,
            &case.issuer,
            case.at
        ),
        Err(OcspError::Malformed { .. })
    ));
}

#[test]
fn truncated_or_extended_der_is_an_error_never_a_panic() {
    let Some(c) = corpus() else { return };
    for case in &c.cases {
        for len in 0..case.der.len() {
            let r = verify_ocsp(&case.der[..len], &case.cert, &case.issuer, case.at);
            assert!(r.is_err(), "{} truncated to {len} verified", case.file);
        }
        let mut trailing = case.der.clone();
        trailing.push(0x00);
        assert!(matches!(
            verify_ocsp(&trailing, &case.cert, &case.issuer, case.at),
            Err(OcspError::Malformed {
                what: "OCSPResponse",
                ..
            })
        ));
    }
    let mut huge = vec![0x30u8; MAX_RESPONSE_LEN + 1];
    huge[1] = 0x83;
    let case = &c.cases[0];
    assert!(matches!(
        verify_ocsp(&huge, &case.cert, &case.issuer, case.at),
        Err(OcspError::TooLarge { .. })
    ));
    // Garbage certificates are reported as such.
    assert!(matches!(
        verify_ocsp(&case.der, b"junk", &case.issuer, case.at),
        Err(OcspError::BadCertificate {
            which: "certificate",
            ..
        })
    ));
}

#[test]
fn expected_nonce_is_enforced() {
    let Some(c) = corpus() else { return };
    let case = &c.cases[0];
    let opts = OcspOptions {
        expected_nonce: Some(vec![1, 2, 3]),
        ..OcspOptions::default()
    };
    assert_eq!(
        verify_ocsp_with(&case.der, &case.cert, &case.issuer, case.at, &opts),
        Err(OcspError::NonceMismatch {
            expected: "010203".to_owned(),
            found: None
        })
    );
}

#[test]
fn the_leaf_and_the_root_have_no_response_here() {
    // NVIDIA checks device indices 1..3 and RIM indices 0..2: no response covers the per-boot
    // leaf or a root.
    let Some(c) = corpus() else { return };
    let covered: Vec<Vec<u8>> = c
        .cases
        .iter()
        .map(|k| cert_serial(&k.cert).unwrap())
        .collect();
    for never in [&c.device[0], &c.device[4], &c.driver[3]] {
        assert!(!covered.contains(&cert_serial(never).unwrap()));
    }
}
