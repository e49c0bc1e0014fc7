"""A PostgreSQL server the tests can stop and start: the one .ci/postgres.sh runs on this machine.

Used by the tests of transient errors (tests/test_transient_errors.py) and by fault injection
(tests/fakes/faults.py, benchmarks/faults.py), which restart it under a running bot.
"""

import asyncio
import os
import pwd
import shlex
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import NullPool, text
from sqlalchemy.ext.asyncio import create_async_engine


@dataclass(frozen=True)
class LocalServer:
    """The PostgreSQL server of TEST_POSTGRES_URL when it runs on this machine, as .ci/postgres.sh starts it."""

    data_dir: Path
    pg_ctl: Path
    options: str
    """The server's command-line options but its data directory (from postmaster.opts)."""
    owner: str

    @classmethod
    async def of(cls, admin_url: str) -> "LocalServer | None":
        admin = create_async_engine(admin_url, poolclass=NullPool)
        try:
            async with admin.connect() as connection:
                data_dir = Path(await connection.scalar(text("SELECT current_setting('data_directory')")))
        finally:
            await admin.dispose()
        try:
            binary, *arguments = shlex.split((data_dir / "postmaster.opts").read_text())
        except OSError:
            return None  # another machine's, or another user's
        if "-D" in arguments:
            at = arguments.index("-D")
            del arguments[at : at + 2]
        pg_ctl = Path(binary).with_name("pg_ctl")
        owner = pwd.getpwuid(data_dir.stat().st_uid).pw_name
        if not pg_ctl.exists() or (owner != pwd.getpwuid(os.getuid()).pw_name and os.getuid() != 0):
            return None
        return cls(data_dir, pg_ctl, shlex.join(arguments), owner)

    async def stop(self) -> None:
        """Fast shutdown, as a restart by an administrator or an orchestrator does: sessions are cut."""
        await self._pg_ctl("stop", "-m", "fast", "-w")

    async def start(self) -> None:
        await self._pg_ctl("start", "-w", "-l", str(self.data_dir / "server.log"), "-o", self.options)

    async def _pg_ctl(self, *arguments: str) -> None:
        command = [str(self.pg_ctl), "-D", str(self.data_dir), *arguments]
        if self.owner != pwd.getpwuid(os.getuid()).pw_name:
            command = ["su", self.owner, "-s", "/bin/sh", "-c", shlex.join(command)]
        process = await asyncio.create_subprocess_exec(*command, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE)
        _, stderr = await process.communicate()
        assert process.returncode == 0, stderr.decode()


async def restartable_server() -> tuple[str, LocalServer] | str:
    """TEST_POSTGRES_URL and its server, or why this process cannot restart it (a reason to skip)."""
    admin_url = os.environ.get("TEST_POSTGRES_URL")
    if not admin_url:
        return "needs TEST_POSTGRES_URL (bash .ci/postgres.sh)"
    server = await LocalServer.of(admin_url)
    if server is None:
        return "the server of TEST_POSTGRES_URL is not one this process can stop and start (.ci/postgres.sh's is)"
    return admin_url, server


@asynccontextmanager
async def fresh_database(admin_url: str, name: str) -> AsyncIterator[str]:
    """An empty database `name` on the server of `admin_url`, dropped after; made and dropped
    through connections of their own, since the server may restart in between."""
    admin = create_async_engine(admin_url, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    async with admin.connect() as connection:
        await connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        await connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield admin_url.rsplit("/", 1)[0] + f"/{name}"
    finally:
        async with admin.connect() as connection:
            await connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await admin.dispose()
