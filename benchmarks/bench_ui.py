"""Many users at once: N simultaneous users of `assistant serve`, over the REST API and gradio_client.

Usage:
    .venv/bin/python benchmarks/bench_ui.py --index /tmp/seeds-index
    .venv/bin/python benchmarks/bench_ui.py --index IDX --users 20 --rounds 3 --no-baseline
    .venv/bin/python benchmarks/bench_ui.py --url http://127.0.0.1:7860/   # a running server

It starts `assistant serve` (the real command, in its own process, on 127.0.0.1 only) twice:
first as before this change (``ASSISTANT_QUERY_BATCH=1``: no micro-batcher) as the baseline,
then as shipped; for each it reports the startup (page, model), then one REST user, N REST
users and N gradio_client users: p50/p95 latency, searches per second and errors. Every
question is a different one from the eval sets (so the query cache hides nothing). Bounded:
at most 64 users, 20 rounds, 10 minutes per phase.
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


def start_server(index: str, env_extra: dict[str, str]) -> tuple[subprocess.Popen, str]:
    from assistant.ui.server import free_port

    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT), **env_extra}
    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "assistant", "serve", "--index", index, "--port", str(port)],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    for line in proc.stdout:
        if line.startswith("serving on"):
            print(f"  page answered {time.perf_counter() - t0:.1f} s after start", flush=True)
        if line.startswith("model loaded"):
            print(f"  model loaded {time.perf_counter() - t0:.1f} s after start", flush=True)
            break
        if line.startswith("error"):
            sys.exit(line.strip())
    time.sleep(3)  # the compiled query path attaches right after the model (it is cached)
    return proc, f"http://127.0.0.1:{port}/"


def phases(url: str, args, pool: list[str], offset: int) -> None:
    auth = tuple(args.auth.split(":", 1)) if args.auth else None
    rest, grad = Rest(url, auth), Gradio(url, auth)
    run_users(1, 3, rest, pool[-3:])  # warm-up (not reported)
    report("REST /api/v1/search", 1, args.solo, run_users(1, args.solo, rest, pool[offset:]))
    offset += args.solo
    report("REST /api/v1/search", args.users, args.rounds, run_users(args.users, args.rounds, rest, pool[offset:]))
    offset += args.users * args.rounds
    report("gradio_client /search", 1, args.solo, run_users(1, args.solo, grad, pool[offset:]))
    offset += args.solo
    report("gradio_client /search", args.users, args.rounds,
           run_users(args.users, args.rounds, grad, pool[offset:]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", help="a running server (127.0.0.1 only); default: start `assistant serve`")
    parser.add_argument("--index", default="index", help="index folder for the started servers")
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=3, help="questions per user")
    parser.add_argument("--solo", type=int, default=20, help="questions of the one-user runs")
    parser.add_argument("--auth", help="NAME:PASSWORD for a server with a users file")
    parser.add_argument("--no-baseline", action="store_true", help="skip the run without the micro-batcher")
    parser.add_argument("--eval-dir", default=os.environ.get("ASSISTANT_EVAL_DIR") or ROOT.parent / "shared" / "eval",
                        help="where the questions come from (default: $ASSISTANT_EVAL_DIR or ../shared/eval)")
    args = parser.parse_args()
    if not (1 <= args.users <= 64 and 1 <= args.rounds <= 20 and 1 <= args.solo <= 100):
        sys.exit("error: keep it bounded: --users 1..64, --rounds 1..20, --solo 1..100")
    if args.url and not args.url.startswith(("http://127.0.0.1:", "http://localhost:")):
        sys.exit("error: load tests run against 127.0.0.1 only")
    pool = questions(Path(args.eval_dir))
    if len(pool) < 2 * (args.solo * 2 + args.users * args.rounds * 2):
        sys.exit(f"error: not enough distinct questions in {args.eval_dir}")
    from bench_batch import cpu_name

    print(f"CPU: {cpu_name()}, {os.cpu_count()} cores; load average {os.getloadavg()[0]:.2f} (1 min) at start; "
          "shared machine", flush=True)
    if args.url:
        phases(args.url, args, pool, 0)
        return
    runs = [("baseline: no micro-batcher (ASSISTANT_QUERY_BATCH=1)", {"ASSISTANT_QUERY_BATCH": "1"}, 0),
            ("as shipped: micro-batcher on", {}, len(pool) // 2)]
    for label, env, offset in runs[1 if args.no_baseline else 0:]:
        print(f"{label}; load average {os.getloadavg()[0]:.2f}", flush=True)
        proc, url = start_server(args.index, env)
        try:
            phases(url, args, pool, offset)
        finally:
            proc.terminate()
            proc.wait(30)
    print(f"load average {os.getloadavg()[0]:.2f} at the end")


if __name__ == "__main__":
    main()
