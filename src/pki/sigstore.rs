//! The Sigstore trust root: Fulcio CAs, Rekor and CT log keys, RFC 3161 timestamp authorities,
//! each with its validity window.
//!
//! The public-good root (`sigstore/root-signing` `targets/trusted_root.json`, SHA-256
//! `6494e21e…bc0b66`) is compiled in ([`TrustedRoot::public_good`]). Another root is only taken
//! from an explicit file the auditor names ([`TrustedRoot::from_json`] marks it
//! [`AnchorKind::DangerTest`] unless the caller vouches for it); never from the evidence.

use super::AnchorKind;
use crate::time::Timestamp;
use base64::Engine as _;

/// The pinned public-good `trusted_root.json`.
pub const PUBLIC_GOOD_TRUSTED_ROOT_JSON: &str = r#"{
  "mediaType": "application/vnd.dev.sigstore.trustedroot+json;version=0.1",
  "tlogs": [
    {
      "baseUrl": "https://rekor.sigstore.dev",
      "hashAlgorithm": "SHA2_256",
      "publicKey": {
        "rawBytes": "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE2G2Y+2tabdTV5BcGiBIx0a9fAFwrkBbmLSGtks4L3qX6yYY0zufBnhC8Ur/iy55GhWP/9A/bY2LhC30M9+RYtw==",
        "keyDetails": "PKIX_ECDSA_P256_SHA_256",
        "validFor": {
          "start": "2021-01-12T11:53:27Z"
        }
      },
      "logId": {
        "keyId": "wNI9atQGlz+VWfO6LRygH4QUfY/8W4RFwiT5i5WRgB0="
      }
    },
    {
      "baseUrl": "https://log2025-1.rekor.sigstore.dev",
      "hashAlgorithm": "SHA2_256",
      "publicKey": {
        "rawBytes": "MCowBQYDK2VwAyEAt8rlp1knGwjfbcXAYPYAkn0XiLz1x8O4t0YkEhie244=",
        "keyDetails": "PKIX_ED25519",
        "validFor": {
          "start": "2025-09-23T00:00:00Z"
        }
      },
      "logId": {
        "keyId": "zxGZFVvd0FEmjR8WrFwMdcAJ9vtaY/QXf44Y1wUeP6A="
      }
    }
  ],
  "certificateAuthorities": [
    {
      "subject": {
        "organization": "sigstore.dev",
        "commonName": "sigstore"
      },
      "uri": "https://fulcio.sigstore.dev",
      "certChain": {
        "certificates": [
          {
            "rawBytes": "MIIB+DCCAX6gAwIBAgITNVkDZoCiofPDsy7dfm6geLbuhzAKBggqhkjOPQQDAzAqMRUwEwYDVQQKEwxzaWdzdG9yZS5kZXYxETAPBgNVBAMTCHNpZ3N0b3JlMB4XDTIxMDMwNzAzMjAyOVoXDTMxMDIyMzAzMjAyOVowKjEVMBMGA1UEChMMc2lnc3RvcmUuZGV2MREwDwYDVQQDEwhzaWdzdG9yZTB2MBAGByqGSM49AgEGBSuBBAAiA2IABLSyA7Ii5k+pNO8ZEWY0ylemWDowOkNa3kL+GZE5Z5GWehL9/A9bRNA3RbrsZ5i0JcastaRL7Sp5fp/jD5dxqc/UdTVnlvS16an+2Yfswe/QuLolRUCrcOE2+2iA5+tzd6NmMGQwDgYDVR0PAQH/BAQDAgEGMBIGA1UdEwEB/wQIMAYBAf8CAQEwHQYDVR0OBBYEFMjFHQBBmiQpMlEk6w2uSu1KBtPsMB8GA1UdIwQYMBaAFMjFHQBBmiQpMlEk6w2uSu1KBtPsMAoGCCqGSM49BAMDA2gAMGUCMH8liWJfMui6vXXBhjDgY4MwslmN/TJxVe/83WrFomwmNf056y1X48F9c4m3a3ozXAIxAKjRay5/aj/jsKKGIkmQatjI8uupHr/+CxFvaJWmpYqNkLDGRU+9orzh5hI2RrcuaQ=="
          }
        ]
      },
      "validFor": {
        "start": "2021-03-07T03:20:29Z",
        "end": "2022-12-31T23:59:59.999Z"
      }
    },
    {
      "subject": {
        "organization": "sigstore.dev",
        "commonName": "sigstore"
      },
      "uri": "https://fulcio.sigstore.dev",
      "certChain": {
        "certificates": [
          {
            "rawBytes": "MIICGjCCAaGgAwIBAgIUALnViVfnU0brJasmRkHrn/UnfaQwCgYIKoZIzj0EAwMwKjEVMBMGA1UEChMMc2lnc3RvcmUuZGV2MREwDwYDVQQDEwhzaWdzdG9yZTAeFw0yMjA0MTMyMDA2MTVaFw0zMTEwMDUxMzU2NThaMDcxFTATBgNVBAoTDHNpZ3N0b3JlLmRldjEeMBwGA1UEAxMVc2lnc3RvcmUtaW50ZXJtZWRpYXRlMHYwEAYHKoZIzj0CAQYFK4EEACIDYgAE8RVS/ysH+NOvuDZyPIZtilgUF9NlarYpAd9HP1vBBH1U5CV77LSS7s0ZiH4nE7Hv7ptS6LvvR/STk798LVgMzLlJ4HeIfF3tHSaexLcYpSASr1kS0N/RgBJz/9jWCiXno3sweTAOBgNVHQ8BAf8EBAMCAQYwEwYDVR0lBAwwCgYIKwYBBQUHAwMwEgYDVR0TAQH/BAgwBgEB/wIBADAdBgNVHQ4EFgQU39Ppz1YkEZb5qNjpKFWixi4YZD8wHwYDVR0jBBgwFoAUWMAeX5FFpWapesyQoZMi0CrFxfowCgYIKoZIzj0EAwMDZwAwZAIwPCsQK4DYiZYDPIaDi5HFKnfxXx6ASSVmERfsynYBiX2X6SJRnZU84/9DZdnFvvxmAjBOt6QpBlc4J/0DxvkTCqpclvziL6BCCPnjdlIB3Pu3BxsPmygUY7Ii2zbdCdliiow="
          },
          {
            "rawBytes": "MIIB9zCCAXygAwIBAgIUALZNAPFdxHPwjeDloDwyYChAO/4wCgYIKoZIzj0EAwMwKjEVMBMGA1UEChMMc2lnc3RvcmUuZGV2MREwDwYDVQQDEwhzaWdzdG9yZTAeFw0yMTEwMDcxMzU2NTlaFw0zMTEwMDUxMzU2NThaMCoxFTATBgNVBAoTDHNpZ3N0b3JlLmRldjERMA8GA1UEAxMIc2lnc3RvcmUwdjAQBgcqhkjOPQIBBgUrgQQAIgNiAAT7XeFT4rb3PQGwS4IajtLk3/OlnpgangaBclYpsYBr5i+4ynB07ceb3LP0OIOZdxexX69c5iVuyJRQ+Hz05yi+UF3uBWAlHpiS5sh0+H2GHE7SXrk1EC5m1Tr19L9gg92jYzBhMA4GA1UdDwEB/wQEAwIBBjAPBgNVHRMBAf8EBTADAQH/MB0GA1UdDgQWBBRYwB5fkUWlZql6zJChkyLQKsXF+jAfBgNVHSMEGDAWgBRYwB5fkUWlZql6zJChkyLQKsXF+jAKBggqhkjOPQQDAwNpADBmAjEAj1nHeXZp+13NWBNa+EDsDP8G1WWg1tCMWP/WHPqpaVo0jhsweNFZgSs0eE7wYI4qAjEA2WB9ot98sIkoF3vZYdd3/VtWB5b9TNMea7Ix/stJ5TfcLLeABLE4BNJOsQ4vnBHJ"
          }
        ]
      },
      "validFor": {
        "start": "2022-04-13T20:06:15Z"
      }
    }
  ],
  "ctlogs": [
    {
      "baseUrl": "https://ctfe.sigstore.dev/test",
      "hashAlgorithm": "SHA2_256",
      "publicKey": {
        "rawBytes": "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEbfwR+RJudXscgRBRpKX1XFDy3PyudDxz/SfnRi1fT8ekpfBd2O1uoz7jr3Z8nKzxA69EUQ+eFCFI3zeubPWU7w==",
        "keyDetails": "PKIX_ECDSA_P256_SHA_256",
        "validFor": {
          "start": "2021-03-14T00:00:00Z",
          "end": "2022-10-31T23:59:59.999Z"
        }
      },
      "logId": {
        "keyId": "CGCS8ChS/2hF0dFrJ4ScRWcYrBY9wzjSbea8IgY2b3I="
      }
    },
    {
      "baseUrl": "https://ctfe.sigstore.dev/2022",
      "hashAlgorithm": "SHA2_256",
      "publicKey": {
        "rawBytes": "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEiPSlFi0CmFTfEjCUqF9HuCEcYXNKAaYalIJmBZ8yyezPjTqhxrKBpMnaocVtLJBI1eM3uXnQzQGAJdJ4gs9Fyw==",
        "keyDetails": "PKIX_ECDSA_P256_SHA_256",
        "validFor": {
          "start": "2022-10-20T00:00:00Z"
        }
      },
      "logId": {
        "keyId": "3T0wasbHETJjGR4cmWc3AqJKXrjePK3/h4pygC8p7o4="
      }
    }
  ],
  "timestampAuthorities": [
    {
      "subject": {
        "organization": "sigstore.dev",
        "commonName": "sigstore-tsa-selfsigned"
      },
      "uri": "https://timestamp.sigstore.dev/api/v1/timestamp",
      "certChain": {
        "certificates": [
          {
            "rawBytes": "MIICEDCCAZagAwIBAgIUOhNULwyQYe68wUMvy4qOiyojiwwwCgYIKoZIzj0EAwMwOTEVMBMGA1UEChMMc2lnc3RvcmUuZGV2MSAwHgYDVQQDExdzaWdzdG9yZS10c2Etc2VsZnNpZ25lZDAeFw0yNTA0MDgwNjU5NDNaFw0zNTA0MDYwNjU5NDNaMC4xFTATBgNVBAoTDHNpZ3N0b3JlLmRldjEVMBMGA1UEAxMMc2lnc3RvcmUtdHNhMHYwEAYHKoZIzj0CAQYFK4EEACIDYgAE4ra2Z8hKNig2T9kFjCAToGG30jky+WQv3BzL+mKvh1SKNR/UwuwsfNCg4sryoYAd8E6isovVA3M4aoNdm9QDi50Z8nTEyvqgfDPtTIwXItfiW/AFf1V7uwkbkAoj0xxco2owaDAOBgNVHQ8BAf8EBAMCB4AwHQYDVR0OBBYEFIn9eUOHz9BlRsMCRscsc1t9tOsDMB8GA1UdIwQYMBaAFJjsAe9/u1H/1JUeb4qImFMHic6/MBYGA1UdJQEB/wQMMAoGCCsGAQUFBwMIMAoGCCqGSM49BAMDA2gAMGUCMDtpsV/6KaO0qyF/UMsX2aSUXKQFdoGTptQGc0ftq1csulHPGG6dsmyMNd3JB+G3EQIxAOajvBcjpJmKb4Nv+2Taoj8Uc5+b6ih6FXCCKraSqupe07zqswMcXJTe1cExvHvvlw=="
          },
          {
            "rawBytes": "MIIB9zCCAXygAwIBAgIUV7f0GLDOoEzIh8LXSW80OJiUp14wCgYIKoZIzj0EAwMwOTEVMBMGA1UEChMMc2lnc3RvcmUuZGV2MSAwHgYDVQQDExdzaWdzdG9yZS10c2Etc2VsZnNpZ25lZDAeFw0yNTA0MDgwNjU5NDNaFw0zNTA0MDYwNjU5NDNaMDkxFTATBgNVBAoTDHNpZ3N0b3JlLmRldjEgMB4GA1UEAxMXc2lnc3RvcmUtdHNhLXNlbGZzaWduZWQwdjAQBgcqhkjOPQIBBgUrgQQAIgNiAAQUQNtfRT/ou3YATa6wB/kKTe70cfJwyRIBovMnt8RcJph/COE82uyS6FmppLLL1VBPGcPfpQPYJNXzWwi8icwhKQ6W/Qe2h3oebBb2FHpwNJDqo+TMaC/tdfkv/ElJB72jRTBDMA4GA1UdDwEB/wQEAwIBBjASBgNVHRMBAf8ECDAGAQH/AgEAMB0GA1UdDgQWBBSY7AHvf7tR/9SVHm+KiJhTB4nOvzAKBggqhkjOPQQDAwNpADBmAjEAwGEGrfGZR1cen1R8/DTVMI943LssZmJRtDp/i7SfGHmGRP6gRbuj9vOK3b67Z0QQAjEAuT2H673LQEaHTcyQSZrkp4mX7WwkmF+sVbkYY5mXN+RMH13KUEHHOqASaemYWK/E"
          }
        ]
      },
      "validFor": {
        "start": "2025-07-04T00:00:00Z"
      }
    }
  ]
}
"#;

