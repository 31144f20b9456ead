#!/usr/bin/env bash
# Installs the Debian packages calipso builds, runs and tests with (DESIGN.md §2).
# Idempotent: packages already present are skipped, so a second run costs one dpkg query.
set -euo pipefail

pkgs=(
  # build
  build-essential cmake ninja-build pkg-config git ca-certificates
  # libraries
  libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev
  libsqlite3-dev libpq-dev libhiredis-dev
  libkainjow-mustache-dev libcmark-gfm-dev libcmark-gfm-extensions-dev libgumbo-dev
  libsodium-dev libssl-dev zlib1g-dev libbrotli-dev libzstd-dev
  libspdlog-dev libfmt-dev libcli11-dev libtomlplusplus-dev libcurl4-openssl-dev libjemalloc-dev
  # tests and tools
  googletest libgtest-dev libgmock-dev libbenchmark-dev
  postgresql-15 redis-server sqlite3 libxml2-utils curl
  python3 python3-pytest chromium nodejs npm esbuild
)

missing=()
for p in "${pkgs[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$p")
done
# npm may come from NodeSource rather than Debian; a working npm on the PATH is enough.
if command -v npm >/dev/null && command -v node >/dev/null; then
  missing=("${missing[@]/#nodejs/}"); missing=("${missing[@]/#npm/}")
fi
missing=($(printf '%s\n' "${missing[@]}" | grep -v '^$' || true))

if ((${#missing[@]})); then
  if [[ $(id -u) -ne 0 ]]; then
    echo "install-deps: missing packages: ${missing[*]}" >&2
    echo "install-deps: run as root (or: sudo $0)" >&2
    exit 1
  fi
  echo "install-deps: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# initdb refuses to run as root; tests run PostgreSQL as this user.
if ! id postgres >/dev/null 2>&1; then
  useradd -r -M -d /var/lib/postgresql postgres 2>/dev/null || useradd -r postgres
fi
