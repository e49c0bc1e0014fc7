"""PTB's networking on aiohttp instead of httpx.

Measured under load, httpx (pure-Python HTTP/1.1) took about half of the bot's CPU time: every
update costs four or five Bot API calls (typing, replies, getUpdates, a button's answer). aiohttp
parses HTTP in C and costs about a quarter as much a call. PTB takes any BaseRequest for this.

It also writes a reply's outbox row to the sent journal at the moment the request's body goes into
the socket (bot/storage/journal.py): from then on, Telegram reads it even if the process is
killed, so a restart must not send it again.
"""

import json
from typing import Any

import aiohttp
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

from bot.storage.journal import SENDING, SentJournal

_ROW = "outbox_id"


class AiohttpRequest(BaseRequest):
    """Timeouts as PTB's own HTTPXRequest has them; aiohttp has no write timeout, so that one is not applied."""

    def __init__(
        self, connections: int, journal: SentJournal | None = None, read_timeout: float = 5.0, connect_timeout: float = 5.0, pool_timeout: float = 1.0
    ):
        self._connections = connections
        self._journal = journal
        self._read_timeout = read_timeout
        self._connect_timeout = connect_timeout
        self._pool_timeout = pool_timeout
        self._session: aiohttp.ClientSession | None = None

    @property
    def read_timeout(self) -> float:
        """PTB adds the long-polling time to this for getUpdates."""
        return self._read_timeout

    async def initialize(self) -> None:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self._connections),
                headers={"User-Agent": self.USER_AGENT},
                json_serialize=_json_utf8,
                trace_configs=[self._journal_tracing()] if self._journal is not None else None,
            )

    def _journal_tracing(self) -> aiohttp.TraceConfig:
        tracing = aiohttp.TraceConfig()
        tracing.on_request_chunk_sent.append(self._body_leaving)
        return tracing

    async def _body_leaving(self, _session: aiohttp.ClientSession, context: Any, _params: aiohttp.TraceRequestChunkSentParams) -> None:
        """aiohttp calls this right before it writes the body to the socket, with nothing awaited in between."""
        outbox_id = (context.trace_request_ctx or {}).get(_ROW)
        if outbox_id is not None and self._journal is not None:
            self._journal.record([outbox_id])

    async def shutdown(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: object = BaseRequest.DEFAULT_NONE,
        write_timeout: object = BaseRequest.DEFAULT_NONE,
        connect_timeout: object = BaseRequest.DEFAULT_NONE,
        pool_timeout: object = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        if self._session is None or self._session.closed:
            raise RuntimeError("This AiohttpRequest is not initialized!")
        connect = _given(connect_timeout, self._connect_timeout)
        pool = _given(pool_timeout, self._pool_timeout)
        timeout = aiohttp.ClientTimeout(
            sock_read=_given(read_timeout, self._read_timeout),
            sock_connect=connect,
            connect=None if connect is None or pool is None else connect + pool,
        )
        outbox_id = SENDING.get() if self._journal is not None else None
        tracing = {_ROW: outbox_id} if outbox_id is not None else None
        try:
            async with self._session.request(method, url, timeout=timeout, trace_request_ctx=tracing, **_body(request_data)) as response:
                status, body = response.status, await response.read()
        except TimeoutError as error:
            self._not_sent(outbox_id)
            raise TimedOut from error
        except aiohttp.ClientError as error:
            self._not_sent(outbox_id)
            raise NetworkError(f"aiohttp.{type(error).__name__}: {error}") from error
        if status >= 300:
            self._not_sent(outbox_id)
        return status, body

    def _not_sent(self, outbox_id: int | None) -> None:
        """Refused (a 429, a blocked bot), or failed: the outbox will try again or give up, as it decides."""
        if outbox_id is not None and self._journal is not None:
            self._journal.withdraw(outbox_id)


def _json_utf8(value: object) -> str:
    """Arabic and accented letters as themselves, not as \\u escapes: a third of the bytes."""
    return json.dumps(value, ensure_ascii=False)


def _given(value: object, default: float) -> float | None:
    """PTB passes BaseRequest.DEFAULT_NONE for "not given"; None means no limit."""
    return default if value is BaseRequest.DEFAULT_NONE else value  # type: ignore[return-value]


def _body(request_data: RequestData | None) -> dict[str, Any]:
    """A JSON body, which the Bot API takes; multipart when there are files to upload.

    JSON, not form fields: aiohttp builds a form with a multipart writer and percent-encodes
    every byte of the text in Python, which cost half of each call's time.
    """
    if request_data is None:
        return {}
    if not request_data.contains_files:
        return {"json": request_data.parameters}
    form = aiohttp.FormData()
    for name, value in request_data.json_parameters.items():
        form.add_field(name, value)
    for name, (filename, content, mime_type) in request_data.multipart_data.items():  # type: ignore[misc]
        form.add_field(name, content, filename=filename, content_type=mime_type)
    return {"data": form}
