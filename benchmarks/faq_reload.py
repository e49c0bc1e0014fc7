"""How long after a volunteer saves an FAQ file the bot answers with the edit.

    .venv/bin/python benchmarks/faq_reload.py [--runs 3] [--reload-seconds 1]

The bot is started as `outreach-bot run` starts it (bot/app.py) on a copy of the repository's FAQ,
with its watcher polling every `--reload-seconds` (FAQ_RELOAD_SECONDS). Two kinds of edit, each
`--runs` times: an answer's text (most edits: served without training the NLU again) and a new
example, a phrase no model has seen, under PrEP (the NLU is trained again, in a child process).
The time is from the moment the file is written to the first answer that carries the edit, asking
every 50 ms: for a new example, the first time that phrase gets the PrEP answer (nlu/new_examples.py
serves it word for word while the NLU trains); then, for information, when the retrained NLU is in.
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


async def served_after(app: App, edit: str, run: int) -> tuple[float, float]:
    """Seconds from the save to the first answer showing it, and to the end of the reload (training included)."""
    path = app.settings.faq_dir / "prep.yml"
    text = path.read_text(encoding="utf-8")
    marker = f"Édition {edit} {run}."
    changed = text.replace(app.engine.faq.entries["prep.info"].answer["fr"].splitlines()[0], marker, 1)
    phrase = f"c est quoi le vorpal krimble numero {run}"
    if edit == "example":
        changed = EXAMPLE.sub(lambda found: f'{found.group(0)}\n        - "{phrase}"', changed, count=1)
    trained = app.knowledge.pair[1]
    saved = time.monotonic()
    path.write_text(changed, encoding="utf-8")
    while marker not in await answer(app, "faq:prep.info") or (edit == "example" and marker not in await answer(app, phrase)):
        await asyncio.sleep(0.05)
    served = time.monotonic() - saved
    while edit == "example" and not isinstance(app.knowledge.pair[1], type(trained)):
        await asyncio.sleep(0.05)
    return served, time.monotonic() - saved


async def answer(app: App, text_or_payload: str) -> str:
    kind = "button" if text_or_payload.startswith("faq:") else "text"
    message = InboundMessage("terminal", "bench", "bench", kind=kind, payload=text_or_payload if kind == "button" else None, text=text_or_payload if kind == "text" else "")
    replies = await app.engine.handle(message)
    return replies[0].text


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
                runs = []
                for run in range(args.runs):
                    runs.append(await served_after(app, edit, run))
                    await asyncio.sleep(2 * args.reload_seconds)
                print(f"{edit} edit served after: {figures([served for served, _ in runs])}")
                if edit == "example":
                    print(f"  the retrained NLU in after: {figures([done for _, done in runs])}")
        finally:
            await app.close()


def figures(times: list[float]) -> str:
    return f"median {statistics.median(times):.2f} s, max {max(times):.2f} s ({', '.join(f'{t:.2f}' for t in times)})"


if __name__ == "__main__":
    asyncio.run(main())
