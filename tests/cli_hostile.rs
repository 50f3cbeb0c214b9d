//! Hostile input through the `teescan` binary: every case must end with exit 2 (malformed input)
//! or 1 (parses but fails), a one-line reason, no panic, within a time bound and (where `prlimit`
//! exists) under a 2 GiB address-space limit. Every run passes `--offline` and `--at`, so no
//! network is touched.
//!
//! | case | test | exit |
//! |---|---|---|
//! | empty file | `empty_file` | 2 |
//! | binary garbage | `binary_garbage` | 2 |
//! | a 1 GB (sparse) file | `one_gigabyte_file_is_refused_unread` | 2 |
//! | deeply nested JSON | `deeply_nested_json` | 2 |
//! | duplicate JSON keys | `duplicate_keys_in_a_provider_report_are_refused`, `duplicate_nested_key_in_a_tinfoil_report_is_refused` | 2 |
//! | non-UTF-8 text | `non_utf8_text` | 2 |
//! | hex with odd length | `odd_length_hex` | 2 |
//! | base64 with junk | `base64_with_junk` | 2 |
//! | quote lengths past the end | `quote_lengths_pointing_past_the_end` | 2 |
//! | 1,000-certificate chain | `thousand_certificate_chain` | 2 (over the 16-certificate limit; 5 of them: 1) |
//! | JWKS with 10,000 keys | `jwks_with_ten_thousand_keys` | 1 (2 for a 24 MB JWKS: over the 4 MiB file limit) |
//! | FIFO / escaping symlink in a bundle's `exchanges/` | `fifo_or_escaping_symlink_in_a_bundle_is_refused_unopened` | 2 |
//! | FIFO in a `--collateral` capture directory | `fifo_in_a_collateral_capture_dir_is_refused_unopened` | 2 |
//! | 1,024 bundle entries naming one 8 MiB body; one 20 MiB body | `bundle_bodies_are_bounded_each_and_in_total` | 2 |
#![cfg(feature = "cli")]

#[path = "support/cli.rs"]
mod cli;
#[path = "support/corpus.rs"]
mod corpus;

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use cli::{crate_dir, scratch, Run};

use base64::Engine as _;

const AT: &str = "2026-07-01T00:00:00Z";
const TESTPKI_AT: &str = "2026-01-15T00:00:00Z";
/// Generous: a debug build on a loaded 2-core machine. A hang or a quadratic blow-up still trips it.
const TIME_LIMIT: Duration = Duration::from_secs(60);
/// Address-space limit for each run (debug binary, glibc arenas included).
const AS_LIMIT: u64 = 2_147_483_648;

/// Run `teescan ARGS` with [`TIME_LIMIT`] and, where `prlimit` is available, [`AS_LIMIT`].
fn teescan<I, S>(args: I) -> Run
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    teescan_with_stdin(args, None)
}

/// [`teescan`] with `stdin` written to the child's standard input.
fn teescan_with_stdin<I, S>(args: I, stdin: Option<Vec<u8>>) -> Run
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    cli::teescan_with(args, cli::Options { stdin, memory_limit: Some(AS_LIMIT), time_limit: Some(TIME_LIMIT), dir: None })
}

