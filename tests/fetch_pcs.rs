//! Loopback tests of the PCS / PCCS collateral client.
//!
//! A small HTTP/1.1 server (`support/replay_server.rs`: std `TcpListener` on 127.0.0.1, one
//! thread per connection, every response `Connection: close`) replays the Intel PCS responses
//! captured in the shared corpus, or synthetic ones, and records what it was asked. No other
//! network is used.
//!
//! The corpus is the directory named by `TEESCAN_CORPUS` (it must exist when the variable is set),
//! else `../shared/fixtures` next to the crate (the replay test is skipped if that is absent).
#![cfg(feature = "fetch")]

#[path = "support/replay_server.rs"]
mod replay_server;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use replay_server::{Capture, Reply, Server};

use teescan::fetch::pcs::{PckCa, PcsClient, TcbUpdate};
use teescan::fetch::{FetchError, FetchOptions};

const CAPTURE: &str =
    "providers/teep-captures/neardirect_qwen_qwen3.5-122b-a10b_20260629_020637/responses";
const TCB: &str = "0002_api.trustedservices.intel.com_tdx_certification_v4_tcb";
const QE: &str = "0003_api.trustedservices.intel.com_tdx_certification_v4_qe_identity";
const PCKCRL: &str = "0004_api.trustedservices.intel.com_sgx_certification_v4_pckcrl";
const ROOTCRL: &str = "0005_certificates.trustedservices.intel.com_intelsgxrootca.der";

const FMSPC: [u8; 6] = [0x90, 0xc0, 0x6f, 0x00, 0x00, 0x00];
const TCB_PATH: &str = "/tdx/certification/v4/tcb";
const QE_PATH: &str = "/tdx/certification/v4/qe/identity";
const PCK_PATH: &str = "/sgx/certification/v4/pckcrl";
const PCCS_ROOT_PATH: &str = "/sgx/certification/v4/rootcacrl";
const ROOT_PATH: &str = "/IntelSGXRootCA.der";

/// Synthetic 200 answers for the four endpoints, with the issuer-chain headers PCS sends.
fn synthetic(path: &str) -> Reply {
    match path {
        TCB_PATH => Reply::ok("tcb-body").header("TCB-Info-Issuer-Chain", "tcb-chain"),
        QE_PATH => Reply::ok("qe-body").header("SGX-Enclave-Identity-Issuer-Chain", "qe-chain"),
        PCK_PATH => Reply::ok("pck-body").header("SGX-PCK-CRL-Issuer-Chain", "pck-chain"),
        ROOT_PATH | PCCS_ROOT_PATH => Reply::ok("root-body"),
        _ => Reply::status(404),
    }
}

// ---------------------------------------------------------------------------------------------
// The captured corpus.

/// The corpus directory: `TEESCAN_CORPUS` (must exist if set), else `../shared/fixtures` if present.
fn corpus() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("TEESCAN_CORPUS") {
        let dir = PathBuf::from(dir);
        assert!(
            dir.is_dir(),
            "TEESCAN_CORPUS={} is set but is not a directory",
            dir.display()
        );
        return Some(dir);
    }
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/fixtures");
    if dir.is_dir() {
        Some(dir)
    } else {
        eprintln!(
            "skipping: no corpus at {} and TEESCAN_CORPUS unset",
            dir.display()
        );
        None
    }
}

fn opts(timeout_ms: u64, retries: u32, backoff_ms: u64) -> FetchOptions {
    FetchOptions {
        timeout: Duration::from_millis(timeout_ms),
        retries,
        backoff: Duration::from_millis(backoff_ms),
        ..FetchOptions::default()
    }
}

fn client(server: &Server, opts: FetchOptions) -> PcsClient {
    PcsClient::pccs(&server.base, opts)
        .and_then(|c| c.with_root_crl_url(&format!("{}{ROOT_PATH}", server.base)))
        .expect("loopback client")
}

// ---------------------------------------------------------------------------------------------
// Tests.

