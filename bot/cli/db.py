"""`outreach-bot db`: the database's migrations."""

import argparse
import asyncio

from bot.settings import Settings


def upgrade(settings: Settings, _args: argparse.Namespace) -> int:
    from bot.storage import connect, upgrade

    async def run() -> None:
        engine = connect(settings.database_url)
        try:
            await upgrade(engine)
        finally:
            await engine.dispose()

    asyncio.run(run())
    print("The database is up to date.")
    return 0
