"""Runs the benchmark phases and writes bench/RESULTS.md.

Each phase: start the server, warm up, run `wrk -t2 -c64 -d10s --latency`, read the
server's CPU time (utime+stime from /proc/PID/stat) before and after, and its RSS after.
Cold start is the time from exec to the first 200 on the home page.
"""
import os, platform, re, shutil, signal, socket, subprocess, sys, tempfile, time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.environ["CALIPSO_BIN"]
PG_URL = os.environ.get("CALIPSO_TEST_PG_URL")
DURATION = os.environ.get("BENCH_DURATION", "10s")
CLK_TCK = os.sysconf("SC_CLK_TCK")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cpu_seconds(pid):
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK  # utime, stime (incl. all threads)


def rss_mb(pid):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def wait_200(url, timeout=10.0):
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        try:
            with urllib.request.urlopen(url, timeout=1) as r:
                if r.status == 200:
                    return time.monotonic() - start
        except Exception:
            time.sleep(0.002)
    raise RuntimeError(f"{url} did not answer 200 within {timeout}s")


def wrk(url):
    out = subprocess.run(["wrk", "-t2", "-c64", "-d" + DURATION, "--latency", url],
                         capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    total = int(re.search(r"(\d+) requests in", out).group(1))
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)", out)
    scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}[p99.group(2)]
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {"rps": rps, "requests": total, "p99_ms": float(p99.group(1)) * scale,
            "non2xx": int(errors.group(1)) if errors else 0}


def postgres_cpu():
    """CPU seconds of every PostgreSQL process (backends and helpers); they share our cores."""
    total = 0.0
    pids = subprocess.run(["pgrep", "-u", "postgres"], capture_output=True, text=True).stdout.split()
    for p in pids:
        try:
            total += cpu_seconds(int(p))
        except (FileNotFoundError, ProcessLookupError):
            pass
    return total


def measure(pid, url, external_db):
    subprocess.run(["wrk", "-t2", "-c64", "-d2s", url], capture_output=True, check=True)  # warm-up
    before, db_before = cpu_seconds(pid), postgres_cpu() if external_db else 0.0
    r = wrk(url)
    r["cpu_us_per_req"] = (cpu_seconds(pid) - before) / max(1, r["requests"]) * 1e6
    r["db_cpu_us_per_req"] = ((postgres_cpu() - db_before) / max(1, r["requests"]) * 1e6
                              if external_db else None)
    r["rss_mb"] = rss_mb(pid)
    return r


def start_calipso(db_url, data_dir):
    port = free_port()
    cfg = os.path.join(data_dir, "calipso.toml")
    with open(cfg, "w") as f:
        f.write(f'data_dir = "{data_dir}"\n[server]\nport = {port}\naccess_log = false\n'
                f'[database]\nurl = "{db_url}"\n')
    subprocess.run([BIN, "demo", "--config", cfg], check=True, capture_output=True)
    log = open(os.path.join(data_dir, "serve.log"), "w+")
    proc = subprocess.Popen([BIN, "serve", "--config", cfg], stdout=log, stderr=subprocess.STDOUT)
    cold = wait_200(f"http://127.0.0.1:{port}/")  # timed from just after exec
    log.seek(0)
    threads = re.search(r", (\d+) threads", log.read())
    return proc, port, cold, threads.group(1) if threads else "?"


def stop(proc):
    proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=15)


def nginx_phase(html, work):
    root = os.path.join(work, "www")
    os.makedirs(root)
    # nginx workers run as nobody: the temp dirs must be readable by them.
    for d in (os.path.dirname(work), work, root):
        os.chmod(d, 0o755)
    with open(os.path.join(root, "index.html"), "wb") as f:
        f.write(html)
    port = free_port()
    conf = os.path.join(work, "nginx.conf")
    with open(conf, "w") as f:
        f.write(f"""worker_processes 2; daemon off; pid {work}/nginx.pid; error_log {work}/nginx.err;
events {{ worker_connections 1024; }}
http {{ access_log off; sendfile on; tcp_nopush on; keepalive_requests 1000000;
  client_body_temp_path {work}/t1; proxy_temp_path {work}/t2; fastcgi_temp_path {work}/t3;
  uwsgi_temp_path {work}/t4; scgi_temp_path {work}/t5;
  default_type text/html;
  server {{ listen 127.0.0.1:{port}; root {root}; location / {{ index index.html; }} }} }}
""")
    proc = subprocess.Popen(["nginx", "-c", conf, "-p", work], stderr=subprocess.DEVNULL)
    try:
        return nginx_measure(proc, port)
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def nginx_measure(proc, port):
    wait_200(f"http://127.0.0.1:{port}/")
    # nginx runs as master + workers: sum the CPU of all of them.
    kids = subprocess.run(["pgrep", "-P", str(proc.pid)], capture_output=True, text=True).stdout.split()
    pids = [proc.pid] + [int(k) for k in kids]
    url = f"http://127.0.0.1:{port}/"
    subprocess.run(["wrk", "-t2", "-c64", "-d2s", url], capture_output=True, check=True)
    before = sum(cpu_seconds(p) for p in pids)
    r = wrk(url)
    r["cpu_us_per_req"] = (sum(cpu_seconds(p) for p in pids) - before) / max(1, r["requests"]) * 1e6
    r["rss_mb"] = sum(rss_mb(p) for p in pids)
    return r


