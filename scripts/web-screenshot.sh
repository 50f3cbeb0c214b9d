#!/bin/sh
# Regenerate the README's screenshots of the scanner page (docs/screenshot-page-pass.png: the NEAR
# direct capture, PASS; docs/screenshot-page-fail.png: a tampered copy, FAIL; docs/screenshot-report-
# chain.png: its report's chain of trust): the browser test
# takes them in headless Chromium while it runs. Needs the built page (scripts/web-build.sh) and
# the corpus at ../shared/fixtures.
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
TEESCAN_SCREENSHOTS="$ROOT/docs" TEESCAN_WEB_REQUIRED=1 TEESCAN_CORPUS=${TEESCAN_CORPUS:-../shared/fixtures} \
  cargo test -q --test browser -- --nocapture
ls -l docs/screenshot-*.png
