"""`outreach-bot chat` and `outreach-bot run`: the bot in the terminal, or on its channels."""

import argparse
import asyncio
import logging
import sys

from bot.cli import progress
from bot.settings import Settings


def chat(settings: Settings, args: argparse.Namespace) -> int:
    from bot.app import start
    from bot.channels.terminal import chat, start_afresh

    logging.getLogger().setLevel(max(logging.WARNING, logging.getLogger().level))

    async def run() -> None:
        progress.say(progress.LOADING)
        app = await start(settings, staff_side=False)
        app.watch_knowledge()
        try:
            if args.new and await start_afresh(app.engine):
                progress.say("The previous conversation is erased.")
            progress.say(progress.READY)
            await chat(app.engine, sys.stdin, sys.stdout)
        finally:
            await app.close()

    asyncio.run(run())
    return 0


def run(settings: Settings, _args: argparse.Namespace) -> int:
    from bot.service import check_channels, run

    check_channels(settings)  # a missing setting is said at once, not after the long load
    progress.say(progress.LOADING)
    asyncio.run(run(settings, ready=lambda: progress.say(progress.READY)))
    return 0
