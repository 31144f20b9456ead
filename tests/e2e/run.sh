#!/usr/bin/env bash
# Browser tests: installs playwright-core (pinned in package-lock.json) and runs site.spec.mjs,
# which starts its own `calipso serve` (CALIPSO_BIN, default build/calipso) on a free port with
# a throwaway SQLite database, and drives /usr/bin/chromium (override with CHROMIUM).
set -euo pipefail
cd "$(dirname "$0")"
if [[ -f package-lock.json ]]; then
  npm ci --no-audit --no-fund --loglevel=error
else
  npm install --no-audit --no-fund --loglevel=error
fi
exec node site.spec.mjs "$@"
