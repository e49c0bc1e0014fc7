"""Embedded NLU against Rasa, on the same data in the same run.

    .venv/bin/python benchmarks/nlu_backends.py [FILE.jsonl or FOLDER] [--backends embedded,rasa]

Prints, per backend: intent accuracy, macro-F1, crisis recall, false handovers; per-message
latency p50/p99 and throughput (messages sent one at a time, as the bot does); the time to
build the model from the FAQ (what an FAQ edit costs before it is live); and resident memory
(RSS) of the process that holds the model. Each backend is measured in a process of its own so
that memory figures do not mix. Compare ratios: these machines are noisy. The data defaults to
the held-out sets (nlu/heldout/), which no model trains on.
"""

import argparse
import asyncio
import json
import statistics
import subprocess
import sys
import time
from contextlib import ExitStack
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPOSITORY))
DEFAULT_DATA = REPOSITORY / "nlu" / "heldout"
PASSES = 3
"""Each backend reads the data this many times; the p99 printed is the median pass's, so that one
burst of another process on this 2-core machine does not decide the figure. The first pass's is
printed too: it is the one where every message is new to the process, as a person's is."""


def rss_mb(pid: int | str = "self") -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


async def timed_parses(backend, texts: list[str]) -> tuple[list, list[float], float]:
    latencies, parses = [], []
    started = time.perf_counter()
    for text in texts:
        before = time.perf_counter()
        parses.append(await backend.parse(text))
        latencies.append((time.perf_counter() - before) * 1000)
    return parses, latencies, time.perf_counter() - started


def measure(name: str, data: Path) -> dict:
    """Runs inside the child process of one backend."""
    from bot.app import load_knowledge
    from bot.settings import load_settings
    from nlu.evaluation import evaluate

    files = sorted(data.glob("*.jsonl")) if data.is_dir() else [data]
    rows = [json.loads(line) for file in files for line in file.read_text(encoding="utf-8").splitlines() if line.strip()]
    settings = load_settings()
    started = time.perf_counter()
    faq, embedded = load_knowledge(settings)
    embedded_build = time.perf_counter() - started
    with ExitStack() as stack:
        server = None
        if name == "embedded":
            backend, build_seconds, model_rss = embedded, embedded_build, rss_mb()
        else:
            from nlu.rasa_backend import RasaConnection, RasaNLU
            from nlu.rasa_server import find_python, running_rasa

            # Trained afresh (the training time is a figure), on a port and with a token of its own: a Rasa
            # server running for the bot is neither used nor disturbed.
            server, model = stack.enter_context(
                running_rasa(faq.examples(), python=find_python(settings.rasa_python), cache_dir=settings.rasa_cache_dir, retrain=True)
            )
            backend = RasaNLU(RasaConnection(server.url, server.token), embedded)
            build_seconds, model_rss = model.training_seconds, (server.resident_bytes() or 0) / 2**20
        from bot.app import settle_memory

        settle_memory()  # as the running bot does after start: no full collection in the middle of the timings
        texts = [r["text"] for r in rows]
        asyncio.run(timed_parses(backend, texts[:20]))  # warm-up
        passes = [asyncio.run(timed_parses(backend, texts)) for _ in range(PASSES)]
        if server is not None:
            model_rss = max(model_rss, (server.resident_bytes() or 0) / 2**20)
            if backend.connection.unanswered:
                raise SystemExit(f"Rasa did not answer {backend.connection.unanswered} message(s): these figures would mix backends")
    parses = passes[0][0]
    latencies = [latency for _parses, pass_latencies, _total in passes for latency in pass_latencies]
    p99s = sorted(percentile(pass_latencies, 0.99) for _parses, pass_latencies, _total in passes)
    total = sum(pass_total for _parses, _latencies, pass_total in passes) / PASSES
    result = evaluate(rows, parses)
    return {
        "backend": name,
        "messages": len(rows),
        "intent_accuracy": result.intent_accuracy,
        "macro_f1": result.macro_f1,
        "crisis_recall": result.crisis_recall,
        "false_handovers": result.false_handover_rate,
        "p50_ms": statistics.median(latencies),
        "p99_ms": p99s[len(p99s) // 2],
        "first_p99_ms": percentile(passes[0][1], 0.99),
        "messages_per_s": len(texts) / total,
        "build_s": build_seconds,
        "rss_mb": model_rss,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", nargs="?", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--backends", default="embedded,rasa")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure(args.child, args.data)))
        return
    results = []
    for name in args.backends.split(","):
        child = subprocess.run(
            [sys.executable, __file__, str(args.data), "--child", name], capture_output=True, text=True, check=False
        )
        if child.returncode != 0:
            print(f"{name}: failed\n{child.stderr[-2000:]}", file=sys.stderr)
            continue
        results.append(json.loads(child.stdout.strip().splitlines()[-1]))
    print(f"data: {args.data} ({results[0]['messages'] if results else 0} messages)")
    rows = [
        ("intent accuracy", "intent_accuracy", "{:.3f}"),
        ("macro-F1", "macro_f1", "{:.3f}"),
        ("crisis → handover", "crisis_recall", "{:.3f}"),
        ("false handovers", "false_handovers", "{:.3f}"),
        ("latency p50 (ms)", "p50_ms", "{:.2f}"),
        ("latency p99 (ms)", "p99_ms", "{:.2f}"),
        ("p99, first pass (ms)", "first_p99_ms", "{:.2f}"),
        ("throughput (msg/s)", "messages_per_s", "{:.0f}"),
        ("build/training (s)", "build_s", "{:.1f}"),
        ("resident memory (MB)", "rss_mb", "{:.0f}"),
    ]
    print(f"{'':<22}" + "".join(f"{r['backend']:>12}" for r in results))
    for label, key, fmt in rows:
        print(f"{label:<22}" + "".join(f"{fmt.format(r[key]):>12}" for r in results))
    if len(results) == 2:
        embedded, rasa = results
        print(
            f"\nratios embedded/rasa: p99 {embedded['p99_ms'] / rasa['p99_ms']:.2f} (bar: 0.10 at most; "
            f"first pass {embedded['first_p99_ms'] / rasa['first_p99_ms']:.2f}), "
            f"memory {embedded['rss_mb'] / rasa['rss_mb']:.2f} (bar: 0.33 at most), build {embedded['build_s'] / rasa['build_s']:.3f}"
        )


if __name__ == "__main__":
    main()
