//! Scan-level provenance checks (filled in below).
