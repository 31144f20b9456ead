#!/usr/bin/env bash
# CPU per request of calipso's server against nginx and two minimal Asio servers (callback
# and coroutine style), on a hello-world response. Servers are pinned to CPU 0 and wrk to
# CPU 1; CPU time per request (from /proc) is far steadier than requests/s on a shared box.
# Needs: wrk, nginx (optional), a built calipso_lib (ninja -C build calipso_lib).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
out=${OUT:-$root/bench/out/http}
secs=${SECS:-3}
mkdir -p "$out"
flags=(-std=c++23 -O2 -DNDEBUG -DSPDLOG_FMT_EXTERNAL -DSPDLOG_COMPILED_LIB -DSPDLOG_SHARED_LIB -DFMT_SHARED)
g++ "${flags[@]}" -I"$root/src" "$here/hello.cpp" "$root/build/libcalipso_lib.a" -lboost_url -lboost_json \
  -lspdlog -lfmt -lsodium -lz -lbrotlienc -lbrotlidec -lcrypto -lpthread -o "$out/hello"
g++ -std=c++20 -O2 -DNDEBUG "$here/styles.cpp" -o "$out/styles" -lpthread

pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT
start() { taskset -c 0 "$@" >"$out/server.log" 2>&1 & pids+=($!); }
start "$out/hello" 18080 1
start "$out/hello" 18082 1 chain
start "$out/styles" 18090 cb
start "$out/styles" 18091 co
targets=("calipso:18080:${pids[0]}" "calipso+chain:18082:${pids[1]}" "asio-callback:18090:${pids[2]}"
         "asio-coroutine:18091:${pids[3]}")
if command -v nginx >/dev/null; then
  mkdir -p "$out/nginx"
  cp "$here/nginx.conf" "$out/nginx/"
  taskset -c 0 nginx -p "$out/nginx" -c "$out/nginx/nginx.conf" >"$out/nginx.log" 2>&1 & pids+=($!)
  sleep 0.5
  targets+=("nginx:18081:$(pgrep -P "${pids[-1]}" | head -1)")
fi
sleep 0.5

hz=$(getconf CLK_TCK)
printf "%-16s %10s %12s %12s\n" server "req/s" "user us/req" "sys us/req"
for t in "${targets[@]}"; do
  IFS=: read -r name port pid <<<"$t"
  read -r u0 s0 < <(awk '{print $14, $15}' /proc/"$pid"/stat)
  res=$(taskset -c 1 wrk -t1 -c50 -d"${secs}"s "http://127.0.0.1:$port/")
  read -r u1 s1 < <(awk '{print $14, $15}' /proc/"$pid"/stat)
  reqs=$(awk '/requests in/{print $1}' <<<"$res")
  rps=$(awk '/Requests\/sec/{print int($2)}' <<<"$res")
  python3 -c "print(f'%-16s %10d %12.2f %12.2f' % ('$name', $rps, ($u1-$u0)/$hz*1e6/$reqs, ($s1-$s0)/$hz*1e6/$reqs))"
done
