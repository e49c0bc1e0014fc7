"""Fault injection on the real `outreach-bot run`: the figures of issue 17 (nothing lost).

    .venv/bin/python benchmarks/faults.py [--runs 5] [--people 50] [--per-person 6] [--mode polling|webhook|both]
                                          [--database-url postgresql://…/empty_db_{run}]

Each run pushes `people` × `per-person` messages at once (Telegram's rate limit of 30 messages a
second kept, unless --rate-limit 0: the replies then wait their turn for seconds), kills the
bot with SIGKILL at a random moment 0.2 to 2.5 s into the burst, starts it again on the same
database, and compares what each person read with a run without faults: replies lost, replies
sent twice, people missing at least one, people answered out of order. Then one run with an
update the library cannot parse at the head of the burst: apologies, log size, and whether the
logs hold its text, a name or an id. The bot is the one imported by this Python (run it with
PYTHONPATH set to a worktree to measure that one). `{run}` in --database-url is replaced by a
run number: give it empty databases (the fake server numbers its updates from 1 each time).
"""

import argparse
import asyncio
import random
import sys
import tempfile
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPOSITORY / "tests"))

from fakes.faults import POISON_TEXT, burst, compare  # noqa: E402


async def main(runs: int, people: int, per_person: int, modes: list[str], database_url: str | None, seed: int, rate_limit: int) -> None:
    rng = random.Random(seed)
    messages = people * per_person
    number = iter(range(1, 10_000))

    def url() -> str | None:
        return database_url.replace("{run}", str(next(number))) if database_url else None

    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        reference = await burst(root / "reference", people, per_person, database_url=url(), rate_limit=rate_limit)
        limit = f"{rate_limit} messages a second" if rate_limit else "lifted"
        print(f"{messages} messages from {people} people at once, {sum(map(len, reference.replies.values()))} replies without faults; rate limit {limit}")
        for mode in modes:
            totals = [0, 0, 0, 0]
            for run in range(runs):
                moment = rng.uniform(0.2, 2.5)
                killed = await burst(root / f"{mode}-{run}", people, per_person, kills=(moment,), webhook=mode == "webhook", database_url=url(), rate_limit=rate_limit)
                result = compare(reference, killed, messages)
                totals = [a + b for a, b in zip(totals, (result.lost, result.twice, result.people_missing_one, result.out_of_order), strict=True)]
                print(f"  {mode}, kill -9 at {moment:.2f} s: {result.lost} lost, {result.twice} sent twice, {result.people_missing_one} people missing one, {result.out_of_order} out of order")
            print(f"{mode}, {runs} runs: {totals[0]} replies lost, {totals[1]} sent twice, {totals[2]} people missing one, {totals[3]} people out of order")
        poisoned = await burst(root / "poison", people, per_person, poison=True, database_url=url(), rate_limit=rate_limit)
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
    parser.add_argument("--mode", choices=["polling", "webhook", "both"], default="both")
    parser.add_argument("--database-url", help="default: a fresh SQLite file each run; `{run}` is replaced by a run number")
    parser.add_argument("--seed", type=int, default=17)
    parser.add_argument("--rate-limit", type=int, default=30, help="TELEGRAM_RATE_LIMIT; 0 lifts it (Telegram's is 30)")
    args = parser.parse_args()
    modes = ["polling", "webhook"] if args.mode == "both" else [args.mode]
    asyncio.run(main(args.runs, args.people, args.per_person, modes, args.database_url, args.seed, args.rate_limit))
