"""N simultaneous gradio_client users against the launched UI: p50/p95 latency and errors.

Usage:
    .venv/bin/python benchmarks/bench_ui.py                      # launches the app on index/
    .venv/bin/python benchmarks/bench_ui.py --url http://127.0.0.1:7860/ --users 20
    .venv/bin/python benchmarks/bench_ui.py --index /tmp/idx --endpoint ask --rounds 2

Each user opens its own client, then sends ``--rounds`` questions (cycling through the UI's
example questions) to ``/search`` (default) or ``/ask``, all users starting together.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def run_users(url: str, users: int, rounds: int, endpoint: str, questions: tuple[str, ...]):
    from gradio_client import Client

    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    start_gate = threading.Barrier(users)

    def user(i: int) -> None:
        try:
            client = Client(url, verbose=False)
        except Exception as exc:  # a refused connection counts as an error, not a crash
            with lock:
                errors.append(f"connect: {exc!r}")
            start_gate.abort()
            return
        try:
            start_gate.wait(60)
        except threading.BrokenBarrierError:
            pass
        for r in range(rounds):
            q = questions[(i + r) % len(questions)]
            t0 = time.perf_counter()
            try:
                args = (q, 5, []) if endpoint == "search" else (q, 8)
                out = client.predict(*args, api_name=f"/{endpoint}")
                ok = out.get("error") is None
            except Exception as exc:
                ok, out = False, {"error": repr(exc)}
            with lock:
                latencies.append(time.perf_counter() - t0)
                if not ok:
                    errors.append(str(out.get("error")))

    threads = [threading.Thread(target=user, args=(i,)) for i in range(users)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return latencies, errors, time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", help="an already running UI; default: launch one on --index")
    parser.add_argument("--index", default="index", help="index folder for the launched app")
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=3, help="questions per user")
    parser.add_argument("--endpoint", choices=["search", "ask"], default="search")
    parser.add_argument("--questions-from", default="seeds", help="folder whose examples.txt gives the questions")
    args = parser.parse_args()

    from assistant.sources import read_examples

    questions = read_examples([Path(args.questions_from)])
    if not questions:
        sys.exit(f"error: no examples.txt in {args.questions_from}; pass --questions-from FOLDER")

    demo = None
    url = args.url
    if not url:
        from assistant.config import Config
        from assistant.ui.server import start
        from assistant.ui.service import UIService

        t0 = time.perf_counter()
        demo, url = start(UIService(Config.from_env(index_dir=args.index, uploads=0)))
        print(f"launched {url} in {time.perf_counter() - t0:.1f}s (model + index loaded once)")
    try:
        latencies, errors, wall = run_users(url, args.users, args.rounds, args.endpoint, questions)
    finally:
        if demo is not None:
            demo.close()
    n = len(latencies)
    print(f"/{args.endpoint}: {args.users} users x {args.rounds} questions = {n} requests in {wall:.1f}s "
          f"({n / wall:.2f} req/s)")
    if latencies:
        print(f"latency p50 {statistics.median(latencies):.2f}s  p95 {percentile(latencies, 0.95):.2f}s  "
              f"max {max(latencies):.2f}s")
    print(f"errors: {len(errors)}")
    for e in errors[:5]:
        print(f"  {e}")


if __name__ == "__main__":
    main()
