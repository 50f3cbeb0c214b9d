//! GitHub release provenance: the release tag, its digest file, and the Sigstore bundles GitHub's
//! attestations API holds for that digest (`api.github.com`, or Tinfoil's proxy
//! `github-proxy.tinfoil.sh`, which serves the same paths on one host).
//!
//! Nothing here is trusted: the tag and the digest file are pointers, used only to find the
//! attestation; the bundles are verified by [`crate::provenance`] like any supplied bundle.
//! Attestations answers are cached by digest (content-addressed, 30 days); `releases/latest`
//! and the digest file are never cached (offline, they are an error).

use reqwest::{Client, Method};

use super::{checked_base, classify, read_response, with_retries, FetchError, FetchOptions, Fetched};
use crate::provenance::eval::SuppliedBundle;

/// GitHub's REST API.
pub const GITHUB_API: &str = "https://api.github.com";
/// Where GitHub serves release assets.
pub const GITHUB_DOWNLOADS: &str = "https://github.com";

/// A client for the GitHub API (or a proxy with the same paths).
#[derive(Debug, Clone)]
pub struct GithubClient {
    http: Client,
    api: String,
    downloads: String,
    opts: FetchOptions,
    cache: Option<super::cache::DiskStore>,
}

impl GithubClient {
    /// A client for `api` (REST: `repos/…/releases/latest`, `repos/…/attestations/…`) and
    /// `downloads` (`<owner>/<repo>/releases/download/<tag>/<asset>`). Both must be `https://`
    /// (loopback `http://` for tests).
    pub fn new(api: &str, downloads: &str, opts: FetchOptions) -> Result<Self, FetchError> {
        let api = checked_base(api)?;
        let downloads = checked_base(downloads)?;
        let http = super::collateral_client(opts.timeout, &api)?;
        Ok(GithubClient { http, api, downloads, opts, cache: None })
    }

    /// Consult and fill `cache` (attestations only; offline, a miss is an error).
    pub fn with_cache(mut self, cache: super::cache::DiskStore) -> Self {
        self.cache = Some(cache);
        self
    }

    /// The tag GitHub calls the latest release of `repo` (`owner/name`). Unsigned: a pointer.
    pub async fn latest_tag(&self, repo: &str) -> Result<String, FetchError> {
        let url = format!("{}/repos/{repo}/releases/latest", self.api);
        let f = self.get(&url, false).await?;
        let v: serde_json::Value = serde_json::from_slice(&f.body).map_err(|e| bad(&url, format!("not JSON: {e}")))?;
        v.get("tag_name").and_then(|t| t.as_str()).map(str::to_owned).ok_or_else(|| bad(&url, "no tag_name".to_owned()))
    }

    /// The SHA-256 (hex) a release's digest asset states (Tinfoil: `tinfoil.hash`). Unsigned.
    pub async fn release_digest(&self, repo: &str, tag: &str, asset: &str) -> Result<String, FetchError> {
        let url = format!("{}/{repo}/releases/download/{tag}/{asset}", self.downloads);
        let f = self.get(&url, false).await?;
        let text = String::from_utf8_lossy(&f.body).trim().to_ascii_lowercase();
        if text.len() != 64 || !text.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(bad(&url, "not a SHA-256 in hex".to_owned()));
        }
        Ok(text)
    }

    /// The bundles GitHub's attestations API holds for `repo` and `sha256` (hex), as supplied
    /// collateral (to be verified), each tagged with the digest it was looked up under.
    pub async fn attestations(&self, repo: &str, sha256: &str) -> Result<Vec<SuppliedBundle>, FetchError> {
        Ok(self.attestations_answer(repo, sha256).await?.1)
    }

    /// [`Self::attestations`] with the answer itself (URL and bytes, for the report's record).
    pub async fn attestations_answer(&self, repo: &str, sha256: &str) -> Result<(Fetched, Vec<SuppliedBundle>), FetchError> {
        let url = self.attestations_url(repo, sha256);
        let f = self.get(&url, true).await?;
        let mut coll = crate::scan::Collateral::default();
        if !coll.add_sigstore_document(&f.body, &url, Some(sha256)) {
            return Err(bad(&url, "not an attestations answer".to_owned()));
        }
        Ok((f, coll.provenance))
    }

    /// The attestations URL of `repo` for `sha256` (hex; empty: the prefix of them all).
    pub fn attestations_url(&self, repo: &str, sha256: &str) -> String {
        format!("{}/repos/{repo}/attestations/sha256:{sha256}", self.api)
    }

    /// The latest release's bundles: `releases/latest` → `<asset>` digest → attestations.
    pub async fn latest_release_bundles(&self, repo: &str, digest_asset: &str) -> Result<Vec<SuppliedBundle>, FetchError> {
        let tag = self.latest_tag(repo).await?;
        let digest = self.release_digest(repo, &tag, digest_asset).await?;
        self.attestations(repo, &digest).await
    }

    async fn get(&self, url: &str, cacheable: bool) -> Result<Fetched, FetchError> {
        let fetch = || with_retries(&self.opts, url, || self.get_once(url));
        if cacheable {
            super::cache::DiskStore::through(self.cache.as_ref(), "GET", url, None, fetch).await
        } else if self.cache.as_ref().is_some_and(super::cache::DiskStore::is_offline) {
            // Offline means no network: an answer that is never cached cannot be had.
            Err(FetchError::Offline { url: url.to_owned() })
        } else {
            fetch().await
        }
    }

    async fn get_once(&self, url: &str) -> Result<Fetched, FetchError> {
        let response = self
            .http
            .request(Method::GET, url)
            .header(reqwest::header::ACCEPT, "application/vnd.github+json")
            .send()
            .await
            .map_err(|e| classify(url, &e))?;
        read_response(url, response, self.opts.max_body_bytes).await
    }
}

fn bad(url: &str, reason: String) -> FetchError {
    FetchError::Http { url: url.to_owned(), reason }
}