/// SHA-256 of [`PUBLIC_GOOD_TRUSTED_ROOT_JSON`].
pub const PUBLIC_GOOD_TRUSTED_ROOT_SHA256: &str = "6494e21ea73fa7ee769f85f57d5a3e6a08725eae1e38c755fc3517c9e6bc0b66";

/// A transparency or CT log key: its id (SHA-256 of the SPKI), SPKI DER and validity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogKey {
    /// The log id the trust root names (for Rekor v1 and CT: SHA-256 of `spki_der`).
    pub log_id: Vec<u8>,
    /// SubjectPublicKeyInfo DER.
    pub spki_der: Vec<u8>,
    /// Validity window (unix seconds); `None` end = open.
    pub valid: (u64, Option<u64>),
}

/// A Fulcio CA: its chain (issuer-most last) and validity window.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertAuthority {
    /// DER certificates, leaf-most first, root last.
    pub chain: Vec<Vec<u8>>,
    /// Validity window (unix seconds).
    pub valid: (u64, Option<u64>),
}

/// A parsed Sigstore trust root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrustedRoot {
    /// Rekor log keys.
    pub tlogs: Vec<LogKey>,
    /// Certificate-transparency log keys.
    pub ctlogs: Vec<LogKey>,
    /// Fulcio certificate authorities.
    pub cas: Vec<CertAuthority>,
    /// RFC 3161 timestamp authorities (`timestampAuthorities`): the TSA chain, leaf first.
    pub tsas: Vec<CertAuthority>,
    /// Production (compiled in) or caller-supplied.
    pub kind: AnchorKind,
    /// SHA-256 (hex) of the JSON it was read from.
    pub sha256: String,
}