/// (a) The four captured PCS responses come back byte-identical, from the expected requests, made
/// concurrently.
#[tokio::test]
async fn replays_captured_pcs_responses_concurrently() {
    let Some(corpus) = corpus() else { return };
    let dir = corpus.join(CAPTURE);
    assert!(dir.is_dir(), "capture directory missing: {}", dir.display());
    let (tcb, qe, pck, root) = (
        Capture::load(&dir, TCB),
        Capture::load(&dir, QE),
        Capture::load(&dir, PCKCRL),
        Capture::load(&dir, ROOTCRL),
    );
    assert!(
        tcb.url.contains("fmspc=90c06f000000"),
        "capture is for another FMSPC: {}",
        tcb.url
    );

    const DELAY: Duration = Duration::from_millis(300);
    let replies: HashMap<&str, Reply> = [
        (TCB_PATH, tcb.reply()),
        (QE_PATH, qe.reply()),
        (PCK_PATH, pck.reply()),
        (ROOT_PATH, root.reply()),
    ]
    .into_iter()
    .collect();
    let server = Server::start(move |path, _| {
        replies
            .get(path)
            .cloned()
            .unwrap_or_else(|| Reply::status(404))
            .delayed(DELAY)
    });

    let start = Instant::now();
    let (got, log) = client(&server, FetchOptions::default())
        .tdx_collateral_with_log(FMSPC, PckCa::Platform)
        .await
        .expect("collateral");
    let elapsed = start.elapsed();

    assert_eq!(got.tcb_info, tcb.body);
    assert_eq!(got.qe_identity, qe.body);
    assert_eq!(got.pck_crl, pck.body);
    assert_eq!(got.root_ca_crl, root.body);
    assert_eq!(
        got.tcb_info_issuer_chain,
        tcb.header("TCB-Info-Issuer-Chain")
    );
    assert_eq!(
        got.qe_identity_issuer_chain,
        qe.header("SGX-Enclave-Identity-Issuer-Chain")
    );
    assert_eq!(
        got.pck_crl_issuer_chain,
        pck.header("SGX-PCK-CRL-Issuer-Chain")
    );
    assert!(
        got.tcb_info_issuer_chain
            .starts_with("-----BEGIN%20CERTIFICATE-----"),
        "kept URL-encoded"
    );

    assert_eq!(
        server.targets(),
        vec![
            ROOT_PATH.to_owned(),
            format!("{PCK_PATH}?ca=platform&encoding=der"),
            format!("{QE_PATH}?update=standard"),
            format!("{TCB_PATH}?fmspc=90c06f000000&update=standard"),
        ]
    );
    for (target, ua) in server.state.requests.lock().unwrap().iter() {
        assert_eq!(
            ua,
            concat!("teescan/", env!("CARGO_PKG_VERSION")),
            "{target}"
        );
    }

    // Provenance log: the four exchanges, in order, as received.
    assert_eq!(log.len(), 4);
    let bodies: Vec<&[u8]> = log.iter().map(|f| f.body.as_slice()).collect();
    assert_eq!(
        bodies,
        [&tcb.body[..], &qe.body[..], &pck.body[..], &root.body[..]]
    );
    assert!(log.iter().all(|f| f.status == 200));
    assert_eq!(
        log[0].url,
        format!(
            "{}{TCB_PATH}?fmspc=90c06f000000&update=standard",
            server.base
        )
    );
    assert_eq!(log[3].url, format!("{}{ROOT_PATH}", server.base));
    assert_eq!(
        log[1].header("sgx-enclave-identity-issuer-chain"),
        Some(qe.header("Sgx-Enclave-Identity-Issuer-Chain"))
    );

    // Concurrency: every answer is delayed 300 ms; sequential fetching would take >= 1.2 s and never
    // have two requests at the server at once.
    let max = server.state.max_in_flight.load(Ordering::SeqCst);
    eprintln!("4 fetches with {DELAY:?} server delay each: {elapsed:?}, max in flight {max}");
    assert!(
        max >= 2,
        "requests were not concurrent (max in flight {max})"
    );
    assert!(
        elapsed < DELAY * 4,
        "took {elapsed:?}, not less than the sequential sum"
    );
}