def fmt_opt(x):
    return "" if x is None else f"{x:.1f}"


def psql(sql):
    subprocess.run(["psql", PG_URL, "-qAt", "-c", sql], check=True, capture_output=True)


def main():
    results, notes = [], []
    with tempfile.TemporaryDirectory() as work:
        backends = [("SQLite", lambda d: f"sqlite://{d}/calipso.db")]
        if PG_URL:
            psql("CREATE DATABASE calipso_bench")
            base = PG_URL.rsplit("/", 1)[0]
            backends.append(("PostgreSQL", lambda d: f"{base}/calipso_bench"))
        # The machine's speed drifts (other tenants): nginx runs before and after calipso and
        # the ratio is taken against the mean of the two.
        nginx_runs, thread_counts = [], []
        for i, (name, url_for) in enumerate(backends):
            data = os.path.join(work, name)
            os.makedirs(data)
            proc, port, cold, threads = start_calipso(url_for(data), data)
            thread_counts.append(f"{threads} with {name}")
            try:
                home = f"http://127.0.0.1:{port}/"
                with urllib.request.urlopen(home) as r:
                    body = r.read()
                if i == 0:
                    html = body
                    nginx_runs.append(nginx_phase(html, os.path.join(work, "ng-before")))
                post = re.search(rb'href="(/[a-z0-9-]+)"', body.split(b"<main", 1)[-1]).group(1).decode()
                pg = name == "PostgreSQL"
                results.append((f"calipso home ({name})", measure(proc.pid, home, pg), cold))
                results.append((f"calipso post {post} ({name})", measure(proc.pid, home.rstrip("/") + post, pg), None))
            finally:
                stop(proc)
        nginx_runs.append(nginx_phase(html, os.path.join(work, "ng-after")))
        runs = " and ".join(f"{r['rps']:.0f}" for r in nginx_runs)
        mean = {k: sum(r[k] for r in nginx_runs) / len(nginx_runs) for k in nginx_runs[0] if k != "non2xx"}
        mean["non2xx"] = sum(r["non2xx"] for r in nginx_runs)
        results.insert(0, (f"nginx, saved home page ({len(html)} B; mean of runs before and after: {runs} req/s)",
                           mean, None))

    ref = results[0][1]["rps"]
    cpu = open("/proc/cpuinfo").read()
    model = re.search(r"model name\s*:\s*(.*)", cpu).group(1)
    lines = [
        "# Benchmark results", "",
        f"Command: `bench/run.sh` (wrk -t2 -c64 -d{DURATION} --latency, loopback, one run). "
        f"Machine: {os.cpu_count()} cores ({model}), {platform.system()} {platform.release()}.",
        f"Date: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}. calipso: default settings "
        f"(worker threads: {', '.join(thread_counts)}), access log off, "
        "no page cache (every page rendered per request). nginx: 2 workers, sendfile.", "",
        "| target | req/s | × nginx | p99 ms | server CPU µs/req | PostgreSQL CPU µs/req | RSS MB after "
        "| cold start ms | non-2xx |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, r, cold in results:
        lines.append(f"| {name} | {r['rps']:.0f} | {r['rps'] / ref:.2f} | {r['p99_ms']:.2f} | "
                     f"{r['cpu_us_per_req']:.1f} | {fmt_opt(r.get('db_cpu_us_per_req'))} | {r['rss_mb']:.1f} | "
                     f"{'' if cold is None else f'{cold * 1000:.0f}'} | {r['non2xx']} |")
    lines += ["", "Targets (issue 2), checked against this run:", ""]
    for name, r, cold in results[1:]:
        if " home " not in f" {name} ":
            continue
        checks = [(f"{r['rps'] / ref:.2f}× nginx", r["rps"] / ref >= 0.2, "≥ 0.2×"),
                  (f"p99 {r['p99_ms']:.1f} ms", r["p99_ms"] < 20, "< 20 ms"),
                  (f"RSS {r['rss_mb']:.1f} MB", r["rss_mb"] < 40, "< 40 MB"),
                  (f"cold start {cold * 1000:.0f} ms", cold * 1000 < 150, "< 150 ms")]
        lines.append(f"- {name}: " + "; ".join(
            f"{text} ({'met' if ok else 'NOT met'}, target {target})" for text, ok, target in checks))
    lines += ["",
              "How to read it: wrk, the server and (for PostgreSQL) the database share the same two cores, "
              "so req/s understates what the server alone can do; the CPU columns do not depend on that "
              "(server: utime+stime of the calipso process over the run / requests; PostgreSQL: the same "
              "for every postgres process). Every page is rendered per request: a database query, "
              "Markdown already stored as HTML, mustache rendering of the page and its layout. "
              "The lists behind the menu and the recent-posts block are memoised per node and dropped on any content change; both are still rendered on every request.",
              ""]
    text = "\n".join(lines)
    print(text)
    with open(os.path.join(ROOT, "bench", "RESULTS.md"), "w") as f:
        f.write(text)


if __name__ == "__main__":
    main()
