#!/usr/bin/env bash
# Runs every suite against the build in $1 (default: build). Expects CALIPSO_TEST_PG_URL
# (tests/support/with-postgres.sh sets it) so each suite also runs against PostgreSQL.
set -euo pipefail
cd "$(dirname "$0")/.."
build=$(realpath "${1:-build}")
export CALIPSO_BIN="$build/calipso" CALIPSO_TEST_REQUIRE_PG=1

echo "== unit tests"
(cd "$build" && ctest --output-on-failure -j "$(nproc)")
echo "== functional tests (SQLite and PostgreSQL)"
/usr/bin/python3 -m pytest tests/functional -q -p no:cacheprovider
echo "== browser tests"
tests/e2e/run.sh
echo "== all tests passed"
