//! Verification time. Every verification takes an explicit [`Timestamp`]; nothing reads the clock
//! except [`Timestamp::now`], which only the CLI calls when `--at` is not given.

use std::fmt;

/// A point in time, in whole seconds since the Unix epoch (UTC).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(u64);

/// An RFC 3339 string that could not be read as a time.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid RFC 3339 time {input:?}: {reason}")]
pub struct TimeError {
    /// The text given.
    pub input: String,
    /// Why it was rejected.
    pub reason: String,
}

impl Timestamp {
    /// From seconds since the epoch.
    pub const fn from_unix(secs: u64) -> Self {
        Timestamp(secs)
    }
    /// Seconds since the epoch.
    pub const fn unix(self) -> u64 {
        self.0
    }
    /// The current time (the only place the crate reads the clock).
    pub fn now() -> Self {
        let secs = chrono::Utc::now().timestamp();
        Timestamp(u64::try_from(secs).unwrap_or(0))
    }
    /// Parse RFC 3339 (`2026-07-01T00:00:00Z`, offsets allowed; fractions truncated).
    pub fn parse_rfc3339(s: &str) -> Result<Self, TimeError> {
        let dt = chrono::DateTime::parse_from_rfc3339(s.trim()).map_err(|e| TimeError {
            input: s.to_owned(),
            reason: e.to_string(),
        })?;
        let secs = u64::try_from(dt.timestamp()).map_err(|_| TimeError {
            input: s.to_owned(),
            reason: "before 1970".to_owned(),
        })?;
        Ok(Timestamp(secs))
    }
    /// RFC 3339 in UTC with a `Z` suffix.
    pub fn to_rfc3339(self) -> String {
        i64::try_from(self.0)
            .ok()
            .and_then(|s| chrono::DateTime::<chrono::Utc>::from_timestamp(s, 0))
            .map(|d| d.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
            .unwrap_or_else(|| format!("@{}", self.0))
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_rfc3339())
    }
}

impl<'de> serde::Deserialize<'de> for Timestamp {
    /// From RFC 3339 text, as [`Timestamp`] serialises.
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <String as serde::Deserialize>::deserialize(d)?;
        Timestamp::parse_rfc3339(&s).map_err(serde::de::Error::custom)
    }
}

impl serde::Serialize for Timestamp {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_rfc3339())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_rfc3339() {
        let t = Timestamp::parse_rfc3339("2026-07-01T00:00:00Z").unwrap();
        assert_eq!(t.unix(), 1_782_864_000);
        assert_eq!(t.to_rfc3339(), "2026-07-01T00:00:00Z");
        assert_eq!(
            Timestamp::parse_rfc3339("2026-07-01T02:00:00+02:00").unwrap(),
            t
        );
        assert!(Timestamp::parse_rfc3339("yesterday").is_err());
        assert!(Timestamp::parse_rfc3339("1960-01-01T00:00:00Z").is_err());
    }
}
