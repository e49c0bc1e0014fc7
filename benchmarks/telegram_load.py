"""Load on the Telegram bot: N people writing at the same time, through the loopback Bot API, to the real `outreach-bot run`.

    .venv/bin/python benchmarks/telegram_load.py [--people 200] [--think 10] [--database-url URL]

Each simulated person has a conversation of five turns — /start, a language button, a
question in their language (fr, es or ar), a button under the answer, another question — and
between turns reads the answer and types the next message (`--think` seconds on average, 10 by
default: quick for a phone; 0: no pause at all, to find the most the bot can take). They start
at random moments within the first pause.

The bot is `outreach-bot run` in a process of its own, as in production, against the fake Bot
API server of the tests (tests/fakes/telegram_api.py) running here. It runs with
TELEGRAM_RATE_LIMIT=0: PTB's AIORateLimiter stays in the path but its limit is lifted, so the
figures are the bot's own time and not the waits that Telegram's 30 messages a second impose
(200 people writing at once exceed that by design; in production those waits come on top).

With --database-url, give it an empty database each time (`CREATE DATABASE bench_2`): the fake
server numbers its updates from 1 in every run, and the bot ignores an update id it has handled.

Prints: updates handled per second; latency p50/p99/max from the moment an update is available
(getUpdates would return it) to the moment the last message of the bot's reply reaches the
server; the bot's CPU time per update (which a busy machine does not change much, unlike the
latency); the bot process's resident memory (RSS) under load and its peak; and the peak of the
child process that trains the NLU at start and then exits (nlu/training.py).
"""

import argparse
import asyncio
import os
import random
import signal
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPOSITORY / "tests"))

from fakes.telegram_api import FakeBotApi, Person

QUESTIONS = {
    "fr": ("c koi la prep", "quels sont vos horaires", "où êtes-vous ?", "je veux faire un test"),
    "es": ("hola, ¿dónde están?", "qué es la prep", "cuál es su horario", "quiero hacerme una prueba"),
    "ar": ("شنو هي البريب", "فين كاينين", "امتى كتحلو", "بغيت ندير التحليل"),
}
QUIET = 0.15
"""A reply is complete when its chat has been quiet this long (only decides when the person moves on)."""


@dataclass
class Results:
    latencies: list[float] = field(default_factory=list)
    late: int = 0
    first_available: float = float("inf")
    last_reply: float = 0.0
    rss_under_load: list[float] = field(default_factory=list)


def memory_mb(pid: int, field_name: str) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field_name}:"):
            return int(line.split()[1]) / 1024
    return 0.0


def children_peak_mb(pid: int) -> float:
    """The highest peak memory among the process's living children: the NLU's training child at start."""
    peaks = [0.0]
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            peaks.extend(memory_mb(int(child), "VmHWM") for child in (task / "children").read_text().split())
        except FileNotFoundError:
            continue
    return max(peaks)


