"""What the channel code needs to know about the inbox row it is handling, without an argument through PTB.

python-telegram-bot calls the handlers with (update, context) only; the worker sets this before
it passes an update to the Application, in the same task, so the handlers and the error handler
read it (contextvars follow the await chain, not other tasks).
"""

from contextvars import ContextVar
from dataclasses import dataclass


@dataclass
class Handling:
    item_id: int
    handled: bool = False
    """The engine marked the row done, in the transaction that stored the replies."""
    error: BaseException | None = None
    """What made the handling fail, for the worker to try again (the person is not told yet)."""


CURRENT: ContextVar[Handling | None] = ContextVar("inbox_handling", default=None)
