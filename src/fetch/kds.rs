//! AMD Key Distribution Service (KDS): the VCEK of a report's chip and TCB, the product's
//! `cert_chain` (ASK + ARK, PEM) and its CRL, returned byte for byte for offline verification.
//!
//! URLs (`https://kdsintf.amd.com`): `/vcek/v1/{Milan|Genoa|Turin}/{hwid}?blSPL=&teeSPL=&snpSPL=&
//! ucodeSPL=` (Turin: the 8-byte hardware ID and `fmcSPL=` first), `/vcek/v1/{product}/cert_chain`,
//! `/vcek/v1/{product}/crl`. VLEKs are not served to the public (the host supplies them).
//! The cache keeps each answer for its own validity (the certificate's, the CRL's). KDS
//! rate-limits: a 429 answer is retried after its `Retry-After` (capped) or the exponential
//! backoff, within the configured retries.

use std::time::Duration;

use reqwest::Client;

use super::{checked_base, classify, read_response, FetchError, FetchOptions, Fetched};
use crate::pki::amd::Product;
use crate::snp::report::{Report, SigningKey, TcbField};
use crate::snp::SnpCollateral;

/// AMD's KDS.
pub const AMD_KDS: &str = "https://kdsintf.amd.com";
/// Longest `Retry-After` honoured.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(60);

/// A KDS client.
#[derive(Debug, Clone)]
pub struct KdsClient {
    http: Client,
    base_url: String,
    opts: FetchOptions,
    cache: Option<super::cache::DiskStore>,
}

impl KdsClient {
    /// AMD's KDS.
    pub fn amd(opts: FetchOptions) -> Result<Self, FetchError> {
        KdsClient::with_base(AMD_KDS, opts)
    }

    /// Another KDS (a mirror, or a loopback test server).
    pub fn with_base(base_url: &str, opts: FetchOptions) -> Result<Self, FetchError> {
        let base_url = checked_base(base_url)?;
        let http = super::collateral_client(opts.timeout, &base_url)?;
        Ok(KdsClient { http, base_url, opts, cache: None })
    }

    /// Consult and fill `cache` (offline: never use the network).
    #[must_use]
    pub fn with_cache(mut self, cache: super::cache::DiskStore) -> Self {
        self.cache = Some(cache);
        self
    }

    /// The VCEK URL of `report`'s chip at its REPORTED_TCB.
    pub fn vcek_url(&self, product: Product, report: &Report) -> String {
        let t = report.tcb(TcbField::Reported, product);
        let (hwid, fmc) = match product {
            Product::Turin => (report.chip_id.get(..8).unwrap_or_default(), t.fmc.map(|f| format!("fmcSPL={f}&")).unwrap_or_default()),
            _ => (report.chip_id.as_slice(), String::new()),
        };
        format!(
            "{}/vcek/v1/{}/{}?{fmc}blSPL={}&teeSPL={}&snpSPL={}&ucodeSPL={}",
            self.base_url,
            product.name(),
            crate::bytes::to_hex(hwid),
            t.bl,
            t.tee,
            t.snp,
            t.ucode
        )
    }

    /// The product's `cert_chain` URL (ASK then ARK, PEM).
    pub fn cert_chain_url(&self, product: Product) -> String {
        format!("{}/vcek/v1/{}/cert_chain", self.base_url, product.name())
    }

    /// The product's CRL URL (DER, ARK-signed).
    pub fn crl_url(&self, product: Product) -> String {
        format!("{}/vcek/v1/{}/crl", self.base_url, product.name())
    }

    /// Fetch the VCEK, the `cert_chain` and (with `crl`) the CRL of a VCEK-signed report of
    /// `product`. The answers are evidence: they are verified by the scan like any collateral.
    pub async fn snp_collateral(&self, report: &Report, product: Product, crl: bool) -> Result<(SnpCollateral, Vec<Fetched>), FetchError> {
        let vcek_url = self.vcek_url(product, report);
        if report.signing_key != SigningKey::Vcek || report.mask_chip_id {
            return Err(FetchError::InvalidUrl { url: vcek_url, reason: "KDS serves VCEKs only, for an unmasked chip ID (a VLEK comes from the host)".to_owned() });
        }
        let chain_url = self.cert_chain_url(product);
        let (vcek, chain) = tokio::try_join!(self.get(&vcek_url), self.get(&chain_url))?;
        let mut out = SnpCollateral::default();
        let bad = |url: &str, e: String| FetchError::Http { url: url.to_owned(), reason: e };
        out.add_certs(&vcek.body).map_err(|e| bad(&vcek_url, e))?;
        out.add_certs(&chain.body).map_err(|e| bad(&chain_url, e))?;
        let mut log = vec![vcek, chain];
        if crl {
            let url = self.crl_url(product);
            let c = self.get(&url).await?;
            out.crls.push(c.body.clone());
            log.push(c);
        }
        Ok((out, log))
    }

    async fn get(&self, url: &str) -> Result<Fetched, FetchError> {
        super::cache::DiskStore::through(self.cache.as_ref(), "GET", url, None, || self.get_retrying(url)).await
    }

    /// GET with the timeout; 429 and 5xx are retried after `Retry-After` (capped at
    /// [`MAX_RETRY_AFTER`]) or the exponential backoff, at most `retries` times.
    async fn get_retrying(&self, url: &str) -> Result<Fetched, FetchError> {
        let mut tries: u32 = 0;
        loop {
            let (result, retry_after) = match tokio::time::timeout(self.opts.timeout, self.get_once(url)).await {
                Ok(r) => r,
                Err(_) => (Err(FetchError::Timeout { url: url.to_owned() }), None),
            };
            let retryable = match &result {
                Ok(_) => return result,
                Err(FetchError::Timeout { .. } | FetchError::Connect { .. }) => true,
                Err(FetchError::Status { status, .. }) => *status == 429 || *status >= 500,
                Err(_) => false,
            };
            if !retryable || tries >= self.opts.retries {
                return result;
            }
            let backoff = self.opts.backoff.saturating_mul(2u32.saturating_pow(tries));
            tokio::time::sleep(retry_after.map_or(backoff, |r| r.min(MAX_RETRY_AFTER))).await;
            tries = tries.saturating_add(1);
        }
    }

    async fn get_once(&self, url: &str) -> (Result<Fetched, FetchError>, Option<Duration>) {
        let response = match self.http.get(url).send().await {
            Ok(r) => r,
            Err(e) => return (Err(classify(url, &e)), None),
        };
        let retry_after = (response.status().as_u16() == 429)
            .then(|| response.headers().get("retry-after").and_then(|v| v.to_str().ok()).and_then(|v| v.trim().parse::<u64>().ok()).map(Duration::from_secs))
            .flatten();
        (read_response(url, response, self.opts.max_body_bytes).await, retry_after)
    }
}
