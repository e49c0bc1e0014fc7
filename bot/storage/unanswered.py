"""The questions the bot could not answer well, for the FAQ editors: scrubbed before they get here, kept a few weeks."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.database import note_erasure, touched
from bot.storage.models import UnansweredQuestion, User


@dataclass(frozen=True)
class Unanswered:
    at: datetime
    language: str | None
    intent: str | None
    """What the bot guessed."""
    confidence: float
    text: str
    """Scrubbed of numbers, addresses, links and names (bot/engine/unanswered.py)."""


class UnansweredQueries:
    def __init__(self, session: AsyncSession):
        self.session = session

    async def add(self, user: User, question: Unanswered) -> None:
        self.session.add(UnansweredQuestion(
            user_id=user.id, at=question.at, language=question.language, intent=question.intent, confidence=question.confidence, text=question.text
        ))

    async def since(self, start: datetime) -> list[Unanswered]:
        query = select(UnansweredQuestion).where(UnansweredQuestion.at >= start).order_by(UnansweredQuestion.at)
        return [Unanswered(row.at, row.language, row.intent, row.confidence, row.text) for row in await self.session.scalars(query)]

    async def erase_before(self, cutoff: datetime) -> int:
        """Retention: questions older than UNANSWERED_DAYS go."""
        result = await self.session.execute(delete(UnansweredQuestion).where(UnansweredQuestion.at < cutoff))
        if touched(result):
            note_erasure(self.session)
        return touched(result)