def cpu_seconds(pid: int) -> float:
    """User and system time the process has used: comparable from run to run even on a busy machine."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def press_or_write(prefix: str, fallback: str) -> Callable[[FakeBotApi, Person], int]:
    def act(api: FakeBotApi, person: Person) -> int:
        try:
            return api.press(person, next(b for b in reversed(api.buttons(person.id)) if b.startswith(prefix)))
        except StopIteration:
            return api.message(person, fallback)

    return act


def script(lang: str, rng: random.Random) -> list[Callable[[FakeBotApi, Person], int]]:
    first, second = rng.sample(QUESTIONS[lang], 2)
    return [
        lambda api, person: api.message(person, "/start"),
        press_or_write(f"lang:{lang}", first),
        lambda api, person: api.message(person, first),
        press_or_write("faq:", second),
        lambda api, person: api.message(person, second),
    ]


async def converse(api: FakeBotApi, person: Person, lang: str, think: float, rng: random.Random, results: Results) -> None:
    await asyncio.sleep(rng.uniform(0, think))
    for act in script(lang, rng):
        before = len(api.sent_calls(person.id))
        update_id = act(api, person)
        try:
            await api.wait_sent(person.id, before + 1, timeout=30)
        except TimeoutError:
            results.late += 1
            continue
        while True:
            count = len(api.sent_calls(person.id))
            try:
                await api.wait_sent(person.id, count + 1, timeout=QUIET)
            except TimeoutError:
                break
        available, replied = api.available_at[update_id], api.sent_calls(person.id)[-1].at
        results.latencies.append(replied - available)
        results.first_available = min(results.first_available, available)
        results.last_reply = max(results.last_reply, replied)
        await asyncio.sleep(think * rng.uniform(0.5, 1.5))


async def sample_memory(pid: int, results: Results) -> None:
    while True:
        results.rss_under_load.append(memory_mb(pid, "VmRSS"))
        await asyncio.sleep(0.5)


async def main(people: int, think: float, database_url: str | None, seed: int) -> None:
    rng = random.Random(seed)
    with tempfile.TemporaryDirectory() as folder:
        env = {
            **os.environ,
            "TELEGRAM_RATE_LIMIT": "0",
            "DATABASE_URL": database_url or f"sqlite:///{folder}/bot.sqlite3",
            "FAQ_RELOAD_SECONDS": "0",
            "LOG_LEVEL": "WARNING",
        }
        log_path = Path(folder) / "bot.log"
        async with FakeBotApi() as api:
            env |= {"TELEGRAM_BOT_TOKEN": api.token, "TELEGRAM_API_BASE_URL": api.url}
            with log_path.open("w") as log:
                bot = await asyncio.create_subprocess_exec(sys.executable, "-m", "bot.cli", "run", env=env, cwd=folder, stdout=log, stderr=log)
            try:
                training_peak = 0.0
                while not api.calls_to("getUpdates"):
                    if bot.returncode is not None:
                        raise SystemExit(f"the bot stopped:\n{log_path.read_text()}")
                    training_peak = max(training_peak, children_peak_mb(bot.pid))
                    await asyncio.sleep(0.05)
                idle_rss = memory_mb(bot.pid, "VmRSS")
                results = Results()
                sampler = asyncio.create_task(sample_memory(bot.pid, results))
                started, cpu_before = time.perf_counter(), cpu_seconds(bot.pid)
                await asyncio.gather(*(
                    converse(api, Person(10_000 + n), ("fr", "es", "ar")[n % 3], think, random.Random(rng.random()), results)
                    for n in range(people)
                ))
                wall, cpu = time.perf_counter() - started, cpu_seconds(bot.pid) - cpu_before
                sampler.cancel()
                peak_rss = memory_mb(bot.pid, "VmHWM")
            finally:
                bot.send_signal(signal.SIGTERM)
                await bot.wait()
        errors = [line for line in log_path.read_text().splitlines() if "ERROR" in line]

    handled = len(results.latencies)
    ms = [seconds * 1000 for seconds in results.latencies]
    print(f"people: {people}, think time: {think:g} s on average, database: {'PostgreSQL' if database_url else 'SQLite'}, rate limits lifted")
    print(f"updates answered: {handled} in {wall:.1f} s; not answered within 30 s: {results.late}; errors logged by the bot: {len(errors)}")
    print(f"updates/second: {handled / (results.last_reply - results.first_available):.1f}")
    print(f"bot CPU time per update: {cpu / handled * 1000:.1f} ms (load average of the machine: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)")
    print(f"latency, update available → last message of the reply sent: p50 {statistics.median(ms):.1f} ms, p99 {percentile(ms, 0.99):.1f} ms, max {max(ms):.1f} ms")
    print(f"bot memory (RSS): {idle_rss:.0f} MB idle after start, {max(results.rss_under_load):.0f} MB at most under load, peak {peak_rss:.0f} MB")
    print(f"NLU training child, at start only: peak {training_peak:.0f} MB (seen every 50 ms)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--people", type=int, default=200)
    parser.add_argument("--think", type=float, default=10.0, help="seconds between a reply and the next message, on average")
    parser.add_argument("--database-url", help="default: a fresh SQLite file")
    parser.add_argument("--seed", type=int, default=5)
    arguments = parser.parse_args()
    asyncio.run(main(arguments.people, arguments.think, arguments.database_url, arguments.seed))