/// The trust root JSON does not parse or lacks what verification needs.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("sigstore trust root: {0}")]
pub struct TrustRootError(pub String);

#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawRoot {
    media_type: String,
    #[serde(default)]
    tlogs: Vec<RawLog>,
    #[serde(default)]
    certificate_authorities: Vec<RawCa>,
    #[serde(default)]
    ctlogs: Vec<RawLog>,
    #[serde(default)]
    timestamp_authorities: Vec<RawCa>,
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawLog {
    public_key: RawKey,
    log_id: RawLogId,
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawLogId {
    key_id: String,
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawKey {
    raw_bytes: String,
    valid_for: Option<RawValidity>,
}

#[derive(serde::Deserialize)]
struct RawValidity {
    start: Option<String>,
    end: Option<String>,
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawCa {
    cert_chain: RawChain,
    valid_for: Option<RawValidity>,
}

#[derive(serde::Deserialize)]
struct RawChain {
    certificates: Vec<RawCert>,
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawCert {
    raw_bytes: String,
}

fn b64(s: &str, what: &str) -> Result<Vec<u8>, TrustRootError> {
    base64::engine::general_purpose::STANDARD
        .decode(s)
        .map_err(|e| TrustRootError(format!("{what}: bad base64: {e}")))
}

fn validity(v: Option<&RawValidity>) -> Result<(u64, Option<u64>), TrustRootError> {
    let parse = |s: &str| {
        // Accept fractional seconds (`…59.999Z`) by truncating them.
        let trimmed = match s.split_once('.') {
            Some((head, _)) => format!("{head}Z"),
            None => s.to_string(),
        };
        Timestamp::parse_rfc3339(&trimmed).map(Timestamp::unix).map_err(|e| TrustRootError(format!("validFor {s}: {e}")))
    };
    let Some(v) = v else { return Err(TrustRootError("an entry has no validFor".into())) };
    let start = match v.start.as_deref() {
        Some(s) => parse(s)?,
        None => return Err(TrustRootError("validFor has no start".into())),
    };
    let end = v.end.as_deref().map(parse).transpose()?;
    Ok((start, end))
}

fn logs(raw: &[RawLog]) -> Result<Vec<LogKey>, TrustRootError> {
    raw.iter()
        .map(|l| {
            Ok(LogKey {
                log_id: b64(&l.log_id.key_id, "logId")?,
                spki_der: b64(&l.public_key.raw_bytes, "publicKey")?,
                valid: validity(l.public_key.valid_for.as_ref())?,
            })
        })
        .collect()
}

impl TrustedRoot {
    /// The compiled-in Sigstore public-good root.
    pub fn public_good() -> Result<TrustedRoot, TrustRootError> {
        Self::parse(PUBLIC_GOOD_TRUSTED_ROOT_JSON.as_bytes(), AnchorKind::Production)
    }

    /// A root read from a file the auditor named. It is marked [`AnchorKind::DangerTest`]:
    /// reports made with it say the Sigstore root is not the pinned one.
    pub fn from_json(json: &[u8]) -> Result<TrustedRoot, TrustRootError> {
        let kind = if crate::crypto::sha256(json) == pinned_digest() { AnchorKind::Production } else { AnchorKind::DangerTest };
        Self::parse(json, kind)
    }

    fn parse(json: &[u8], kind: AnchorKind) -> Result<TrustedRoot, TrustRootError> {
        let raw: RawRoot = serde_json::from_slice(json).map_err(|e| TrustRootError(format!("does not parse: {e}")))?;
        if !raw.media_type.starts_with("application/vnd.dev.sigstore.trustedroot") {
            return Err(TrustRootError(format!("unknown mediaType {:?}", raw.media_type)));
        }
        let authorities = |list: &[RawCa]| {
            list.iter()
                .map(|c| {
                    let chain = c.cert_chain.certificates.iter().map(|x| b64(&x.raw_bytes, "certificate")).collect::<Result<Vec<_>, _>>()?;
                    if chain.is_empty() {
                        return Err(TrustRootError("a certificate authority has an empty chain".into()));
                    }
                    Ok(CertAuthority { chain, valid: validity(c.valid_for.as_ref())? })
                })
                .collect::<Result<Vec<_>, _>>()
        };
        Ok(TrustedRoot {
            tlogs: logs(&raw.tlogs)?,
            ctlogs: logs(&raw.ctlogs)?,
            cas: authorities(&raw.certificate_authorities)?,
            tsas: authorities(&raw.timestamp_authorities)?,
            kind,
            sha256: hex::encode(crate::crypto::sha256(json)),
        })
    }
}

fn pinned_digest() -> [u8; 32] {
    let mut out = [0u8; 32];
    if let Ok(v) = hex::decode(PUBLIC_GOOD_TRUSTED_ROOT_SHA256) {
        if let Some(d) = v.get(..32) {
            out.copy_from_slice(d);
        }
    }
    out
}

/// Whether `t` lies in the window `(start, end)`.
pub fn within(valid: (u64, Option<u64>), t: u64) -> bool {
    t >= valid.0 && valid.1.is_none_or(|end| t <= end)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_compiled_public_good_root_is_pinned_by_digest_and_parses() {
        assert_eq!(hex::encode(crate::crypto::sha256(PUBLIC_GOOD_TRUSTED_ROOT_JSON.as_bytes())), PUBLIC_GOOD_TRUSTED_ROOT_SHA256);
        let r = TrustedRoot::public_good().unwrap();
        assert_eq!(r.kind, AnchorKind::Production);
        assert_eq!((r.tlogs.len(), r.ctlogs.len(), r.cas.len(), r.tsas.len()), (2, 2, 2, 1));
        let edited = PUBLIC_GOOD_TRUSTED_ROOT_JSON.replacen("\"https://rekor.sigstore.dev\"", "\"https://rekor.example\"", 1);
        assert_ne!(edited, PUBLIC_GOOD_TRUSTED_ROOT_JSON);
        assert_eq!(TrustedRoot::from_json(edited.as_bytes()).unwrap().kind, AnchorKind::DangerTest);
    }
}
