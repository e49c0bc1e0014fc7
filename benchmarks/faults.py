"""Fault injection on the real `outreach-bot run`: the figures of issue 17 (nothing lost).

    .venv/bin/python benchmarks/faults.py [--runs 5] [--people 50] [--per-person 6] [--mode polling|webhook|restart|all]
                                          [--postgres postgresql+asyncpg://postgres@127.0.0.1:25432/postgres]

Each run pushes `people` × `per-person` messages at once (Telegram's rate limit of 30 messages a
second kept, unless --rate-limit 0: the replies then wait their turn for seconds), and in the middle
of the burst, at a random moment 0.2 to 2.5 s in, either kills the bot with SIGKILL and starts it
again on the same database (polling, webhook), or stops its PostgreSQL server (fast shutdown: every
session cut) and starts it again 0.2 to 1 s later (restart). It compares what each person read with
a run without faults: replies lost, replies sent twice, people missing at least one, people answered
out of order, apologies. Then one run with an update the library cannot parse at the head of the
burst: apologies, log size, and whether the logs hold its text, a name or an id.

Without --postgres every run has a fresh SQLite file; with it, a fresh database on that server
(which must be one this process can stop and start, as .ci/postgres.sh's is: restart needs it).
The bot is the one imported by this Python (run it with PYTHONPATH set to a worktree to measure
that one).
"""

import argparse
import asyncio
import os
import random
import sys
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPOSITORY / "tests"))

from fakes.faults import POISON_TEXT, burst, compare
from fakes.postgres import LocalServer, fresh_database

MODES = ("polling", "webhook", "restart")


async def main(runs: int, people: int, per_person: int, modes: list[str], postgres: str | None, seed: int, rate_limit: int) -> None:
    rng = random.Random(seed)
    messages = people * per_person
    server = await LocalServer.of(postgres) if postgres else None
    if "restart" in modes and server is None:
        raise SystemExit("restart needs --postgres, a server this process can stop and start (bash .ci/postgres.sh starts one)")
    number = iter(range(1, 10_000))

    @asynccontextmanager
    async def database() -> AsyncIterator[str | None]:
        if postgres is None:
            yield None
            return
        async with fresh_database(postgres, f"faults_{os.getpid()}_{next(number)}") as url:
            yield url

    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        async with database() as url:
            reference = await burst(root / "reference", people, per_person, database_url=url, rate_limit=rate_limit)
        limit = f"{rate_limit} messages a second" if rate_limit else "lifted"
        where = "PostgreSQL" if postgres else "SQLite"
        print(f"{messages} messages from {people} people at once, {sum(map(len, reference.replies.values()))} replies without faults; {where}; rate limit {limit}")
        for mode in modes:
            totals = [0, 0, 0, 0, 0]
            for run in range(runs):
                moment = rng.uniform(0.2, 2.5)
                down_for = rng.uniform(0.2, 1.0)
                async with database() as url:
                    faulty = await burst(
                        root / f"{mode}-{run}", people, per_person, database_url=url, rate_limit=rate_limit, webhook=mode == "webhook",
                        kills=(moment,) if mode != "restart" else (), restarts=(moment,) if mode == "restart" else (), server=server, down_for=down_for,
                    )
                result = compare(reference, faulty, messages)
                figures = (result.lost, result.twice, result.people_missing_one, result.out_of_order, result.apologies)
                totals = [a + b for a, b in zip(totals, figures, strict=True)]
                fault = f"PostgreSQL down {down_for:.2f} s" if mode == "restart" else "kill -9"
                print(
                    f"  {mode}, {fault} at {moment:.2f} s: {result.lost} lost, {result.twice} sent twice, "
                    f"{result.people_missing_one} people missing one, {result.out_of_order} out of order, {result.apologies} apologies"
                )
            print(
                f"{mode}, {runs} runs: {totals[0]} replies lost, {totals[1]} sent twice, {totals[2]} people missing one, "
                f"{totals[3]} people out of order, {totals[4]} apologies"
            )
        async with database() as url:
            poisoned = await burst(root / "poison", people, per_person, poison=True, database_url=url, rate_limit=rate_limit)
        result = compare(reference, poisoned, messages)
        leaks = [private for private in (POISON_TEXT, "0470 12 34 56", "Person0", "500000", "c koi la prep") if private in poisoned.logs]
        print(
            f"poison update first in the burst: {result.lost} replies lost, {result.twice} twice, {result.apologies} apology to its sender; "
            f"log {len(poisoned.logs.encode()) / 1024:.0f} KB at LOG_LEVEL=DEBUG; personal data in the log: {leaks or 'none'}"
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--people", type=int, default=50)
    parser.add_argument("--per-person", type=int, default=6)
    parser.add_argument("--mode", choices=[*MODES, "all"], default="all", help="all: polling and webhook, and restart with --postgres")
    parser.add_argument("--postgres", help="a PostgreSQL server's URL: each run gets a fresh database there (default: SQLite)")
    parser.add_argument("--seed", type=int, default=17)
    parser.add_argument("--rate-limit", type=int, default=30, help="TELEGRAM_RATE_LIMIT; 0 lifts it (Telegram's is 30)")
    args = parser.parse_args()
    modes = [mode for mode in MODES if mode != "restart" or args.postgres] if args.mode == "all" else [args.mode]
    asyncio.run(main(args.runs, args.people, args.per_person, modes, args.postgres, args.seed, args.rate_limit))
