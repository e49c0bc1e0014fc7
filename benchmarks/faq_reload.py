"""How long after a volunteer saves an FAQ file the bot answers with the edit.

    .venv/bin/python benchmarks/faq_reload.py [--runs 3] [--reload-seconds 1]

The bot is started as `outreach-bot run` starts it (bot/app.py) on a copy of the repository's FAQ,
with its watcher polling every `--reload-seconds` (FAQ_RELOAD_SECONDS). Two kinds of edit, each
`--runs` times: an answer's text (most edits: served without training the NLU again) and an
example (the NLU is trained again, in a child process). The time is from the moment the file is
written to the first answer that carries the edit, asking every 50 ms.
"""

import argparse
import asyncio
import re
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from bot.app import App, start
from bot.messages import InboundMessage
from bot.settings import REPOSITORY, load_settings

EXAMPLE = re.compile(r'- "la prep c quoi exactement[^"]*"')


async def answer(app: App, payload: str) -> str:
    replies = await app.engine.handle(InboundMessage("terminal", "bench", "bench", kind="button", payload=payload))
    return replies[0].text


async def served_after(app: App, edit: str, run: int) -> float:
    """Seconds from the save to the first answer showing it."""
    path = app.settings.faq_dir / "prep.yml"
    text = path.read_text(encoding="utf-8")
    marker = f"Édition {edit} {run}."
    changed = text.replace(app.engine.faq.entries["prep.info"].answer["fr"].splitlines()[0], marker, 1)
    if edit == "example":
        changed = EXAMPLE.sub(f'- "la prep c quoi exactement {run}"', changed, count=1)
    saved = time.monotonic()
    path.write_text(changed, encoding="utf-8")
    while marker not in await answer(app, "faq:prep.info"):
        await asyncio.sleep(0.05)
    return time.monotonic() - saved


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--reload-seconds", type=float, default=1.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        shutil.copytree(REPOSITORY / "faq", work / "faq")
        settings = load_settings(faq_dir=work / "faq", database_url=f"sqlite:///{work / 'bot.sqlite3'}", faq_reload_seconds=args.reload_seconds)
        app = await start(settings)
        app.watch_knowledge()
        await asyncio.sleep(args.reload_seconds)  # the watcher's first look, before the first edit
        try:
            for edit in ("answer", "example"):
                times = []
                for run in range(args.runs):
                    times.append(await served_after(app, edit, run))
                    await asyncio.sleep(2 * args.reload_seconds)
                print(f"{edit} edit served after: median {statistics.median(times):.2f} s, max {max(times):.2f} s ({', '.join(f'{t:.2f}' for t in times)})")
        finally:
            await app.close()


if __name__ == "__main__":
    asyncio.run(main())