/// (b) 5xx (and 429) are retried with backoff; retries exhausted gives `Status`.
#[tokio::test]
async fn retries_5xx_then_succeeds() {
    let server = Server::start(|path, nth| match (path, nth) {
        (TCB_PATH, 1 | 2) => Reply::status(503),
        (QE_PATH, 1) => Reply::status(429),
        _ => synthetic(path),
    });
    let start = Instant::now();
    let got = client(&server, opts(5_000, 2, 50))
        .tdx_collateral(FMSPC, PckCa::Platform)
        .await
        .expect("succeeds after retries");
    assert_eq!(got.tcb_info, b"tcb-body");
    assert_eq!(got.tcb_info_issuer_chain, "tcb-chain");
    assert_eq!(server.hits(TCB_PATH), 3);
    assert_eq!(server.hits(QE_PATH), 2);
    assert_eq!(server.hits(PCK_PATH), 1);
    assert_eq!(server.hits(ROOT_PATH), 1);
    // Backoff 50 ms then 100 ms before the third TCB attempt.
    assert!(
        start.elapsed() >= Duration::from_millis(150),
        "{:?}",
        start.elapsed()
    );

    // Always 503: retries + 1 attempts, then the status.
    let server = Server::start(|path, _| match path {
        TCB_PATH => Reply::status(503),
        _ => synthetic(path),
    });
    let err = client(&server, opts(5_000, 1, 10))
        .tdx_collateral(FMSPC, PckCa::Platform)
        .await
        .expect_err("keeps failing");
    assert!(
        matches!(&err, FetchError::Status { status: 503, url } if url.contains(TCB_PATH)),
        "{err:?}"
    );
    assert_eq!(server.hits(TCB_PATH), 2);
}

/// (c) A 4xx is final: no retry.
#[tokio::test]
async fn status_404_is_not_retried() {
    let server = Server::start(|path, _| match path {
        PCK_PATH => Reply::status(404),
        _ => synthetic(path),
    });
    let err = client(&server, opts(5_000, 3, 10))
        .tdx_collateral(FMSPC, PckCa::Platform)
        .await
        .expect_err("404");
    assert!(
        matches!(&err, FetchError::Status { status: 404, url } if url.contains("pckcrl?ca=platform&encoding=der")),
        "{err:?}"
    );
    assert_eq!(server.hits(PCK_PATH), 1);
}

/// (d) A server that never answers gives `Timeout` after the configured timeout (retried).
#[tokio::test]
async fn silent_server_times_out() {
    let server = Server::start(|path, _| match path {
        TCB_PATH => Reply::hang(),
        _ => synthetic(path),
    });
    let start = Instant::now();
    let err = client(&server, opts(300, 1, 50))
        .tdx_collateral(FMSPC, PckCa::Platform)
        .await
        .expect_err("timeout");
    let elapsed = start.elapsed();
    assert!(
        matches!(&err, FetchError::Timeout { url } if url.contains(TCB_PATH)),
        "{err:?}"
    );
    // Two attempts of 300 ms plus 50 ms backoff; generous upper bound.
    assert!(elapsed >= Duration::from_millis(600), "{elapsed:?}");
    assert!(elapsed < Duration::from_secs(4), "{elapsed:?}");
    assert_eq!(server.hits(TCB_PATH), 2, "a timeout is retried");
}

/// (e) Plain http to a non-loopback host is refused before any connection.
#[test]
fn insecure_url_is_refused() {
    let err = PcsClient::pccs("http://example.com", FetchOptions::default()).expect_err("insecure");
    assert!(
        matches!(&err, FetchError::InsecureUrl { url } if url.starts_with("http://example.com")),
        "{err:?}"
    );
    let err = PcsClient::intel(FetchOptions::default())
        .expect("intel client")
        .with_root_crl_url("http://example.com/IntelSGXRootCA.der")
        .expect_err("insecure");
    assert!(matches!(err, FetchError::InsecureUrl { .. }), "{err:?}");
    // Loopback http is fine.
    assert!(PcsClient::pccs("http://localhost:8081", FetchOptions::default()).is_ok());
    assert!(PcsClient::pccs("http://[::1]:8081", FetchOptions::default()).is_ok());
}

