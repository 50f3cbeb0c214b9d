//! Client for the Intel Provisioning Certification Service (PCS) and PCS-compatible caches (PCCS).
//!
//! [`PcsClient::tdx_collateral`] downloads, concurrently, the four pieces of collateral that a TDX
//! quote is verified against, and returns them exactly as received in a [`PcsResponses`]:
//!
//! | what | request |
//! | --- | --- |
//! | TCB Info | `GET {base}/tdx/certification/v4/tcb?fmspc=<hex>&update=standard\|early` |
//! | TD QE Identity | `GET {base}/tdx/certification/v4/qe/identity?update=standard\|early` |
//! | PCK CRL | `GET {base}/sgx/certification/v4/pckcrl?ca=platform\|processor&encoding=der` |
//! | Root CA CRL | [`INTEL_ROOT_CA_CRL_URL`] (Intel) or `{base}/sgx/certification/v4/rootcacrl` (PCCS) |
//!
//! Nothing is parsed or decoded here (the issuer-chain headers stay URL-encoded, CRLs stay DER or
//! hex): checking is the job of [`crate::tdx::collateral`].

use reqwest::Client;

use super::{checked_base, checked_url, classify, read_response, with_retries, FetchError, FetchOptions};
use crate::tdx::collateral::PcsResponses;

/// Base URL of Intel's own PCS, the default collateral source.
pub const INTEL_PCS_URL: &str = "https://api.trustedservices.intel.com";

/// Where Intel publishes the CRL of the Intel SGX Root CA (the CRL distribution point of the root
/// certificate); served as DER.
pub const INTEL_ROOT_CA_CRL_URL: &str =
    "https://certificates.trustedservices.intel.com/IntelSGXRootCA.der";

/// Path, relative to a PCCS base URL, of its root CA CRL endpoint (answers hex text).
const PCCS_ROOT_CA_CRL_PATH: &str = "sgx/certification/v4/rootcacrl";

/// Which PCK CA issued the platform's PCK certificate, i.e. which PCK CRL to fetch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PckCa {
    /// Intel SGX PCK Platform CA (`ca=platform`), the usual one for multi-package platforms.
    Platform,
    /// Intel SGX PCK Processor CA (`ca=processor`).
    Processor,
}

impl PckCa {
    /// The value of the `ca` query parameter: `platform` or `processor`.
    pub fn as_str(self) -> &'static str {
        match self {
            PckCa::Platform => "platform",
            PckCa::Processor => "processor",
        }
    }
}

/// Which TCB recovery track to request collateral for (`update` query parameter).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum TcbUpdate {
    /// `update=standard`: collateral after the standard TCB recovery grace period (the default).
    #[default]
    Standard,
    /// `update=early`: collateral reflecting a TCB recovery as soon as it is published.
    Early,
}

impl TcbUpdate {
    /// The value of the `update` query parameter: `standard` or `early`.
    pub fn as_str(self) -> &'static str {
        match self {
            TcbUpdate::Standard => "standard",
            TcbUpdate::Early => "early",
        }
    }
}

/// One successful HTTP exchange (defined in [`crate::fetch`], shared by every client and the cache).
pub use super::Fetched;

/// A client for Intel PCS or a PCS-compatible service (PCCS).
///
/// Construct with [`PcsClient::intel`] (the default) or [`PcsClient::pccs`]. Cloning is cheap and
/// shares the connection pool.
#[derive(Debug, Clone)]
pub struct PcsClient {
    http: Client,
    /// Base URL without trailing slash.
    base_url: String,
    root_crl_url: String,
    update: TcbUpdate,
    opts: FetchOptions,
    cache: Option<super::cache::DiskStore>,
}

impl PcsClient {
    /// A client for Intel's PCS at [`INTEL_PCS_URL`], with the root CA CRL from
    /// [`INTEL_ROOT_CA_CRL_URL`]. This is the default collateral source; it never goes through a
    /// third-party PCCS.
    pub fn intel(opts: FetchOptions) -> Result<Self, FetchError> {
        Self::new(INTEL_PCS_URL, INTEL_ROOT_CA_CRL_URL.to_owned(), opts)
    }

