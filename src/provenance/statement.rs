//! The in-toto statement inside a verified DSSE envelope: payload type, statement type,
//! predicate type, and the first subject's SHA-256.

use super::{Code, Content, ProvenanceError, VerifiedBundle};

/// The in-toto media type of a DSSE payload.
pub const IN_TOTO_PAYLOAD_TYPE: &str = "application/vnd.in-toto+json";
/// The in-toto Statement v1 type.
pub const STATEMENT_V1: &str = "https://in-toto.io/Statement/v1";

/// A parsed in-toto statement (unknown top-level fields are refused).
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Statement {
    /// `_type`.
    #[serde(rename = "_type")]
    pub statement_type: String,
    /// `subject`.
    #[serde(default)]
    pub subject: Vec<Subject>,
    /// `predicateType`.
    #[serde(rename = "predicateType")]
    pub predicate_type: String,
    /// `predicate`.
    #[serde(default)]
    pub predicate: serde_json::Value,
}

/// One in-toto subject.
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
pub struct Subject {
    /// Subject name (e.g. `tinfoil-deployment.json`).
    #[serde(default)]
    pub name: String,
    /// Digests by algorithm.
    #[serde(default)]
    pub digest: std::collections::BTreeMap<String, String>,
}

/// What the statement must be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatementPolicy<'a> {
    /// The DSSE payload type (normally [`IN_TOTO_PAYLOAD_TYPE`]).
    pub payload_type: &'a str,
    /// Allowed statement types (normally `[STATEMENT_V1]`); empty allows none.
    pub statement_types: &'a [String],
    /// Allowed predicate types; empty allows none.
    pub predicate_types: &'a [String],
    /// The expected SHA-256 (hex, any case) of the first subject; `None` = not checked here.
    pub subject_sha256: Option<&'a str>,
}

/// Hold the bundle's DSSE payload against `policy`; returns the statement.
pub fn check(b: &VerifiedBundle, policy: &StatementPolicy<'_>) -> Result<Statement, ProvenanceError> {
    let Content::Dsse { payload_type, payload } = &b.content else {
        return Err(ProvenanceError::new(Code::PayloadTypeMismatch, "the bundle signs a message, not an in-toto statement"));
    };
    if payload_type != policy.payload_type {
        return Err(ProvenanceError::new(Code::PayloadTypeMismatch, format!("payload type {payload_type:?}, expected {:?}", policy.payload_type)));
    }
    let st: Statement = serde_json::from_slice(payload).map_err(|e| ProvenanceError::new(Code::StatementInvalid, format!("in-toto statement: {e}")))?;
    if !policy.statement_types.contains(&st.statement_type) {
        return Err(ProvenanceError::new(Code::InTotoStatementTypeNotAllowed, format!("statement type {:?}", st.statement_type)));
    }
    if !policy.predicate_types.contains(&st.predicate_type) {
        return Err(ProvenanceError::new(Code::PredicateTypeNotAllowed, format!("predicate type {:?}", st.predicate_type)));
    }
    let first = st.subject.first().ok_or_else(|| ProvenanceError::new(Code::SubjectMissing, "the statement has no subject"))?;
    if let Some(want) = policy.subject_sha256 {
        let got = first.digest.get("sha256").map(String::as_str).unwrap_or_default();
        if got.is_empty() || !got.eq_ignore_ascii_case(want) {
            return Err(ProvenanceError::new(Code::SubjectDigestMismatch, format!("first subject sha256 {got:?}, expected {want}")));
        }
    }
    Ok(st)
}
