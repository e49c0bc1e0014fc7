"""The outbox rows a platform has taken, written down the instant the request left.

A reply leaves the outbox once sent: its row is deleted, or marked sent. Between the platform's
answer and the commit of that change, a process killed with SIGKILL leaves the row as it was, and
the next start sends the reply a second time. That moment lasts as long as the transaction waits
for a connection: on SQLite every transaction of the process waits for its one connection, on
PostgreSQL for one of the pool's, and under a burst that is tens of milliseconds, in which several
replies can be caught. Waiting for the platform's answer is too late as well: the answer then waits
for the event loop, which under a burst can be busy for tens of milliseconds. So the HTTP layer
(bot/channels/telegram/http.py) writes the id here as soon as the request's body is in the
socket, which the platform reads even if the process dies right after, and writes it again with
a minus sign if the request fails after all. One write() to a file whose bytes the kernel keeps
when the process dies: the window is a system call. At the next start the ids in the file are
taken as sent (`Storage.settle_journal`), then dropped from the file; it is emptied during a run
too, whenever every id in it has been settled in the database. `sending` says which row a
request belongs to, without an argument through the platform's library.

Not fsync'ed: a power cut that loses the last writes sends those replies again, which is the
safe side (sent twice, never lost).
"""

import os
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path

EMPTIED_PAST = 64 * 1024
"""Bytes after which the file is emptied as soon as no id in it waits for the database (some 8,000 replies)."""


SENDING: ContextVar[int | None] = ContextVar("sending_outbox_row", default=None)
"""The outbox row whose message the current task is sending (set by bot/inbox/replies.py)."""


@contextmanager
def sending(outbox_id: int) -> Iterator[None]:
    token = SENDING.set(outbox_id)
    try:
        yield
    finally:
        SENDING.reset(token)


class SentJournal:
    """`path` None: a journal that keeps nothing, for a database in memory, which a kill loses anyway."""

    def __init__(self, path: Path | None):
        self.path = path
        self._fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o600) if path is not None else None
        self._unsettled: set[int] = set()

    def record(self, ids: Iterable[int]) -> None:
        """The platform took these rows' messages: called before anything else is awaited."""
        ids = list(ids)
        self._unsettled.update(ids)
        if ids and self._fd is not None:
            os.write(self._fd, "".join(f"{outbox_id}\n" for outbox_id in ids).encode())

    def withdraw(self, outbox_id: int) -> None:
        """A request recorded as it left failed after all (refused, timed out, an error): it did not go out."""
        self._unsettled.discard(outbox_id)
        if self._fd is not None:
            os.write(self._fd, f"-{outbox_id}\n".encode())

    def holds(self, outbox_id: int) -> bool:
        """Sent, and not yet noted in the database: the outbox must not send it again meanwhile."""
        return outbox_id in self._unsettled

    def settled(self, ids: Iterable[int]) -> None:
        """These recorded rows are now sent in the database too (committed)."""
        self._unsettled.difference_update(ids)
        if self._fd is not None and not self._unsettled and os.fstat(self._fd).st_size > EMPTIED_PAST:
            os.ftruncate(self._fd, 0)

    def read(self) -> list[int]:
        """The ids recorded since the file was last emptied (a line cut by a kill is left out)."""
        if self.path is None:
            return []
        with self.path.open("rb") as file:
            *lines, _cut = file.read().split(b"\n")  # what follows the last newline is a line the kill cut short
        sent: set[int] = set()
        for line in lines:
            if line.isdigit():
                sent.add(int(line))
            elif line[:1] == b"-" and line[1:].isdigit():
                sent.discard(int(line[1:]))
        return sorted(sent)

    def drop(self, ids: Iterable[int]) -> None:
        """Once the ids read are settled in the database: they leave the file; what was recorded since stays.

        At start the outbox may already be sending (bot/service.py starts it before the inbox, whose
        worker settles the journal): an id recorded while the database noted the ones read must
        survive, or a kill right after would send that reply again. Nothing here awaits, so no
        record() comes in between the read and the write.
        """
        gone = {str(outbox_id).encode() for outbox_id in ids}
        self._unsettled.difference_update(ids)
        if self._fd is None or self.path is None:
            return
        with self.path.open("rb") as file:
            *lines, _cut = file.read().split(b"\n")  # a line a kill cut short is no id
        kept = [line for line in lines if line.removeprefix(b"-") not in gone]
        os.ftruncate(self._fd, 0)
        if kept:
            os.write(self._fd, b"\n".join(kept) + b"\n")

    def close(self) -> None:
        """At a stop: empty when every id is settled, so that a clean stop leaves nothing to read at the next start."""
        if self._fd is not None:
            if not self._unsettled:
                os.ftruncate(self._fd, 0)
            os.close(self._fd)
            self._fd = None
