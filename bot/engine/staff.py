"""The staff desk as the engine sees it: a protocol, so that the engine (and the Turn that carries the desk) never imports handover/desk.py."""

from typing import Protocol

from bot.storage import Repository
from bot.storage.models import HandoverRequest, User


class StaffSide(Protocol):
    """What the engine tells the staff desk, inside the unit of work of the person's message."""

    async def opened(self, repo: Repository, user: User, request: HandoverRequest) -> None: ...

    async def relay_from_person(self, repo: Repository, request: HandoverRequest, text: str, edited: bool = False) -> None: ...

    async def crisis_raised(self, repo: Repository, request: HandoverRequest) -> None: ...

    async def person_forgot(self, repo: Repository, requests: list[HandoverRequest]) -> None: ...

    def wake(self) -> None:
        """Held messages were released: deliver them now."""
