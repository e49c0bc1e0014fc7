"""PTB's networking on aiohttp: a Bot API that does not answer is a timeout, not a hang."""

import asyncio

import pytest
from telegram.error import TimedOut

from bot.channels.telegram_http import AiohttpRequest


async def test_a_bot_api_that_never_answers_times_out():
    async def silent(reader: asyncio.StreamReader, _writer: asyncio.StreamWriter) -> None:
        await reader.read(-1)

    server = await asyncio.start_server(silent, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    request = AiohttpRequest(connections=1, read_timeout=0.2)
    await request.initialize()
    try:
        with pytest.raises(TimedOut):
            await request.post(f"http://127.0.0.1:{port}/bot1:x/getMe")
    finally:
        await request.shutdown()
        server.close()
        await server.wait_closed()


async def test_an_uninitialized_request_says_so():
    with pytest.raises(RuntimeError, match="not initialized"):
        await AiohttpRequest(connections=1).do_request("http://127.0.0.1:1/", "POST")
