//! HTTPS on loopback for the live-scan tests: a test CA, a server certificate for 127.0.0.1
//! signed by it, and the replay server's request handling over rustls.
#![allow(dead_code)]

use std::io::Write;
use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};

use super::replay_server::{serve_io, Handler, Request, Reply, Server, State};

/// A TLS identity for 127.0.0.1: CA certificate (to trust), leaf and its key.
pub struct TlsIdentity {
    pub ca_der: Vec<u8>,
    pub leaf_der: Vec<u8>,
    pub key_pkcs8: Vec<u8>,
    /// The leaf's SubjectPublicKeyInfo (DER), as rcgen made it.
    pub spki_der: Vec<u8>,
}

impl TlsIdentity {
    /// A fresh CA and a leaf for `127.0.0.1` and `localhost`, each with its own new P-256 key.
    pub fn new() -> TlsIdentity {
        let ca_key = rcgen::KeyPair::generate().expect("CA key");
        let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).expect("CA params");
        ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        ca_params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "teescan live-scan TEST CA");
        ca_params.key_usages = vec![rcgen::KeyUsagePurpose::KeyCertSign, rcgen::KeyUsagePurpose::CrlSign];
        let ca = ca_params.self_signed(&ca_key).expect("CA cert");

        let leaf_key = rcgen::KeyPair::generate().expect("leaf key");
        let mut leaf_params = rcgen::CertificateParams::new(vec!["localhost".to_owned()]).expect("leaf params");
        leaf_params
            .subject_alt_names
            .push(rcgen::SanType::IpAddress(std::net::IpAddr::from([127, 0, 0, 1])));
        leaf_params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "mock provider");
        let leaf = leaf_params.signed_by(&leaf_key, &ca, &ca_key).expect("leaf cert");
        TlsIdentity {
            ca_der: ca.der().to_vec(),
            leaf_der: leaf.der().to_vec(),
            key_pkcs8: leaf_key.serialize_der(),
            spki_der: leaf_key.public_key_der(),
        }
    }
}

/// Start an HTTPS server on 127.0.0.1 presenting `id`, answering with `handler`.
pub fn start_tls(id: &TlsIdentity, handler: impl Fn(&Request, usize) -> Reply + Send + Sync + 'static) -> Server {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("protocol versions")
        .with_no_client_auth()
        .with_single_cert(
            vec![CertificateDer::from(id.leaf_der.clone()), CertificateDer::from(id.ca_der.clone())],
            PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(id.key_pkcs8.clone())),
        )
        .expect("server config");
    let config = Arc::new(config);
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    let addr = listener.local_addr().expect("local addr");
    let state = Arc::new(State::default());
    let handler: Arc<Handler> = Arc::new(handler);
    let st = Arc::clone(&state);
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { continue };
            let st = Arc::clone(&st);
            let handler = Arc::clone(&handler);
            let config = Arc::clone(&config);
            std::thread::spawn(move || {
                let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
                let Ok(conn) = rustls::ServerConnection::new(config) else { return };
                let tls = rustls::StreamOwned::new(conn, stream);
                serve_io(tls, &st, &*handler, |s| {
                    s.conn.send_close_notify();
                    let _ = s.flush();
                });
            });
        }
    });
    Server { base: format!("https://{addr}"), state }
}
