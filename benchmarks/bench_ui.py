"""Many users at once: N simultaneous users of `assistant serve`, over the REST API and gradio_client.

Usage:
    .venv/bin/python benchmarks/bench_ui.py --index /tmp/seeds-index
    .venv/bin/python benchmarks/bench_ui.py --index IDX --users 20 --rounds 3 --no-baseline
    .venv/bin/python benchmarks/bench_ui.py --url http://127.0.0.1:7860/   # a running server

It starts `assistant serve` (the real command, in its own process, on 127.0.0.1 only) twice:
(a) as before this change (``ASSISTANT_QUERY_BATCH=1``: no micro-batcher, 2 Gradio events at
once) as the baseline, and (b) as shipped, reporting each one's startup (page, model); then it
runs one REST user, N REST users, one gradio_client user and N gradio_client users, each phase
against (a) then (b), so both see the same background load on a shared machine: p50/p95
latency, searches per second (from when all users are connected) and errors. Every question is
a different one from the eval sets (the query cache hides nothing). Bounded: at most 64 users,
20 rounds, 10 minutes per phase.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PHASE_SECONDS = 600


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def questions(eval_dir: Path) -> list[str]:
    out = []
    for name in ("seeds_qa", "xquad_ar", "tydiqa_goldp_ar"):
        path = eval_dir / name / "queries.jsonl"
        if path.exists():
            out += [json.loads(line)["text"] for line in path.read_text("utf-8").splitlines() if line.strip()]
    return list(dict.fromkeys(out))


def run_users(users: int, rounds: int, ask, pool: list[str]) -> tuple[list[float], list[str], float]:
    """``users`` threads, each asking ``rounds`` questions (``ask(session, q)`` -> error or None)."""
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    began: list[float] = []  # when every user has connected: throughput counts from there
    gate = threading.Barrier(users, action=lambda: began.append(time.perf_counter()))

    def user(i: int) -> None:
        try:
            session = ask.open()
        except Exception as exc:  # a refused connection counts as an error, not a crash
            with lock:
                errors.append(f"connect: {exc!r}"[:200])
            gate.abort()
            return
        try:
            gate.wait(120)
        except threading.BrokenBarrierError:
            pass
        for r in range(rounds):
            q = pool[(i * rounds + r) % len(pool)]
            t0 = time.perf_counter()
            try:
                error = ask(session, q)
            except Exception as exc:
                error = repr(exc)
            with lock:
                latencies.append(time.perf_counter() - t0)
                if error:
                    errors.append(str(error)[:200])

    threads = [threading.Thread(target=user, args=(i,), daemon=True) for i in range(users)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join(max(1.0, PHASE_SECONDS - (time.perf_counter() - t0)))
    return latencies, errors, time.perf_counter() - (began[0] if began else t0)


class Rest:
    def __init__(self, url: str, auth):
        self.url, self.auth = url.rstrip("/") + "/api/v1/search", auth

    def open(self):
        import httpx

        return httpx.Client(timeout=120, auth=self.auth)

    def __call__(self, session, q: str):
        r = session.post(self.url, json={"query": q, "k": 5})
        return None if r.status_code == 200 else f"{r.status_code} {r.text[:120]}"


class Gradio:
    def __init__(self, url: str, auth):
        self.url, self.auth = url, auth

    def open(self):
        from gradio_client import Client

        return Client(self.url, auth=self.auth, verbose=False)

    def __call__(self, session, q: str):
        out = session.predict(q, 5, [], api_name="/search")
        return out.get("error")


def report(label: str, users: int, rounds: int, result) -> None:
    latencies, errors, wall = result
    n = len(latencies)
    line = f"  {label:<24} {users:>2} users x {rounds:<2}"
    if latencies:
        line += (f" p50 {statistics.median(latencies) * 1000:6.0f} ms  p95 {percentile(latencies, .95) * 1000:6.0f} ms"
                 f"  {n / wall:5.1f} searches/s")
    print(f"{line}  errors {len(errors)}", flush=True)
    for e in errors[:3]:
        print(f"    {e}")


def start_server(index: str, env: dict[str, str]) -> tuple[subprocess.Popen, str]:
    """`assistant serve` on a free 127.0.0.1 port, returned once the model (and, unless switched
    off, the compiled query path) is in use."""
    from assistant.ui.server import free_port

    port = free_port()
    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "assistant", "serve", "--index", index, "--port", str(port)],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            env={**os.environ, "PYTHONPATH": str(ROOT), **env})
    model, graph = False, env.get("ASSISTANT_QUERY_GRAPH", "1") == "0"
    for line in proc.stdout:
        if line.startswith("serving on"):
            print(f"  page answered {time.perf_counter() - t0:.1f} s after start", flush=True)
        elif line.startswith("model loaded"):
            print(f"  model loaded {time.perf_counter() - t0:.1f} s after start", flush=True)
            model = True
        elif "fast query path" in line and ("ready" in line or "unavailable" in line):
            print(f"  {line.strip()} ({time.perf_counter() - t0:.1f} s)", flush=True)
            graph = True
        elif line.startswith("error"):
            sys.exit(line.strip())
        if model and graph:
            break
    threading.Thread(target=proc.stdout.read, daemon=True).start()  # keep draining its output
    return proc, f"http://127.0.0.1:{port}/"


def phases(servers: list[tuple[str, str]], args, pool: list[str]) -> None:
    """Each phase against each server in turn (labels a, b, …), so all see the same background load."""
    auth = tuple(args.auth.split(":", 1)) if args.auth else None
    for _, url in servers:
        run_users(1, 3, Rest(url, auth), pool[-3:])  # warm-up (not reported)
    offset = 0
    for kind, client, users, rounds in (("REST /api/v1/search", Rest, 1, args.solo),
                                        ("REST /api/v1/search", Rest, args.users, args.rounds),
                                        ("gradio_client /search", Gradio, 1, args.solo),
                                        ("gradio_client /search", Gradio, args.users, args.rounds)):
        for name, url in servers:
            result = run_users(users, rounds, client(url, auth), pool[offset:])
            offset += users * rounds  # every question once in the whole run: no cache hits
            report(f"{name}: {kind}", users, rounds, result)
        print(f"    (load average {os.getloadavg()[0]:.2f})", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", help="a running server (127.0.0.1 only); default: start `assistant serve`")
    parser.add_argument("--index", default="index", help="index folder for the started servers")
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=3, help="questions per user")
    parser.add_argument("--solo", type=int, default=20, help="questions of the one-user runs")
    parser.add_argument("--auth", help="NAME:PASSWORD for a server with a users file")
    parser.add_argument("--no-baseline", action="store_true", help="skip the run without the micro-batcher")
    parser.add_argument("--eager", action="store_true", help="both servers without the compiled query path "
                                                               "(ASSISTANT_QUERY_GRAPH=0)")
    parser.add_argument("--eval-dir", default=os.environ.get("ASSISTANT_EVAL_DIR") or ROOT.parent / "shared" / "eval",
                        help="where the questions come from (default: $ASSISTANT_EVAL_DIR or ../shared/eval)")
    args = parser.parse_args()
    if not (1 <= args.users <= 64 and 1 <= args.rounds <= 20 and 1 <= args.solo <= 100):
        sys.exit("error: keep it bounded: --users 1..64, --rounds 1..20, --solo 1..100")
    if args.url and not args.url.startswith(("http://127.0.0.1:", "http://localhost:")):
        sys.exit("error: load tests run against 127.0.0.1 only")
    pool = questions(Path(args.eval_dir))
    if len(pool) < 2 * (args.solo * 2 + args.users * args.rounds * 2) + 3:
        sys.exit(f"error: not enough distinct questions in {args.eval_dir}")
    from bench_batch import cpu_name

    print(f"CPU: {cpu_name()}, {os.cpu_count()} cores; load average {os.getloadavg()[0]:.2f} (1 min) at start; "
          "shared machine", flush=True)
    if args.url:
        phases([("given", args.url)], args, pool)
        return
    runs = [("a", "baseline: no micro-batcher (ASSISTANT_QUERY_BATCH=1)", {"ASSISTANT_QUERY_BATCH": "1"}),
            ("b", "as shipped: micro-batcher on", {})][1 if args.no_baseline else 0:]
    servers, procs = [], []
    try:
        for name, label, env in runs:
            if args.eager:
                env, label = {**env, "ASSISTANT_QUERY_GRAPH": "0"}, label + ", eager model (ASSISTANT_QUERY_GRAPH=0)"
            print(f"{name} = {label}", flush=True)
            proc, url = start_server(args.index, env)
            procs.append(proc)
            servers.append((name, url))
        phases(servers, args, pool)
    finally:
        for proc in procs:
            proc.terminate()
            proc.wait(30)
    print(f"load average {os.getloadavg()[0]:.2f} at the end")


if __name__ == "__main__":
    main()
