"""`outreach-bot report`: the figures for the funders, on the terminal, as CSV files and as charts."""

import argparse
import asyncio
from datetime import date
from typing import TYPE_CHECKING

from bot.settings import Settings

if TYPE_CHECKING:  # imported when the command runs: `outreach-bot --help` stays quick
    from bot.reports.categories import Categories
    from bot.reports.periods import Period


def report(settings: Settings, args: argparse.Namespace) -> int:
    from bot.reports.categories import CategoriesInvalid, team_categories
    from bot.reports.periods import PeriodInvalid

    try:
        period = _period(args)
        categories = team_categories(settings)
    except PeriodInvalid as error:
        print(f"outreach-bot: {error}")
        return 2
    except CategoriesInvalid as error:
        for problem in error.problems:
            print(problem)
        return 1
    return asyncio.run(_report(settings, args, period, categories))


async def _report(settings: Settings, args: argparse.Namespace, period: "Period", categories: "Categories") -> int:
    from bot.reports.figures import read
    from bot.reports.tables import render, write_csv
    from bot.storage import Storage, connect, upgrade
    from handover.schedule import load_schedule

    zone = load_schedule(settings.schedule_file).timezone
    storage = Storage(connect(settings.database_url))
    try:
        await upgrade(storage.engine)
        figures = await read(storage, period, categories, zone)
    finally:
        await storage.close()
    threshold = settings.report_small_cell
    print(render(figures, categories, args.lang, threshold))
    if period.spans_years:
        print(f"\n{period.name} spans several years: people are counted once per year, an upper bound.")
    if args.csv:
        written = write_csv(figures, args.csv, threshold)
        print(f"\n{len(written)} CSV files in {args.csv}")
    if args.charts:
        from bot.reports.charts import write_charts

        written = write_charts(figures, categories, args.charts, args.lang, threshold)
        print(f"{len(written)} charts in {args.charts} (the PDF holds them all)")
    return 0


def _period(args: argparse.Namespace) -> "Period":
    from bot.reports.periods import PeriodInvalid, between, named

    if args.period and (args.start or args.end):
        raise PeriodInvalid("give either --period or --from and --to, not both")
    if args.period:
        return named(args.period)
    if not (args.start and args.end):
        raise PeriodInvalid("say which period: --period 2026-P1 (or 2026-03, 2026-Q2, 2026), or --from 2026-01-01 --to 2026-02-28")
    return between(args.start, args.end)


def day(text: str) -> date:
    """A --from/--to argument: YYYY-MM-DD."""
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a day: write YYYY-MM-DD, e.g. 2026-03-01") from None
