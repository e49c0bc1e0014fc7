"""A fake platform's web server: a Starlette app on uvicorn, on a free port of 127.0.0.1, in the test's event loop."""

import asyncio

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
