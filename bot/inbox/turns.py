"""One person's messages one after the other, different people at the same time.

Plain concurrency would let a person's "yes" overtake the question it answers; one global
order would make everyone wait for one slow reply. Each key (a chat, a WhatsApp number) gets a
lock while it has a message in hand, and messages wait for it in arrival order (asyncio locks
are fair). The lock goes when its last message is done: memory does not grow with the number
of people.
"""

import asyncio
from collections.abc import AsyncIterator, Hashable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field


@dataclass
class _Turn:
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    holders: int = 0
    """Messages of the key in hand or waiting; the entry goes when it falls to 0."""


class Turns:
    def __init__(self) -> None:
        self._turns: dict[Hashable, _Turn] = {}

    def __len__(self) -> int:
        """Keys with a message in hand or waiting."""
        return len(self._turns)

    @asynccontextmanager
    async def of(self, key: Hashable) -> AsyncIterator[None]:
        """Until the messages of `key` that came before this one are done."""
        turn = self._turns.setdefault(key, _Turn())
        turn.holders += 1
        try:
            async with turn.lock:
                yield
        finally:
            turn.holders -= 1
            if turn.holders == 0:
                del self._turns[key]