    /// A client for a PCS-compatible service at `base_url` (e.g. a PCCS such as
    /// `https://pccs.example:8081`); the v4 API paths are appended to it. The root CA CRL is taken
    /// from `{base_url}/sgx/certification/v4/rootcacrl` (which a PCCS serves as hex text).
    ///
    /// `base_url` must be `https://`, or `http://` to a loopback host; it may carry a path prefix
    /// but no query or fragment.
    pub fn pccs(base_url: &str, opts: FetchOptions) -> Result<Self, FetchError> {
        let base = checked_base(base_url)?;
        let root = format!("{base}/{PCCS_ROOT_CA_CRL_PATH}");
        Self::new(&base, root, opts)
    }

    /// Fetch the root CA CRL from `url` instead (same URL rules as the base URL).
    pub fn with_root_crl_url(mut self, url: &str) -> Result<Self, FetchError> {
        self.root_crl_url = checked_url(url)?.to_string();
        Ok(self)
    }

    /// Request the given TCB recovery track (default [`TcbUpdate::Standard`]).
    pub fn with_update(mut self, update: TcbUpdate) -> Self {
        self.update = update;
        self
    }

    /// The base URL requests are made under (no trailing slash).
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The URL the root CA CRL is fetched from.
    pub fn root_crl_url(&self) -> &str {
        &self.root_crl_url
    }

    /// The transport options in force.
    pub fn options(&self) -> &FetchOptions {
        &self.opts
    }

    /// Fetch the TDX collateral for `fmspc`, with the PCK CRL of `ca`; see
    /// [`PcsClient::tdx_collateral_with_log`].
    pub async fn tdx_collateral(
        &self,
        fmspc: [u8; 6],
        ca: PckCa,
    ) -> Result<PcsResponses, FetchError> {
        self.tdx_collateral_with_log(fmspc, ca)
            .await
            .map(|(responses, _)| responses)
    }

    /// Fetch, concurrently, TCB Info for `fmspc`, the TD QE Identity, the PCK CRL of `ca` and the
    /// root CA CRL, each with the configured timeout, retries and body limit. Bodies and the
    /// issuer-chain header values are returned as received (no URL-decoding), together with the
    /// four exchanges in the order TCB Info, QE Identity, PCK CRL, root CA CRL.
    ///
    /// The first failure cancels the other requests and is returned. A response that lacks its
    /// issuer-chain header (`TCB-Info-Issuer-Chain` or `SGX-TCB-Info-Issuer-Chain`,
    /// `SGX-Enclave-Identity-Issuer-Chain`, `SGX-PCK-CRL-Issuer-Chain`; any case) fails with
    /// [`FetchError::MissingHeader`].
    pub async fn tdx_collateral_with_log(
        &self,
        fmspc: [u8; 6],
        ca: PckCa,
    ) -> Result<(PcsResponses, Vec<Fetched>), FetchError> {
        let base = &self.base_url;
        let update = self.update.as_str();
        let fmspc_hex: String = fmspc.iter().map(|b| format!("{b:02x}")).collect();
        let tcb_url = format!("{base}/tdx/certification/v4/tcb?fmspc={fmspc_hex}&update={update}");
        let qe_url = format!("{base}/tdx/certification/v4/qe/identity?update={update}");
        let pck_url = format!(
            "{base}/sgx/certification/v4/pckcrl?ca={}&encoding=der",
            ca.as_str()
        );

        let (tcb, qe, pck, root) = tokio::try_join!(
            self.get(&tcb_url),
            self.get(&qe_url),
            self.get(&pck_url),
            self.get(&self.root_crl_url),
        )?;

        let tcb_info_issuer_chain = required_header(
            &tcb,
            &["TCB-Info-Issuer-Chain", "SGX-TCB-Info-Issuer-Chain"],
        )?;
        let qe_identity_issuer_chain =
            required_header(&qe, &["SGX-Enclave-Identity-Issuer-Chain"])?;
        let pck_crl_issuer_chain = required_header(&pck, &["SGX-PCK-CRL-Issuer-Chain"])?;

        let responses = PcsResponses {
            tcb_info: tcb.body.clone(),
            tcb_info_issuer_chain,
            qe_identity: qe.body.clone(),
            qe_identity_issuer_chain,
            pck_crl: pck.body.clone(),
            pck_crl_issuer_chain,
            root_ca_crl: root.body.clone(),
        };
        Ok((responses, vec![tcb, qe, pck, root]))
    }

