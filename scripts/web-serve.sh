#!/bin/sh
# Build the scanner page and serve it on loopback only: http://127.0.0.1:${PORT:-8765}/
#   scripts/web-serve.sh [--no-build] [web-build.sh flags]
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
if [ "${1:-}" = --no-build ]; then shift; else "$ROOT/scripts/web-build.sh" "$@"; fi
PORT=${PORT:-8765}
echo "teescan scanner page: http://127.0.0.1:$PORT/  (loopback only; Ctrl-C stops)" >&2
exec python3 -m http.server "$PORT" --bind 127.0.0.1 --directory "$ROOT/web"
