"""How long `outreach-bot report --period 2026-P1 --csv DIR --charts DIR` takes on a seeded year (the bar: 5 s).

    .venv/bin/python benchmarks/report_speed.py [--postgres-url postgresql://...] [--people 3000] [--runs 3]

Seeds a year (benchmarks/seed_year.py) in a fresh SQLite file and, given a URL (`bash
.ci/postgres.sh` prints one), in a fresh PostgreSQL database, then times the command as a team
member runs it: a new process each time, imports, migrations check, queries, CSV and charts.
"""

import argparse
import asyncio
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import make_url, text
from sqlalchemy.ext.asyncio import create_async_engine

import seed_year  # beside this file: a script's folder is on its path
from bot.settings import Settings
from bot.storage import Storage, connect, upgrade

COMMAND = [sys.executable, "-m", "bot.cli", "report", "--period", "2026-P1"]


async def seed(url: str, people: int) -> None:
    storage = Storage(connect(url))
    try:
        await upgrade(storage.engine)
        await seed_year.write(storage, seed_year.year(people))
    finally:
        await storage.close()


async def fresh_postgres(admin_url: str) -> str:
    """A new database on the server, so that the year is seeded once."""
    url = make_url(Settings(database_url=admin_url).database_url)
    name = f"report_speed_{int(time.time())}"
    engine = create_async_engine(url, isolation_level="AUTOCOMMIT")
    async with engine.connect() as connection:
        await connection.execute(text(f'CREATE DATABASE "{name}"'))
    await engine.dispose()
    return url.set(database=name).render_as_string(hide_password=False)


def timed(url: str, folder: Path, runs: int) -> tuple[list[float], list[float]]:
    """Wall-clock seconds, and the CPU seconds of the command (what a busy machine does not inflate)."""
    times, cpu = [], []
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        environment = {**os.environ, "DATABASE_URL": url}
        subprocess.run([*COMMAND, "--csv", str(folder), "--charts", str(folder)], env=environment, check=True, capture_output=True)
        times.append(time.perf_counter() - started)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu.append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
    return times, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--postgres-url", help="a PostgreSQL server to create the benchmark's database on")
    parser.add_argument("--people", type=int, default=3000)
    parser.add_argument("--runs", type=int, default=3)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        urls = {"SQLite": f"sqlite+aiosqlite:///{folder}/year.sqlite3"}
        if options.postgres_url:
            urls["PostgreSQL"] = asyncio.run(fresh_postgres(options.postgres_url))
        for name, url in urls.items():
            asyncio.run(seed(url, options.people))
            times, cpu = timed(url, Path(folder) / name, options.runs)
            verdict = "under" if max(times) < 5 else "OVER"
            print(
                f"{name}: {options.people} people; report in {statistics.median(times):.2f} s (median of {options.runs}, worst "
                f"{max(times):.2f} s; CPU {statistics.median(cpu):.2f} s), {verdict} the 5 s bar"
            )


if __name__ == "__main__":
    main()
