"""Quick retries of a call to a platform that met a busy spell, before the outbox is told to retry later.

A short outage (a restart, a rate limit of a second) is waited out here, so that the person gets
the reply at once; a longer one is the outbox's, with its own waits (bot/outbox/worker.py).
"""

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import httpx

from bot.messages import DeliveryResult, RetryLater

QUICK_RETRIES = 2
"""Times a busy or failing call is tried again at once (after a short wait)."""
FIRST_BACKOFF = 0.5
"""Seconds before the first quick retry; doubled each time."""
LONGEST_QUICK_WAIT = 5.0
"""A Retry-After longer than this is not waited out here: the outbox retries later."""
RETRY_BUSY = 30.0
"""Seconds before the outbox tries again after a rate limit or an outage, when the platform does not say."""


@dataclass(frozen=True)
class Busy:
    """A call worth trying again; `retry_after` when the platform said how long to wait."""

    retry_after: float | None


async def quickly_retried(call: Callable[[], Awaitable[DeliveryResult | Busy]], backoff: float) -> DeliveryResult:
    """The call's result, tried again while it is Busy; RetryLater once the quick retries are spent."""
    busy = Busy(None)
    for attempt in range(QUICK_RETRIES + 1):
        outcome = await call()
        if not isinstance(outcome, Busy):
            return outcome
        busy = outcome
        wait = busy.retry_after if busy.retry_after is not None else backoff * 2**attempt
        if attempt == QUICK_RETRIES or wait > LONGEST_QUICK_WAIT:
            break
        await asyncio.sleep(wait)
    return RetryLater(busy.retry_after if busy.retry_after is not None else RETRY_BUSY)


def retry_after(response: httpx.Response) -> float | None:
    """The Retry-After header in seconds, when there is one to read."""
    try:
        return max(0.0, float(response.headers["Retry-After"]))
    except (KeyError, ValueError):
        return None
