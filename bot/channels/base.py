"""The contract every channel keeps: what `outreach-bot run` starts, sends through and stops.

A channel turns its platform's messages into rows of the inbox and the engine's Replies into its
platform's messages. It is built from the settings and the parts it needs (`ChannelParts`), and
told at start where to put what it receives (`Hub`): the inbox stores, the inbox's worker hands
each row back to the channel (`handle`), the outbox sends what is not an immediate reply through
the channel's `send`. A channel knows no FAQ and no other channel; nothing but the service that
runs them (bot/service.py) and the registry (bot/channels/registry.py) imports one.
"""

from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from starlette.routing import BaseRoute

from bot.engine import Engine
from bot.messages import Delivered, DeliveryResult, Reply
from bot.outbox import StaffRoom
from bot.storage.inbox_queries import Claimed
from handover.desk import Desk


@dataclass(frozen=True)
class Capabilities:
    """What the platform can show, for the parts that word or shape a reply for it."""

    buttons: bool
    """Quick replies as buttons a person presses; without them, a numbered list to answer with a digit."""
    max_text: int
    """Characters one message may hold; longer replies go out in pieces."""
    protects_content: bool
    """Discreet replies can be kept from being forwarded or saved."""


@dataclass(frozen=True)
class ChannelParts:
    """What a channel may need to be built: the engine it hands messages to, and the staff desk when there is one."""

    engine: Engine
    desk: Desk | None = None
    report: Callable[[str], Awaitable[str]] | None = None
    """A period's summary for the staff group (bot/reports/staff.py), with the desk."""


@dataclass(frozen=True)
class Hub:
    """Where a started channel puts what it receives."""

    store: Callable[[list[dict[str, Any]]], Awaitable[int]]
    """The inbox's: rows {channel, delivery_id, sender_key, payload}, committed when it returns.
    A channel acknowledges a delivery to its platform only after this returned."""
    delivery_failed: Callable[[str, str, DeliveryResult], Awaitable[None]]
    """The outbox's: (channel, platform message id, result) for a message the platform reported undelivered later."""
    wake_outbox: Callable[[], None]
    """Something was queued in the outbox: deliver it now rather than at the next poll."""
    failed: Callable[[], None]
    """The channel can no longer receive: the bot stops, and the channel's `stop` raises why."""


class Channel(ABC):
    """One platform. `name` is what the inbox and outbox rows and the pseudonyms are keyed by: never change it."""

    name: ClassVar[str]
    capabilities: ClassVar[Capabilities]
    staff_room: StaffRoom | None = None
    """The staff group, on the channel that hosts one (Telegram's forum topics)."""

    def routes(self) -> Sequence[BaseRoute]:
        """Webhooks on the bot's web server; they refuse calls until `start`."""
        return ()

    async def open(self) -> None:
        """Connect, so that `send` works: the inbox and the outbox send what a previous run left before anything is received.
        Raises SettingsError, in one sentence, when the platform refuses the settings."""

    @abstractmethod
    async def start(self, hub: Hub) -> None:
        """Start receiving."""

    @abstractmethod
    async def stop(self) -> None:
        """Stop receiving; what was received is in the inbox. Sending still works until `aclose`."""

    async def aclose(self) -> None:
        """Release what `open` took, once the inbox and the outbox have finished what they had in hand."""

    @abstractmethod
    async def send(self, address: str, reply: Reply) -> DeliveryResult:
        """One reply to the person at `address`, outside the answer to their own message (the outbox's way)."""

    async def announce_held(self, address: str, lang: str) -> DeliveryResult:
        """Tell the person an answer waits for them, on a platform that holds messages back (WhatsApp's 24 hours).
        Elsewhere nothing is ever held."""
        return Delivered()

    @abstractmethod
    async def handle(self, item: Claimed) -> bool:
        """The inbox worker's: handle a stored row (bot/inbox/worker.py, InboxHandler)."""

    @abstractmethod
    def apology_to(self, payload: dict[str, Any]) -> str | None:
        """Where to tell the person that their message could not be handled, if the stored payload says."""
