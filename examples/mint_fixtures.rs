//! Mint synthetic TDX fixtures signed by a TEST root (NOT Intel).
//!
//! Usage: `cargo run --example mint_fixtures -- OUT_DIR`
//! Writes `root.der`, `quote.bin`, `collateral.json`, `debug_quote.bin`, `README.md`.

#[path = "../tests/support/testpki.rs"]
mod testpki;

fn main() {
    let Some(out) = std::env::args_os().nth(1) else {
        eprintln!("usage: mint_fixtures OUT_DIR");
        std::process::exit(2);
    };
    let out = std::path::PathBuf::from(out);
    if let Err(e) = testpki::write_fixture_dir(&out) {
        eprintln!("error: writing fixtures to {}: {e}", out.display());
        std::process::exit(1);
    }
    println!(
        "wrote TEST-root (not Intel) TDX fixtures to {}; valid at {} (unix {})",
        out.display(),
        testpki::PINNED_TIME,
        testpki::PINNED_TIME_UNIX
    );
}