    fn new(base_url: &str, root_crl_url: String, opts: FetchOptions) -> Result<Self, FetchError> {
        let base_url = checked_base(base_url)?;
        let root_crl_url = checked_url(&root_crl_url)?.to_string();
        let http = super::collateral_client(opts.timeout, &base_url)?;
        Ok(PcsClient {
            http,
            base_url,
            root_crl_url,
            update: TcbUpdate::default(),
            opts,
            cache: None,
        })
    }

    /// GET `url` with timeout, retries and the body limit; `Ok` only for a 2xx answer.
    async fn get(&self, url: &str) -> Result<Fetched, FetchError> {
        super::cache::DiskStore::through(self.cache.as_ref(), "GET", url, None, || with_retries(&self.opts, url, || self.get_once(url))).await
    }

    /// Consult and fill `cache` (and, if it is offline, never use the network).
    pub fn with_cache(mut self, cache: super::cache::DiskStore) -> Self {
        self.cache = Some(cache);
        self
    }

    /// One attempt, without retry or overall timeout.
    async fn get_once(&self, url: &str) -> Result<Fetched, FetchError> {
        let response = self
            .http
            .get(url)
            .send()
            .await
            .map_err(|e| classify(url, &e))?;
        read_response(url, response, self.opts.max_body_bytes).await
    }
}

/// The first of `names` present in `fetched` (case-insensitive), or `MissingHeader` naming `names[0]`.
fn required_header(fetched: &Fetched, names: &[&'static str]) -> Result<String, FetchError> {
    names
        .iter()
        .find_map(|name| fetched.header(name))
        .map(str::to_owned)
        .ok_or_else(|| FetchError::MissingHeader {
            url: fetched.url.clone(),
            header: names.first().copied().unwrap_or("issuer chain"),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scheme_of(url: &str) -> Result<(), FetchError> {
        checked_url(url).map(|_| ())
    }

    #[test]
    fn url_rules() {
        for ok in [
            "https://api.trustedservices.intel.com",
            "https://example.com:8081/pccs",
            "http://127.0.0.1:8080",
            "http://127.9.8.7/x",
            "http://[::1]:99/",
            "http://localhost:1/",
            "http://LOCALHOST/",
        ] {
            assert_eq!(scheme_of(ok), Ok(()), "{ok}");
        }
        for insecure in [
            "http://example.com",
            "http://localhost.example.com/",
            "http://127.0.0.1.nip.io/",
            "http://10.0.0.1/",
            "http://[::ffff:127.0.0.1]/",
        ] {
            assert!(
                matches!(scheme_of(insecure), Err(FetchError::InsecureUrl { .. })),
                "{insecure}"
            );
        }
        for invalid in ["ftp://127.0.0.1/", "not a url", "file:///etc/passwd"] {
            assert!(
                matches!(scheme_of(invalid), Err(FetchError::InvalidUrl { .. })),
                "{invalid}"
            );
        }
    }

    #[test]
    fn base_url_normalised() {
        let opts = FetchOptions::default();
        let c = PcsClient::pccs("http://127.0.0.1:8081/", opts.clone());
        let c = c.map(|c| (c.base_url().to_owned(), c.root_crl_url().to_owned()));
        assert_eq!(
            c,
            Ok((
                "http://127.0.0.1:8081".to_owned(),
                "http://127.0.0.1:8081/sgx/certification/v4/rootcacrl".to_owned()
            ))
        );
        assert!(matches!(
            PcsClient::pccs("https://pccs.example/?x=1", opts.clone()),
            Err(FetchError::InvalidUrl { .. })
        ));
        let intel = PcsClient::intel(opts).map(|c| c.root_crl_url().to_owned());
        assert_eq!(intel, Ok(INTEL_ROOT_CA_CRL_URL.to_owned()));
    }
}
