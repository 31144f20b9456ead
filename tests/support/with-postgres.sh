#!/bin/sh
# Runs a command against a throwaway PostgreSQL 15 server (loopback only, trust auth,
# fsync off) with CALIPSO_TEST_PG_URL set, then stops the server and deletes its files.
# Usage: tests/support/with-postgres.sh CMD [ARGS...]   (exits with CMD's status)
set -eu

PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
[ $# -gt 0 ] || { echo "usage: $0 CMD [ARGS...]" >&2; exit 2; }
[ -x "$PGBIN/initdb" ] || { echo "$0: no PostgreSQL in $PGBIN" >&2; exit 2; }

# initdb refuses to run as root, so root runs the server as `postgres`.
if [ "$(id -u)" = 0 ]; then
  id postgres >/dev/null 2>&1 || useradd -r postgres
  as_pg() { runuser -u postgres -- "$@"; }
else
  as_pg() { "$@"; }
fi

dir=$(mktemp -d "${TMPDIR:-/tmp}/calipso-pg.XXXXXX")
[ "$(id -u)" = 0 ] && chown postgres "$dir"
started=

cleanup() {
  status=$?
  trap - EXIT INT TERM
  if [ -n "$started" ]; then as_pg "$PGBIN/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true; fi
  rm -rf "$dir"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])' 2>/dev/null ||
    echo $((20000 + $(od -An -N2 -tu2 /dev/urandom) % 40000))
}

as_pg "$PGBIN/initdb" -D "$dir/data" -A trust -U postgres --no-sync -E UTF8 --locale=C >"$dir/initdb.log" 2>&1 ||
  { cat "$dir/initdb.log" >&2; exit 1; }

# Another process may take the port between choosing and binding it; try a few.
for attempt in 1 2 3 4 5; do
  port=$(free_port)
  if as_pg "$PGBIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 30 -o \
      "-c listen_addresses=127.0.0.1 -p $port -c unix_socket_directories=$dir -c fsync=off \
       -c synchronous_commit=off -c full_page_writes=off" start >/dev/null 2>&1; then
    started=1
    break
  fi
done
[ -n "$started" ] || { echo "$0: PostgreSQL did not start" >&2; cat "$dir/server.log" >&2; exit 1; }

tries=0
until "$PGBIN/pg_isready" -q -h 127.0.0.1 -p "$port"; do
  tries=$((tries + 1))
  [ "$tries" -lt 100 ] || { echo "$0: PostgreSQL does not accept connections" >&2; cat "$dir/server.log" >&2; exit 1; }
  sleep 0.1
done

export CALIPSO_TEST_PG_URL="postgresql://postgres@127.0.0.1:$port/postgres"
set +e
"$@"
exit $?
