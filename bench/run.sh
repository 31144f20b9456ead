#!/usr/bin/env bash
# Benchmark (not part of `make test`): wrk against nginx serving a saved copy of the home
# page and against calipso's home and post pages, on SQLite and on PostgreSQL, in one run.
# Writes the table to bench/RESULTS.md. Usage: bench/run.sh [BUILD_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
build=$(realpath "${1:-build}")
for p in wrk nginx-light; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$p"; }
done
[[ -x "$build/calipso" ]] || { echo "bench: build first (make build)" >&2; exit 1; }
export CALIPSO_BIN="$build/calipso"
tests/support/with-postgres.sh /usr/bin/python3 bench/bench.py
