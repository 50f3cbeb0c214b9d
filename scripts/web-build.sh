#!/bin/sh
# Build the scanner page into web/pkg/: teescan's core for wasm32-unknown-unknown (Debian's
# rustc-web + rust-web-src with -Zbuild-std, clang-19 for ring's C, wasm-ld from lld-19), the
# wasm-bindgen glue (wasm-bindgen-cli pinned to the crate's version), then `wasm-opt -Oz`
# (binaryen from npm). Recipe and measurements: ../shared/notes/wasm-build.md, README "The
# scanner page".
#
#   scripts/web-build.sh [--install-deps] [--dev]
#
# --install-deps  apt-get the Debian packages (rustc-web cargo-web rust-web-src clang-19 lld-19
#                 llvm chromium) when they are missing, and the browser test's playwright-core.
# --dev           unoptimised debug module (no LTO, no wasm-opt): ~35 s to rebuild after a change
#                 to web/src (the first one builds std and every dependency in debug, once).
# Tools are cached in $TEESCAN_TOOLS (default ~/.cache/teescan-tools) and reused when their
# version matches; the wasm build goes to $WASM_TARGET_DIR (default target/wasm32).
# Environment: WEB_REQUIRE_OPT=1 makes a missing wasm-opt an error (CI sets it).
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
TOOLS=${TEESCAN_TOOLS:-$HOME/.cache/teescan-tools}
WASM_TARGET_DIR=${WASM_TARGET_DIR:-$ROOT/target/wasm32}
WB_VERSION=0.2.130       # = the wasm-bindgen crate in web/Cargo.toml
BINARYEN_VERSION=132.0.0 # npm's binaryen; Debian's binaryen 108 breaks the module
PROFILE=release
INSTALL=0
for a in "$@"; do
  case $a in
    --install-deps) INSTALL=1 ;;
    --dev) PROFILE=dev ;;
    *) echo "usage: $0 [--install-deps] [--dev]" >&2; exit 2 ;;
  esac
done
say() { echo "web-build: $*" >&2; }

missing=""
[ -x /usr/bin/rustc ] && [ -d /usr/lib/rustlib/src/rust ] || missing="$missing rustc-web cargo-web rust-web-src"
command -v clang-19 >/dev/null || missing="$missing clang-19"
[ -x /usr/lib/llvm-19/bin/wasm-ld ] || missing="$missing lld-19"
command -v llvm-ar >/dev/null || missing="$missing llvm"
if [ -n "$missing" ]; then
  if [ "$INSTALL" = 1 ]; then
    say "installing$missing"
    SUDO=; [ "$(id -u)" = 0 ] || SUDO=sudo
    $SUDO apt-get update -qq
    # rustc-web, cargo-web and rust-web-src must match: installed together.
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      rustc-web cargo-web rust-web-src clang-19 lld-19 llvm chromium >/dev/null
  else
    say "missing Debian packages:$missing (run with --install-deps)"; exit 2
  fi
fi

# The browser test's driver (tests/browser.rs): playwright-core from npm, cached.
PLAYWRIGHT_VERSION=1.65.1
if [ "$INSTALL" = 1 ] && ! grep -q "\"version\": \"$PLAYWRIGHT_VERSION\"" "$TOOLS/npm/node_modules/playwright-core/package.json" 2>/dev/null; then
  say "installing playwright-core $PLAYWRIGHT_VERSION (npm) into $TOOLS/npm"
  npm install -s --no-audit --no-fund --prefix "$TOOLS/npm" "playwright-core@$PLAYWRIGHT_VERSION" >/dev/null
fi

# wasm-bindgen-cli, with the rustup toolchain (before RUSTC points at Debian's), cached.
WB="$TOOLS/bin/wasm-bindgen"
if ! "$WB" --version 2>/dev/null | grep -q " $WB_VERSION\$"; then
  say "installing wasm-bindgen-cli $WB_VERSION into $TOOLS (once; ~2.5 min)"
  # `--locked` fails: its lock pins a webpki-roots version the registry does not serve.
  env -u CARGO_TARGET_DIR cargo install -q wasm-bindgen-cli --version "=$WB_VERSION" --root "$TOOLS"
fi

started=$(date +%s)
export RUSTC=/usr/bin/rustc RUSTDOC=/usr/bin/rustdoc RUSTC_BOOTSTRAP=1
export CC_wasm32_unknown_unknown=clang-19 AR_wasm32_unknown_unknown=llvm-ar
export CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_LINKER=/usr/lib/llvm-19/bin/wasm-ld
# Portable crypto: web/Cargo.toml selects teescan's `crypto-ring` backend.
if [ "$PROFILE" = release ]; then flag=--release; dir=release; else flag=; dir=debug; fi
/usr/bin/cargo build $flag -q --manifest-path "$ROOT/web/Cargo.toml" --target-dir "$WASM_TARGET_DIR" \
  -Zbuild-std=std,panic_abort --target wasm32-unknown-unknown
WASM="$WASM_TARGET_DIR/wasm32-unknown-unknown/$dir/teescan_web.wasm"
rm -rf "$ROOT/web/pkg"
"$WB" --target web --no-typescript --out-dir "$ROOT/web/pkg" "$WASM"
MOD="$ROOT/web/pkg/teescan_web_bg.wasm"
raw=$(wc -c <"$MOD")

OPT="$TOOLS/npm/node_modules/.bin/wasm-opt"
if [ "$PROFILE" = release ]; then
  if [ ! -x "$OPT" ] || ! "$OPT" --version 2>/dev/null | grep -q "${BINARYEN_VERSION%%.*}"; then
    say "installing binaryen $BINARYEN_VERSION (npm) into $TOOLS/npm"
    npm install -s --no-audit --no-fund --prefix "$TOOLS/npm" "binaryen@$BINARYEN_VERSION" >/dev/null 2>&1 || true
  fi
  if [ -x "$OPT" ]; then
    # wasm-bindgen drops the target-features section: name the features rustc (LLVM 22) emits.
    "$OPT" -Oz --enable-bulk-memory --enable-bulk-memory-opt --enable-nontrapping-float-to-int \
      --enable-sign-ext --enable-mutable-globals --enable-reference-types --enable-multivalue \
      --enable-call-indirect-overlong "$MOD" -o "$MOD.opt"
    mv "$MOD.opt" "$MOD"
  elif [ "${WEB_REQUIRE_OPT:-0}" = 1 ]; then
    say "wasm-opt unavailable"; exit 1
  else
    say "warning: wasm-opt unavailable: the module is not size-optimised"
  fi
fi
# The page loads the module as a script (CSP connect-src 'none' forbids fetching it).
{ printf 'export const WASM = "'; base64 -w0 "$MOD"; printf '";\n'; } >"$ROOT/web/pkg/module.js"
size=$(wc -c <"$MOD")
gz=$(gzip -9 -c "$MOD" | wc -c)
say "built web/pkg in $(( $(date +%s) - started )) s: module $raw bytes after wasm-bindgen, $size bytes final, $gz gzipped"