/// (f) Bodies beyond `max_body_bytes` fail, whether announced by Content-Length or not.
#[tokio::test]
async fn oversized_body_is_rejected() {
    const LIMIT: usize = 1024;
    let small = FetchOptions {
        max_body_bytes: LIMIT,
        ..opts(5_000, 2, 10)
    };
    // Announced by Content-Length.
    let server = Server::start(|path, _| match path {
        TCB_PATH => Reply::ok(vec![b'x'; 64 * 1024]).header("TCB-Info-Issuer-Chain", "c"),
        _ => synthetic(path),
    });
    let err = client(&server, small.clone())
        .tdx_collateral(FMSPC, PckCa::Platform)
        .await
        .expect_err("too large");
    assert!(
        matches!(&err, FetchError::BodyTooLarge { limit: LIMIT, url } if url.contains(TCB_PATH)),
        "{err:?}"
    );
    assert_eq!(server.hits(TCB_PATH), 1, "not retried");

    // No Content-Length: the streamed read stops past the limit.
    let server = Server::start(|path, _| match path {
        ROOT_PATH => Reply {
            content_length: false,
            ..Reply::ok(vec![b'x'; 64 * 1024])
        },
        _ => synthetic(path),
    });
    let err = client(&server, small.clone())
        .tdx_collateral(FMSPC, PckCa::Platform)
        .await
        .expect_err("too large");
    assert!(
        matches!(&err, FetchError::BodyTooLarge { limit: LIMIT, url } if url.ends_with(ROOT_PATH)),
        "{err:?}"
    );

    // Exactly the limit, streamed, is accepted.
    let server = Server::start(|path, _| match path {
        ROOT_PATH => Reply {
            content_length: false,
            ..Reply::ok(vec![b'y'; LIMIT])
        },
        _ => synthetic(path),
    });
    let got = client(&server, small)
        .tdx_collateral(FMSPC, PckCa::Platform)
        .await
        .expect("at the limit");
    assert_eq!(got.root_ca_crl, vec![b'y'; LIMIT]);
}

/// (g) A response without its issuer-chain header fails with `MissingHeader`.
#[tokio::test]
async fn missing_issuer_chain_header() {
    let server = Server::start(|path, _| match path {
        TCB_PATH => Reply::ok("tcb-body"),
        _ => synthetic(path),
    });
    let err = client(&server, opts(5_000, 2, 10))
        .tdx_collateral(FMSPC, PckCa::Platform)
        .await
        .expect_err("missing");
    assert!(
        matches!(&err, FetchError::MissingHeader { header: "TCB-Info-Issuer-Chain", url } if url.contains(TCB_PATH)),
        "{err:?}"
    );

    let server = Server::start(|path, _| match path {
        PCK_PATH => Reply::ok("pck-body"),
        _ => synthetic(path),
    });
    let err = client(&server, opts(5_000, 2, 10))
        .tdx_collateral(FMSPC, PckCa::Platform)
        .await
        .expect_err("missing");
    assert!(
        matches!(
            &err,
            FetchError::MissingHeader {
                header: "SGX-PCK-CRL-Issuer-Chain",
                ..
            }
        ),
        "{err:?}"
    );
}

/// PCCS defaults and query variants: root CA CRL from `{base}/sgx/certification/v4/rootcacrl`,
/// `update=early`, `ca=processor`, and the `SGX-TCB-Info-Issuer-Chain` spelling (any case).
#[tokio::test]
async fn pccs_root_crl_and_query_variants() {
    let server = Server::start(|path, _| match path {
        TCB_PATH => Reply::ok("tcb-body").header("sgx-tcb-info-issuer-chain", "old-style-chain"),
        _ => synthetic(path),
    });
    let got = PcsClient::pccs(&format!("{}/", server.base), opts(5_000, 0, 10))
        .expect("client")
        .with_update(TcbUpdate::Early)
        .tdx_collateral([0xAB, 0xCD, 0xEF, 0x01, 0x02, 0x03], PckCa::Processor)
        .await
        .expect("collateral");
    assert_eq!(got.tcb_info_issuer_chain, "old-style-chain");
    assert_eq!(got.root_ca_crl, b"root-body");
    assert_eq!(
        server.targets(),
        vec![
            format!("{PCK_PATH}?ca=processor&encoding=der"),
            PCCS_ROOT_PATH.to_owned(),
            format!("{QE_PATH}?update=early"),
            format!("{TCB_PATH}?fmspc=abcdef010203&update=early"),
        ]
    );
}