impl Run {
    /// Exit 2 with exactly one error line on stderr, `teescan: error[CODE]: …`, mentioning
    /// `needle` (the test-root warning of `--danger-trust-test-root` aside).
    fn assert_input_error(&self, needle: &str) -> &Self {
        assert_eq!(self.code, 2, "{}", self.context());
        let lines: Vec<&str> = self
            .stderr
            .lines()
            .filter(|l| !l.trim().is_empty() && !l.starts_with("teescan: warning: trusting a TEST root"))
            .collect();
        assert_eq!(lines.len(), 1, "one line on stderr:\n{}", self.context());
        assert!(lines[0].starts_with("teescan: error["), "{}", self.context());
        assert!(
            lines[0].to_lowercase().contains(&needle.to_lowercase()),
            "stderr should mention {needle:?}:\n{}",
            self.context()
        );
        assert!(self.stdout.is_empty(), "nothing on stdout for an input error:\n{}", self.context());
        self
    }
    /// Exit 1 with the failing check named on stdout (the table's `FAIL` line).
    fn assert_fails(&self, check: &str) -> &Self {
        assert_eq!(self.code, 1, "{}", self.context());
        assert!(self.has_line("FAIL", check), "a failing {check} line on stdout:\n{}", self.context());
        self
    }
    /// A table line with this status (`pass`, `FAIL`, …) for a check id containing `check`.
    fn has_line(&self, status: &str, check: &str) -> bool {
        self.stdout.lines().any(|l| l.trim_start().starts_with(status) && l.contains(check))
    }
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> String {
    let p = dir.join(name);
    std::fs::write(&p, bytes).expect("write scratch file");
    p.to_string_lossy().into_owned()
}

/// `scan FILE --offline --at AT`.
fn scan_file(path: &str) -> Run {
    teescan(["scan", path, "--offline", "--at", AT])
}

/// A small deterministic byte generator (xorshift), so garbage is reproducible.
fn garbage(len: usize, mut seed: u64) -> Vec<u8> {
    (0..len)
        .map(|_| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed >> 24) as u8
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------

#[test]
fn empty_file() {
    let d = scratch("empty");
    scan_file(&write(&d, "empty.bin", b"")).assert_input_error("empty");
    scan_file(&write(&d, "blank.txt", b"  \n\t\n")).assert_input_error("whitespace");
}

#[test]
fn binary_garbage() {
    let d = scratch("garbage");
    for seed in [1u64, 2, 3, 0xdead_beef] {
        let mut bytes = garbage(64 * 1024, seed);
        bytes[0] = 0xff; // not a quote version, not text
        scan_file(&write(&d, &format!("g{seed}.bin"), &bytes)).assert_input_error("not a TDX quote");
    }
    // Garbage after a valid-looking quote header start: the parser, not the decoder, refuses it.
    let mut bytes = garbage(4096, 7);
    bytes[..4].copy_from_slice(&[4, 0, 2, 0]);
    scan_file(&write(&d, "v4garbage.bin", &bytes)).assert_input_error("quote");
}

#[test]
fn one_gigabyte_file_is_refused_unread() {
    let d = scratch("huge");
    let path = d.join("huge.bin");
    let f = std::fs::File::create(&path).expect("create");
    f.set_len(1 << 30).expect("sparse 1 GiB");
    drop(f);
    let p = path.to_string_lossy().into_owned();
    let r = scan_file(&p);
    r.assert_input_error("larger than");
    assert!(r.elapsed < Duration::from_secs(10), "the bounded read must not read 1 GB: {:?}", r.elapsed);
    // The same file as every other file argument.
    let r = teescan(["scan", "fixtures/testpki/quote.bin", "--collateral", &p, "--offline", "--at", AT]);
    r.assert_input_error("larger than");
    let r = teescan(["scan", "fixtures/testpki/quote.bin", "--policy", &p, "--offline", "--at", AT]);
    r.assert_input_error("larger than");
    let r = teescan(["policy", "lint", &p]);
    r.assert_input_error("larger than");
    std::fs::remove_file(&path).ok();
    // Standard input is bounded the same way: 5 MiB piped in.
    let r = teescan_with_stdin(["scan", "-", "--offline", "--at", AT], Some(vec![b'0'; 5 << 20]));
    r.assert_input_error("larger than");
}

#[test]
fn deeply_nested_json() {
    let d = scratch("nested");
    let depth = 100_000;
    // An object nest (taken for a provider report) and an array nest (taken for GPU evidence).
    let obj = format!("{}1{}", "{\"a\":".repeat(depth), "}".repeat(depth));
    scan_file(&write(&d, "obj.json", obj.as_bytes())).assert_input_error("recursion limit");
    let arr = format!("{}{}", "[".repeat(depth), "]".repeat(depth));
    scan_file(&write(&d, "arr.json", arr.as_bytes())).assert_input_error("json");
    // Unterminated.
    scan_file(&write(&d, "open.json", "[".repeat(depth).as_bytes())).assert_input_error("json");
    // As a policy, collateral, and GPU evidence file.
    let p = write(&d, "obj2.json", obj.as_bytes());
    teescan(["scan", "fixtures/testpki/quote.bin", "--policy", &p, "--offline", "--at", AT]).assert_input_error("policy");
    teescan(["scan", "fixtures/testpki/quote.bin", "--collateral", &p, "--offline", "--at", AT]).assert_input_error("collateral");
    teescan(["scan", "fixtures/testpki/quote.bin", "--gpu-evidence", &p, "--offline", "--at", AT]).assert_input_error("json");
}

/// The NEAR direct capture of the README: its scan passes; a second `request_nonce`,
/// `intel_quote`, `signing_address` or `tls_cert_fingerprint` key (before or after the real one,
/// so that either copy would be the one serde_json keeps) is refused as malformed input.
#[test]
fn duplicate_keys_in_a_provider_report_are_refused() {
    let Some(root) = corpus::root() else { return };
    let t = root.join("providers/teep-captures/neardirect_qwen_qwen3.5-122b-a10b_20260629_020637");
    let body_path = t.join("responses/0001_qwen35-122b.completions.near.ai_v1_attestation_report.body");
    let body = std::fs::read_to_string(&body_path).expect("report");
    let td = t.to_string_lossy().into_owned();
    let nras = t.join("responses/0006_nras.attestation.nvidia.com_v3_attest_gpu.body").to_string_lossy().into_owned();
    let jwks = t.join("responses/0007_nras.attestation.nvidia.com_.well-known_jwks.json.body").to_string_lossy().into_owned();
    let nonce = "541b6523f9446dcd170e67ac8171eb9226bee5e3f192de4900b74f0ef293500b";
    let run = |path: &str| {
        teescan([
            "scan", path, "--collateral", &td, "--nras", &nras, "--jwks", &jwks, "--nonce", nonce,
            "--at", "2026-06-29T02:06:40Z", "--policy", "policies/nearai.toml", "--offline",
        ])
    };
    // Control: the genuine report passes, so a refusal below is the duplicate's doing.
    let r = run(&body_path.to_string_lossy());
    assert_eq!(r.code, 0, "{}", r.context());

    let v: serde_json::Value = serde_json::from_str(&body).expect("json");
    let d = scratch("dupkeys");
    let inner = body.trim().strip_prefix('{').and_then(|s| s.strip_suffix('}')).expect("an object");
    for key in ["request_nonce", "intel_quote", "signing_address", "tls_cert_fingerprint", "nvidia_payload", "event_log"] {
        let original = serde_json::to_string(&v[key]).expect("value");
        // A different value of the same type (hex digits changed or a different string).
        let other = serde_json::to_string(&serde_json::Value::String("00".repeat(32))).expect("other");
        for (label, doc) in [
            ("first", format!("{{\"{key}\":{other},{inner}}}")),
            ("last", format!("{{{inner},\"{key}\":{other}}}")),
            ("same-value", format!("{{{inner},\"{key}\":{original}}}")),
        ] {
            let p = write(&d, &format!("{key}-{label}.json"), doc.as_bytes());
            run(&p).assert_input_error("duplicate key");
        }
    }
}

/// Tinfoil v3 binds `report_data.nonce` (nested): a second `nonce` inside `report_data` is
/// refused too, and the genuine report is not.
#[test]
fn duplicate_nested_key_in_a_tinfoil_report_is_refused() {
    let Some(root) = corpus::root() else { return };
    let t = root.join("providers/teep-captures/tinfoil_v3_direct_gemma4-31b_20260629_021304");
    let body_path = t.join("responses/0002_gemma4-31b-1.inf10.tinfoil.sh_.well-known_tinfoil-attestation.body");
    let body = std::fs::read_to_string(&body_path).expect("report");
    let coll = root
        .join("tdx/derived/teep/tinfoil_v3_direct_gemma4-31b_20260629_021304/collateral.json")
        .to_string_lossy()
        .into_owned();
    let nonce = "1b63be880a57c6cb2ea2191157e35bdc0de416d3b9e4b5b17423b12f8553d633";
    let run = |path: &str| teescan(["scan", path, "--collateral", &coll, "--nonce", nonce, "--at", "2026-06-29T02:13:30Z", "--offline"]);
    let r = run(&body_path.to_string_lossy());
    assert_ne!(r.code, 2, "the genuine report is well-formed: {}", r.context());
    let needle = "\"report_data\":{";
    let at = body.find(needle).expect("report_data object") + needle.len();
    let forged = format!("{}\"nonce\":\"{}\",{}", &body[..at], "00".repeat(32), &body[at..]);
    let d = scratch("dupnested");
    run(&write(&d, "tinfoil.json", forged.as_bytes())).assert_input_error("duplicate key \"nonce\"");
}

#[test]
fn non_utf8_text() {
    let d = scratch("nonutf8");
    // Looks like text (starts with a printable byte) but is not UTF-8.
    let mut bytes = b"0400".to_vec();
    bytes.extend_from_slice(&[0xc3, 0x28, 0xa0, 0xa1, 0xff, 0xfe]);
    scan_file(&write(&d, "a.txt", &bytes)).assert_input_error("not a TDX quote");
    // A UTF-16 BOM'd hex file.
    let utf16: Vec<u8> = "0400".encode_utf16().flat_map(u16::to_le_bytes).collect();
    scan_file(&write(&d, "b.txt", &[&[0xff, 0xfe][..], &utf16].concat())).assert_input_error("not a TDX quote");
    // Invalid UTF-8 inside a JSON string.
    let mut json = b"{\"intel_quote\":\"".to_vec();
    json.extend_from_slice(&[0xff, 0xfe, 0xfd]);
    json.extend_from_slice(b"\",\"signing_address\":\"00\"}");
    scan_file(&write(&d, "c.json", &json)).assert_input_error("invalid unicode");
}

#[test]
fn odd_length_hex() {
    let d = scratch("oddhex");
    let quote = std::fs::read(crate_dir().join("fixtures/testpki/quote.bin")).expect("quote");
    let mut text = hex::encode(&quote);
    text.pop();
    scan_file(&write(&d, "q.hex", text.as_bytes())).assert_input_error("odd number");
    scan_file(&write(&d, "short.hex", b"040")).assert_input_error("odd number");
    // --nonce as odd hex.
    let r = teescan(["scan", "fixtures/testpki/quote.bin", "--nonce", "abc", "--offline", "--at", AT]);
    r.assert_input_error("nonce");
}

#[test]
fn base64_with_junk() {
    let d = scratch("b64junk");
    let quote = std::fs::read(crate_dir().join("fixtures/testpki/quote.bin")).expect("quote");
    let b64 = base64::engine::general_purpose::STANDARD.encode(&quote);
    for (name, text) in [
        ("trailing", format!("{b64}!!junk!!")),
        ("middle", format!("{}$%{}", &b64[..100], &b64[100..])),
        ("mixed-alphabets", format!("{}-_{}", &b64[..100], &b64[102..].replace('A', "+"))),
        ("padding-inside", format!("{}=={}", &b64[..100], &b64[100..])),
    ] {
        let r = scan_file(&write(&d, &format!("{name}.b64"), text.as_bytes()));
        r.assert_input_error("");
        assert!(r.code == 2, "{name}");
    }
    // Decodes, but not to a quote.
    scan_file(&write(&d, "notquote.b64", b"aGVsbG8gd29ybGQgaGVsbG8gd29ybGQ=")).assert_input_error("");
}

#[test]
fn quote_lengths_pointing_past_the_end() {
    let d = scratch("lengths");
    let quote = std::fs::read(crate_dir().join("fixtures/testpki/quote.bin")).expect("quote");
    let parsed = teescan::tdx::Quote::parse(&quote).expect("fixture parses");
    let sig_len_at = parsed.signed_len;
    let args = |p: &str| -> Vec<String> {
        ["scan", p, "--collateral", "fixtures/testpki/collateral.json", "--danger-trust-test-root", "fixtures/testpki/root.der", "--at", TESTPKI_AT, "--offline"]
            .iter()
            .map(|s| (*s).to_owned())
            .collect()
    };
    // Control: the untouched quote passes.
    assert_eq!(teescan(args("fixtures/testpki/quote.bin")).code, 0);
    for (label, value) in [("max", u32::MAX), ("plus-one", u32::try_from(quote.len() - sig_len_at - 4 + 1).unwrap()), ("2GiB", 0x8000_0000)] {
        let mut q = quote.clone();
        q[sig_len_at..sig_len_at + 4].copy_from_slice(&value.to_le_bytes());
        let p = write(&d, &format!("siglen-{label}.bin"), &q);
        teescan(args(&p)).assert_input_error("signature data");
    }
    // The certification data length inside the signature data (after the 64-byte signature, the
    // 64-byte key, and the u16 type): past the end as well.
    let cert_len_at = sig_len_at + 4 + 64 + 64 + 2;
    let mut q = quote.clone();
    q[cert_len_at..cert_len_at + 4].copy_from_slice(&u32::MAX.to_le_bytes());
    teescan(args(&write(&d, "certlen.bin", &q))).assert_input_error("quote");
    // Truncated anywhere: header, body, signature.
    for cut in [10, 47, 48, 200, 631, 632, sig_len_at + 2, quote.len() - 1] {
        teescan(args(&write(&d, &format!("cut{cut}.bin"), &quote[..cut]))).assert_input_error("quote");
    }
    // v5 body size field.
    let mut q5 = quote.clone();
    q5[0] = 5;
    teescan(args(&write(&d, "v5.bin", &q5))).assert_input_error("quote");
}

/// A raw H100 report with a 1,000-certificate `--cert-chain`: refused at the 16-certificate
/// limit of every GPU chain input (exit 2); a chain within the limit but of the wrong length
/// parses and fails the device chain check (a device chain has five certificates).
#[test]
fn thousand_certificate_chain() {
    let Some(root) = corpus::root() else { return };
    let report = root.join("nvidia/nvtrust-sample-h100/attestation_report.hex").to_string_lossy().into_owned();
    let pem = std::fs::read_to_string(root.join("nvidia/nvtrust-sample-h100/device_cert_chain.pem")).expect("chain");
    let blocks = pem::parse_many(&pem).expect("pem");
    assert_eq!(blocks.len(), 5);
    let big: String = (0..200).map(|_| pem.trim_end().to_owned() + "\n").collect();
    assert_eq!(pem::parse_many(&big).expect("pem").len(), 1000);
    let d = scratch("chain1000");
    let p = write(&d, "chain.pem", big.as_bytes());
    let r = teescan(["scan", &report, "--cert-chain", &p, "--offline", "--at", AT]);
    r.assert_input_error("1000 certificates, more than the limit 16");
    let ten: String = (0..2).map(|_| pem.trim_end().to_owned() + "\n").collect();
    let r = teescan(["scan", &report, "--cert-chain", &write(&d, "ten.pem", ten.as_bytes()), "--offline", "--at", AT]);
    r.assert_fails("gpu[0].chain");
    // Control: the genuine five-certificate chain passes that check.
    let good = teescan(["scan", &report, "--cert-chain", &root.join("nvidia/nvtrust-sample-h100/device_cert_chain.pem").to_string_lossy(), "--offline", "--at", AT]);
    assert!(good.has_line("pass", "gpu[0].chain"), "{}", good.context());
    // A thousand garbage PEM blocks (valid PEM, not certificates): fails the same way.
    let junk: String = (0..1000).map(|i| format!("-----BEGIN CERTIFICATE-----\n{}\n-----END CERTIFICATE-----\n", base64::engine::general_purpose::STANDARD.encode(garbage(300, i + 1)))).collect();
    let r = teescan(["scan", &report, "--cert-chain", &write(&d, "junk.pem", junk.as_bytes()), "--offline", "--at", AT]);
    r.assert_input_error("more than the limit");
    let junk: String = (0..5).map(|i| format!("-----BEGIN CERTIFICATE-----\n{}\n-----END CERTIFICATE-----\n", base64::engine::general_purpose::STANDARD.encode(garbage(300, i + 1)))).collect();
    let r = teescan(["scan", &report, "--cert-chain", &write(&d, "junk5.pem", junk.as_bytes()), "--offline", "--at", AT]);
    r.assert_fails("gpu[0].chain");
}

/// The README's NEAR direct scan (its policy requires NRAS) with a JWKS of 10,000 keys in place
/// of NVIDIA's: the NRAS signature check fails on the key-count limit (or, for real-sized keys,
/// the JWKS size limit), the scan fails (exit 1), quickly. Without a policy requiring NRAS the
/// NRAS result is a second opinion: its check fails as information and the verdict stays what
/// the other checks make it.
#[test]
fn jwks_with_ten_thousand_keys() {
    let Some(root) = corpus::root() else { return };
    let t = root.join("providers/teep-captures/neardirect_qwen_qwen3.5-122b-a10b_20260629_020637");
    let body = t.join("responses/0001_qwen35-122b.completions.near.ai_v1_attestation_report.body").to_string_lossy().into_owned();
    let td = t.to_string_lossy().into_owned();
    let nras = t.join("responses/0006_nras.attestation.nvidia.com_v3_attest_gpu.body").to_string_lossy().into_owned();
    let real_jwks = t.join("responses/0007_nras.attestation.nvidia.com_.well-known_jwks.json.body");
    let real: serde_json::Value = serde_json::from_slice(&std::fs::read(&real_jwks).expect("jwks")).expect("json");
    let d = scratch("jwks10k");
    // Small keys: under the 1 MiB size limit, over the key-count limit.
    let keys: Vec<serde_json::Value> = (0..10_000).map(|i| serde_json::json!({"kid": format!("k{i}"), "kty": "EC"})).collect();
    let small = write(&d, "small.json", serde_json::json!({ "keys": keys }).to_string().as_bytes());
    // Real-sized keys (copies of NVIDIA's, renamed, the real one among them): over the size limit.
    let mut keys: Vec<serde_json::Value> = (0..10_000)
        .map(|i| {
            let mut k = real["keys"][0].clone();
            k["kid"] = serde_json::Value::String(format!("k{i}"));
            k
        })
        .collect();
    keys.extend(real["keys"].as_array().expect("keys").iter().cloned());
    let large = write(&d, "large.json", serde_json::json!({ "keys": keys }).to_string().as_bytes());
    let args = |jwks: &str| -> Vec<String> {
        [
            "scan", body.as_str(), "--collateral", td.as_str(), "--nras", nras.as_str(), "--jwks", jwks, "--nonce",
            "541b6523f9446dcd170e67ac8171eb9226bee5e3f192de4900b74f0ef293500b", "--at", "2026-06-29T02:06:40Z",
            "--policy", "policies/nearai.toml", "--offline",
        ]
        .iter()
        .map(|s| (*s).to_owned())
        .collect()
    };
    // Control: NVIDIA's JWKS verifies the NRAS result and the scan passes.
    let good = teescan(args(&real_jwks.to_string_lossy()));
    assert_eq!(good.code, 0, "{}", good.context());
    assert!(good.has_line("pass", "nras.signature"), "{}", good.context());
    let r = teescan(args(&small));
    r.assert_fails("nras.signature");
    assert!(r.stdout.contains("10000 keys"), "{}", r.context());
    let r = teescan(args(&large));
    if r.code == 2 {
        r.assert_input_error("larger than"); // over the CLI's 4 MiB file limit
    } else {
        r.assert_fails("nras.signature");
    }
    // A bare GPU evidence list without a policy: the NRAS check fails as information.
    let gpu = root.join("nvidia/providers/neardirect-qwen35-teep/nvidia_payload.json").to_string_lossy().into_owned();
    let r = teescan(["scan", &gpu, "--nras", &nras, "--jwks", &small, "--offline", "--at", "2026-06-29T02:06:40Z"]);
    assert!(r.has_line("FAIL", "nras.signature") && r.code != 0, "{}", r.context());
}

/// GPU evidence lists with a duplicate key: an array of items (typed: serde refuses the
/// duplicate field) and an `{arch, nonce, evidence_list}` object (refused by the strict JSON
/// reader before its shape is looked at) are both malformed input, named as JSON, not as a
/// provider report.
#[test]
fn duplicate_keys_in_gpu_evidence_lists_are_refused() {
    let Some(root) = corpus::root() else { return };
    let body = std::fs::read_to_string(root.join("nvidia/ppcie-hgx-8gpu-4switch/gpu_evidence.json")).expect("evidence");
    let d = scratch("dupgpu");
    let items: serde_json::Value = serde_json::from_str(&body).expect("json");
    let first = &items[0];
    let item = serde_json::to_string(first).expect("item");
    let inner = item.strip_suffix('}').expect("object");
    let dup = format!("[{inner},\"evidence\":{}}}]", serde_json::to_string(&first["evidence"]).expect("evidence"));
    let r = scan_file(&write(&d, "array.json", dup.as_bytes()));
    r.assert_input_error("duplicate field `evidence`");
    let wrapped = format!("{{\"arch\":\"HOPPER\",\"nonce\":\"{}\",\"evidence_list\":[{item}],\"nonce\":\"{}\"}}", "11".repeat(32), "22".repeat(32));
    let r = scan_file(&write(&d, "object.json", wrapped.as_bytes()));
    r.assert_input_error("duplicate key \"nonce\"");
    assert!(r.stderr.contains("error[input.json]") && !r.stderr.contains("provider report"), "{}", r.context());
}

// ---- Bundle and capture directories -----------------------------------------------------------

/// `mkfifo PATH` (std has no FIFO constructor; no `nix`).
fn mkfifo(path: &Path) {
    let st = std::process::Command::new("mkfifo").arg(path).status().expect("run mkfifo");
    assert!(st.success(), "mkfifo {}", path.display());
}

/// A bundle directory whose exchanges all name body `file` (created by the caller).
fn bundle_dir(name: &str, entries: usize, file: &str) -> PathBuf {
    let d = scratch(name);
    std::fs::create_dir_all(d.join("exchanges")).expect("mkdir exchanges");
    let exchange = serde_json::json!({
        "role": "pcs", "method": "GET", "url": "https://api.trustedservices.intel.com/x", "status": 200,
        "headers": [], "body": { "file": file }, "sha256": "00".repeat(32), "origin": "network",
    });
    let mut exchanges = vec![exchange; entries];
    if let Some(first) = exchanges.first_mut() {
        first["role"] = serde_json::json!("attestation");
    }
    let manifest = serde_json::json!({
        "format": "teescan.bundle/v1", "tool": "teescan test", "scanned_at": AT,
        "target": { "url": "https://example.invalid", "provider": "near" },
        "nonce": "11".repeat(32), "nonce_source": "caller", "exchanges": exchanges,
        "trust": { "intel_root_sha256": "00".repeat(32), "test_root": false },
    });
    std::fs::write(d.join("bundle.json"), serde_json::to_vec(&manifest).expect("manifest")).expect("write manifest");
    d
}

#[test]
fn fifo_or_escaping_symlink_in_a_bundle_is_refused_unopened() {
    let d = bundle_dir("bundle_fifo", 1, "exchanges/000-attestation.body");
    mkfifo(&d.join("exchanges/000-attestation.body"));
    let r = teescan(["scan", d.to_str().expect("utf-8"), "--offline", "--at", AT]);
    r.assert_input_error("not a regular file");
    assert!(r.elapsed < Duration::from_secs(10), "refused without opening the FIFO: {:?}", r.elapsed);
    // The manifest itself as a FIFO: not taken for a bundle (nor opened), an input error.
    let d = scratch("bundle_fifo_manifest");
    mkfifo(&d.join("bundle.json"));
    let r = teescan(["scan", d.to_str().expect("utf-8"), "--offline", "--at", AT]);
    r.assert_input_error("");
    assert!(r.elapsed < Duration::from_secs(10), "{:?}", r.elapsed);
    // A body that is a symlink to a file outside the bundle.
    let d = bundle_dir("bundle_symlink", 1, "exchanges/000-attestation.body");
    std::os::unix::fs::symlink(crate_dir().join("fixtures/testpki/quote.bin"), d.join("exchanges/000-attestation.body")).expect("symlink");
    teescan(["scan", d.to_str().expect("utf-8"), "--offline", "--at", AT]).assert_input_error("leading out");
}

#[test]
fn fifo_in_a_collateral_capture_dir_is_refused_unopened() {
    for fifo in ["0001_pcs.json", "0001_pcs.body"] {
        let d = scratch(&format!("capture_fifo_{fifo}"));
        let other = if fifo.ends_with(".json") { "0001_pcs.body" } else { "0001_pcs.json" };
        write(&d, other, br#"{"url": "https://api.trustedservices.intel.com/tdx/certification/v4/tcb", "headers": {}}"#);
        mkfifo(&d.join(fifo));
        let r = teescan(["scan", "fixtures/testpki/quote.bin", "--collateral", d.to_str().expect("utf-8"), "--offline", "--at", AT]);
        r.assert_input_error("not a regular file");
        assert!(r.elapsed < Duration::from_secs(10), "{fifo}: refused without opening the FIFO: {:?}", r.elapsed);
    }
}

#[test]
fn bundle_bodies_are_bounded_each_and_in_total() {
    // 1,024 exchanges naming one 8 MiB body: 8 GiB if each were read and kept (the address-space
    // limit kills that); read once, the total cap refuses the bundle.
    let d = bundle_dir("bundle_shared_body", 1024, "exchanges/big.body");
    std::fs::File::create(d.join("exchanges/big.body")).expect("create").set_len(8 << 20).expect("8 MiB");
    let r = teescan(["scan", d.to_str().expect("utf-8"), "--offline", "--at", AT]);
    r.assert_input_error("together are larger than");
    assert!(!r.stderr.contains("out of memory"), "{}", r.context());
    // One body over the per-body cap.
    let d = bundle_dir("bundle_big_body", 1, "exchanges/big.body");
    std::fs::File::create(d.join("exchanges/big.body")).expect("create").set_len(20 << 20).expect("20 MiB");
    let r = teescan(["scan", d.to_str().expect("utf-8"), "--offline", "--at", AT]);
    r.assert_input_error("larger than 16777216");
}
