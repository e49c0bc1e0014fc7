"""Alembic environment.

The bot hands over its own connection (see database.py). From the `alembic` command line
(e.g. `alembic revision --autogenerate`), it connects with the bot's settings instead.
"""

import asyncio

from alembic import context
from sqlalchemy import Connection

from bot.storage.models import Base


def run_migrations(connection: Connection) -> None:
    context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


async def run_from_command_line() -> None:
    from bot.settings import load_settings
    from bot.storage.database import connect

    engine = connect(load_settings().database_url)
    async with engine.begin() as connection:
        await connection.run_sync(run_migrations)
    await engine.dispose()


if "connection" in context.config.attributes:
    run_migrations(context.config.attributes["connection"])
else:
    asyncio.run(run_from_command_line())
