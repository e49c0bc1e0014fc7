"""`outreach-bot chat` and `outreach-bot run`: the bot in the terminal, or on its channels."""

import argparse
import asyncio
import logging

from bot.settings import Settings


def chat(settings: Settings, _args: argparse.Namespace) -> int:
    from bot.app import start
    from bot.channels.terminal import chat

    logging.getLogger().setLevel(max(logging.WARNING, logging.getLogger().level))

    async def run() -> None:
        app = await start(settings, staff_side=False)
        app.watch_knowledge()
        try:
            await chat(app.engine)
        finally:
            await app.close()

    asyncio.run(run())
    return 0


def run(settings: Settings, _args: argparse.Namespace) -> int:
    from bot.service import run

    asyncio.run(run(settings))
    return 0
