"""The tables. What is kept, and why, is listed in /privacy: keep the two in step.

No table holds a Telegram id, a phone number or a name: a person is known by a pseudonym (a
keyed hash) and the channel address needed to reply. Statistics hold no text and no link to
the person.
"""

from datetime import datetime

from sqlalchemy import JSON, Boolean, DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    pseudonym: Mapped[str] = mapped_column(String(32), unique=True)
    channel: Mapped[str] = mapped_column(String(16))
    address: Mapped[str] = mapped_column(String(128))
    """Where replies go on that channel (a chat id); never shown to staff or logged."""
    language: Mapped[str | None] = mapped_column(String(8))
    language_confirmed: Mapped[bool] = mapped_column(Boolean, default=False)
    state: Mapped[dict] = mapped_column(JSON, default=dict)
    """Conversation state: what the bot is waiting for, how many times in a row it did not understand."""
    first_seen: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    last_seen: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Event(Base):
    """One handled message, for statistics: never text, never who."""

    __tablename__ = "events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    channel: Mapped[str] = mapped_column(String(16))
    language: Mapped[str | None] = mapped_column(String(8))
    intent: Mapped[str | None] = mapped_column(String(64))
    route: Mapped[str] = mapped_column(String(16))


class HandoverRequest(Base):
    """A conversation that needs a person. The text is kept only while the handover needs it."""

    __tablename__ = "handover_requests"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    reason: Mapped[str] = mapped_column(String(64))
    priority: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(16), default="waiting")
    text: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class AppSecret(Base):
    """Secrets the bot makes for itself (the pseudonym key) when the settings give none."""

    __tablename__ = "app_secrets"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(String(256))
