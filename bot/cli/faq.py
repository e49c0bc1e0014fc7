"""`outreach-bot faq`: check the FAQ the team edits, export it, see what it covers."""

import argparse
import json
import sys

from bot.errors import FaqInvalid
from bot.faq.loader import load_faq
from bot.settings import Settings


def lint(settings: Settings, args: argparse.Namespace) -> int:
    try:
        _faq, problems = load_faq(settings.faq_dir, settings.nlu_data_dir, release=args.release)
    except FaqInvalid as error:
        problems = error.problems
    for problem in problems:
        print(problem)
    errors = sum(not p.warning for p in problems)
    warnings = len(problems) - errors
    print(f"{errors} error(s), {warnings} warning(s)" if problems else "OK", file=sys.stderr)
    return 1 if errors else 0


def export(settings: Settings, _args: argparse.Namespace) -> int:
    faq, _problems = load_faq(settings.faq_dir, settings.nlu_data_dir)
    exported = [
        {
            "id": entry.id,
            "topic": entry.topic,
            "answers": {lang: faq.text(entry.answer, lang) for lang in entry.answer},
            "examples": {lang: list(texts) for lang, texts in entry.examples.items()},
            "related": list(entry.related),
            "sources": list(entry.sources),
            "reviewed_on": entry.reviewed_on.isoformat() if entry.reviewed_on else None,
            "review_due": entry.review_due.isoformat() if entry.review_due else None,
        }
        for entry in faq.entries.values()
    ]
    json.dump(exported, sys.stdout, ensure_ascii=False, indent=2)
    sys.stdout.write("\n")
    return 0


def coverage(settings: Settings, _args: argparse.Namespace) -> int:
    from bot.faq.coverage import coverage, render

    faq, _problems = load_faq(settings.faq_dir, settings.nlu_data_dir)
    print(render(coverage(faq)))
    return 0


def unanswered(settings: Settings, args: argparse.Namespace) -> int:
    """Scrubbed texts, readable by whoever may read the database: the README says who that should be."""
    import asyncio
    from datetime import UTC, datetime, timedelta

    from bot.reports.questions import grouped, render
    from bot.storage import Storage, connect, upgrade

    async def read() -> list:
        storage = Storage(connect(settings.database_url))
        try:
            await upgrade(storage.engine)
            async with storage.unit() as repo:
                return await repo.unanswered.since(datetime.now(UTC) - timedelta(days=args.days))
        finally:
            await storage.close()

    print(render(grouped(asyncio.run(read())), args.days))
    return 0
