//! Locate the third-party evidence corpus (`../shared/fixtures`), read in place, never copied.
//!
//! `TEESCAN_CORPUS` names it explicitly; when it is set the directory must exist (tests fail, not
//! skip, so CI notices a missing corpus). When it is unset, `../shared/fixtures` beside the crate
//! is used if present; otherwise corpus tests print a note and return.
#![allow(dead_code)]

use std::path::PathBuf;

/// The corpus root, or `None` (with a note on stderr) when it is absent and not required.
pub fn root() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("TEESCAN_CORPUS") {
        let dir = PathBuf::from(dir);
        let dir = if dir.is_relative() {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(dir)
        } else {
            dir
        };
        assert!(
            dir.join("tdx/manifest.json").is_file(),
            "TEESCAN_CORPUS={} is set but holds no tdx/manifest.json: the corpus is missing",
            dir.display()
        );
        return Some(dir);
    }
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/fixtures");
    if dir.join("tdx/manifest.json").is_file() {
        Some(dir)
    } else {
        eprintln!("note: corpus not found (set TEESCAN_CORPUS); skipping corpus test");
        None
    }
}

/// Read a corpus file.
pub fn read(root: &std::path::Path, rel: &str) -> Vec<u8> {
    std::fs::read(root.join(rel)).unwrap_or_else(|e| panic!("corpus file {rel}: {e}"))
}
