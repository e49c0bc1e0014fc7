"""A fake platform's web server: a Starlette app on uvicorn, on a free port of 127.0.0.1, in the test's event loop."""

import asyncio
from typing import Self

import uvicorn
from starlette.applications import Starlette
from starlette.routing import BaseRoute

from bot.web import listen


class LoopbackServer:
    def __init__(self, routes: list[BaseRoute]):
        self._app = Starlette(routes=routes)
        self._server: uvicorn.Server | None = None
        self._serving: asyncio.Task | None = None
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> None:
        listening = listen("127.0.0.1", 0)
        self.port = listening.getsockname()[1]
        self._server = uvicorn.Server(uvicorn.Config(self._app, log_level="warning", lifespan="off", access_log=False))
        self._serving = asyncio.create_task(self._server.serve(sockets=[listening]))
        while not self._server.started:
            await asyncio.sleep(0.01)

    async def stop(self) -> None:
        assert self._server is not None and self._serving is not None
        self._server.should_exit = True
        await self._serving


class LoopbackFake:
    """A fake platform, served on loopback while its `async with` block runs; `url` is its root."""

    def __init__(self, routes: list[BaseRoute]):
        self._server = LoopbackServer(routes)

    @property
    def url(self) -> str:
        return self._server.url

    async def __aenter__(self) -> Self:
        await self._server.start()
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self._server.stop()
