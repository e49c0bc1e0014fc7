"""PTB's networking on aiohttp: JSON calls, and a Bot API that does not answer is a timeout, not a hang."""

import asyncio
import json

import pytest
from telegram.error import TimedOut
from telegram.request import RequestData
from telegram.request._requestparameter import RequestParameter

from bot.channels.telegram.http import AiohttpRequest
from bot.storage.journal import SentJournal, sending


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


async def test_calls_go_out_as_json_with_letters_as_themselves():
    received: list[tuple[bytes, bytes]] = []

    async def capture(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        length = next(int(line.split(b":")[1]) for line in head.split(b"\r\n") if line.lower().startswith(b"content-length:"))
        received.append((head, await reader.readexactly(length)))
        answer = b'{"ok": true, "result": true}'
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s" % (len(answer), answer))
        await writer.drain()
        writer.close()

    server = await asyncio.start_server(capture, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    request = AiohttpRequest(connections=1)
    await request.initialize()
    markup = {"inline_keyboard": [[{"text": "العربية", "callback_data": "lang:ar"}]]}
    try:
        parameters = {"chat_id": 7, "text": "مرحبا", "reply_markup": markup}
        data = RequestData([RequestParameter.from_input(name, value) for name, value in parameters.items()])
        await request.post(f"http://127.0.0.1:{port}/bot1:x/sendMessage", data)
    finally:
        await request.shutdown()
        server.close()
        await server.wait_closed()

    head, body = received[0]
    assert b"content-type: application/json" in head.lower()
    assert json.loads(body) == {"chat_id": 7, "text": "مرحبا", "reply_markup": markup}
    assert "مرحبا".encode() in body


async def test_a_reply_is_in_the_journal_as_its_request_leaves_and_withdrawn_if_telegram_refuses_it(bot_api, tmp_path):
    journal = SentJournal(tmp_path / "sent")
    request = AiohttpRequest(2, journal)
    await request.initialize()
    url = f"{bot_api.url}/bot{bot_api.token}/sendMessage"
    try:
        with sending(41):
            status, _ = await request.do_request(url, "POST", _message(2001, "première"))
        bot_api.fail_next("sendMessage", 403, "Forbidden: bot was blocked by the user")
        with sending(42):
            refused, _ = await request.do_request(url, "POST", _message(2001, "seconde"))
    finally:
        await request.shutdown()
    assert (status, refused) == (200, 403)
    assert journal.read() == [41]


def _message(chat_id: int, text: str) -> RequestData:
    return RequestData([RequestParameter("chat_id", chat_id, []), RequestParameter("text", text, [])])
