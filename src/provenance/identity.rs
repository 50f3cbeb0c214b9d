//! Who may publish: the certificate identity a bundle must carry. Fails closed: every field is
//! required, and the certificate's own statements of repository and ref must agree.

use super::{CertIdentity, Code, ProvenanceError};

/// The GitHub Actions OIDC issuer.
pub const GITHUB_ACTIONS_ISSUER: &str = "https://token.actions.githubusercontent.com";

/// An identity policy for GitHub Actions–signed bundles.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize, serde::Serialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct IdentityPolicy {
    /// OIDC issuer (exact).
    pub issuer: String,
    /// Repository `owner/name` (exact): SAN, and the repository extensions when present.
    pub repository: String,
    /// Workflow file path (`.github/workflows/build.yml`); unset accepts any workflow of the repository.
    #[serde(default)]
    pub workflow: Option<String>,
    /// Prefix the workflow ref must start with (`refs/tags/`); empty accepts any ref.
    pub ref_prefix: String,
}

fn err(code: Code, detail: impl Into<String>) -> ProvenanceError {
    ProvenanceError::new(code, detail)
}

impl IdentityPolicy {
    /// Hold `id` against the policy.
    pub fn check(&self, id: &CertIdentity) -> Result<(), ProvenanceError> {
        let issuer = id.issuer.as_deref().unwrap_or_default();
        if issuer != self.issuer {
            return Err(err(Code::OidcIssuerMismatch, format!("issuer {issuer:?}, expected {:?}", self.issuer)));
        }
        // SAN: https://github.com/<repo>/<workflow path>@<ref>
        let san = id.san_uri.as_deref().unwrap_or_default();
        let repo_prefix = format!("https://github.com/{}/", self.repository);
        let Some(rest) = san.strip_prefix(&repo_prefix) else {
            return Err(err(Code::WorkflowRepositoryMismatch, format!("SAN {san:?} is not a workflow of {}", self.repository)));
        };
        let Some((path, san_ref)) = rest.rsplit_once('@') else {
            return Err(err(Code::WorkflowRefPrefixMismatch, format!("SAN {san:?} names no ref")));
        };
        for (what, v) in [("workflow repository", id.workflow_repository.as_deref()), ("source repository", id.source_repository_uri.as_deref())] {
            if let Some(v) = v {
                if v != self.repository && v.strip_prefix("https://github.com/") != Some(self.repository.as_str()) {
                    return Err(err(Code::WorkflowRepositoryMismatch, format!("{what} {v:?}, expected {}", self.repository)));
                }
            }
        }
        // The ref: the workflow-ref extension (v1, .1.6) or source-repository ref (.1.14) is
        // required, and every ref the certificate states must agree.
        let stated = id.source_repository_ref.as_deref().or(id.workflow_ref.as_deref());
        let Some(r) = stated else {
            return Err(err(Code::WorkflowRefPrefixMismatch, "the certificate states no workflow ref"));
        };
        let mut refs = vec![san_ref];
        refs.extend(id.workflow_ref.as_deref());
        refs.extend(id.source_repository_ref.as_deref());
        if let Some(signer) = id.build_signer_uri.as_deref() {
            refs.push(signer.rsplit_once('@').map(|(_, r)| r).unwrap_or_default());
        }
        if refs.iter().any(|x| *x != r) {
            return Err(err(Code::WorkflowRefPrefixMismatch, format!("the certificate's refs disagree: {refs:?}")));
        }
        if !r.starts_with(&self.ref_prefix) {
            return Err(err(Code::WorkflowRefPrefixMismatch, format!("ref {r:?} does not start with {:?}", self.ref_prefix)));
        }
        if let Some(w) = &self.workflow {
            if path != w {
                return Err(err(Code::WorkflowPathMismatch, format!("workflow {path:?}, expected {w:?}")));
            }
        }
        Ok(())
    }
}
