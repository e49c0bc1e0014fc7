"""The tables. What is kept, and why, is listed in /privacy: keep the two in step.

No table holds a Telegram id, a phone number or a name: a person is known by a pseudonym (a
keyed hash) and the channel address needed to reply. Statistics hold no text and no link to
the person: only hashes salted per reporting period (bot/storage/statistics.py), which count
people within a period and mean nothing outside it.
"""

from datetime import datetime
from enum import StrEnum
from typing import cast

from sqlalchemy import JSON, BigInteger, Boolean, DateTime, Float, ForeignKey, Index, Integer, String, Table, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class HandoverStatus(StrEnum):
    """waiting → active (a staff member took it) → closed."""

    WAITING = "waiting"
    ACTIVE = "active"
    CLOSED = "closed"


class OutboxStatus(StrEnum):
    QUEUED = "queued"
    HELD = "held"
    """WhatsApp's 24-hour window is closed: it goes out when the person writes again."""
    SENT = "sent"
    FAILED = "failed"
    """Given up (blocked, refused, too many attempts); the desk told the topic."""


class InboxStatus(StrEnum):
    PENDING = "pending"
    DONE = "done"
    DEAD = "dead"
    """Set aside: unreadable, or failed too many times; its text erased."""


class Base(DeclarativeBase):
    pass


def table_of(model: type[Base]) -> Table:
    """A model's Table, for Core statements (SQLAlchemy types `__table__` as any FROM clause)."""
    return cast(Table, model.__table__)


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
    blocked_reason: Mapped[str | None] = mapped_column(String(200))
    """Set by staff (/block): the bot no longer answers this person."""


class Event(Base):
    """One handled message, for statistics: never text, never who.

    The `person_*` columns tell one person's messages apart within one month, two-month
    period, quarter and year (a hash salted per bucket, bot/storage/statistics.py): enough to
    count people in a report, nothing that links them across buckets or back to a pseudonym.
    """

    __tablename__ = "events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    channel: Mapped[str] = mapped_column(String(16))
    language: Mapped[str | None] = mapped_column(String(8))
    intent: Mapped[str | None] = mapped_column(String(64))
    route: Mapped[str] = mapped_column(String(16))
    person_month: Mapped[str | None] = mapped_column(String(16))
    person_period: Mapped[str | None] = mapped_column(String(16))
    person_quarter: Mapped[str | None] = mapped_column(String(16))
    person_year: Mapped[str | None] = mapped_column(String(16))
    first_contact: Mapped[bool] = mapped_column(Boolean, default=False)
    """The person's first message ever (or since they used /forget)."""
    in_hours: Mapped[bool | None] = mapped_column(Boolean)
    """During the permanence's hours; None when the bot runs without a schedule."""
    source: Mapped[str | None] = mapped_column(String(32))
    """The outreach campaign the person came from (a deep link, a WhatsApp code), if any."""


class ReportSalt(Base):
    """The salt of one reporting bucket ("2026-03", "2026-P2", "2026-Q1", "2026"), made once, shared by every process."""

    __tablename__ = "report_salts"

    bucket: Mapped[str] = mapped_column(String(16), primary_key=True)
    value: Mapped[str] = mapped_column(String(64))


class HandoverRequest(Base):
    """A conversation that needs a person: waiting → active (a staff member took it) → closed.

    The text is kept only while the handover needs it, and erased RETENTION_DAYS after closing.
    """

    __tablename__ = "handover_requests"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    reason: Mapped[str] = mapped_column(String(64))
    priority: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(16), default=HandoverStatus.WAITING, index=True)
    text: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    claimed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    staff_alias: Mapped[str | None] = mapped_column(String(64))
    """The alias of the staff member who took it (from STAFF_IDS), never a Telegram name."""
    staff_thread_id: Mapped[int | None] = mapped_column(BigInteger, index=True)
    """The topic of the staff group where this conversation is followed."""
    first_reply_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    """When a staff member first wrote to the person: the wait reports measure, kept after the messages are erased."""
    in_hours: Mapped[bool | None] = mapped_column(Boolean)
    """Asked during the permanence's hours; None when the bot runs without a schedule."""
    outcome: Mapped[str | None] = mapped_column(String(32))
    """What came of it, chosen by staff at /close (handover/outcomes.py)."""


class HandoverRecord(Base):
    """What reports need of a handover whose person used /forget: no link to anyone, no text."""

    __tablename__ = "handover_records"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    channel: Mapped[str] = mapped_column(String(16))
    language: Mapped[str | None] = mapped_column(String(8))
    reason: Mapped[str] = mapped_column(String(64))
    in_hours: Mapped[bool | None] = mapped_column(Boolean)
    first_reply_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    outcome: Mapped[str | None] = mapped_column(String(32))


class UnansweredQuestion(Base):
    """A message the bot could not answer well, scrubbed before it is stored, for the FAQ editors.

    Kept UNANSWERED_DAYS at most, erased by /forget (hence the link to the person, and nothing else).
    """

    __tablename__ = "unanswered"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    language: Mapped[str | None] = mapped_column(String(8))
    intent: Mapped[str | None] = mapped_column(String(64))
    """What the bot guessed."""
    confidence: Mapped[float] = mapped_column(Float)
    text: Mapped[str] = mapped_column(Text)


class HandoverMessage(Base):
    """What was said during a handover, for the staff topic; erased with the handover's text."""

    __tablename__ = "handover_messages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("handover_requests.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    author: Mapped[str] = mapped_column(String(16))
    """person, bot, staff or note (internal, never sent to the person)."""
    staff_alias: Mapped[str | None] = mapped_column(String(64))
    text: Mapped[str | None] = mapped_column(Text)


class OutboxMessage(Base):
    """A message to deliver later, or again: staff replies, relays, notices.

    Delivery survives restarts and is shared by several bot processes (each claims its own
    rows). `held`: WhatsApp's 24-hour window is closed; the row waits for the person to write.
    """

    __tablename__ = "outbox"
    __table_args__ = ({"sqlite_autoincrement": True},)
    """An id is never given twice: the sent journal names rows by id (bot/storage/journal.py)."""

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    request_id: Mapped[int | None] = mapped_column(ForeignKey("handover_requests.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(String(16))
    """The person's channel, or "staff" for the staff group."""
    address: Mapped[str] = mapped_column(String(128))
    body: Mapped[dict] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16), default=OutboxStatus.QUEUED, index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    due_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)
    claimed_by: Mapped[str | None] = mapped_column(String(32))
    claimed_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    platform_message_id: Mapped[str | None] = mapped_column(String(128), index=True)
    """The platform's id of the sent message, to match a later delivery status (WhatsApp)."""
    error: Mapped[str | None] = mapped_column(String(64))
    """A short code (blocked, invalid, window...), never message text."""


ERASE_WHEN_DONE = "erase_when_done"
"""An outbox body's key: the row is deleted once sent or given up (the replies to a person's message, bot/inbox/replies.py)."""


class Announcement(Base):
    """A post to the staff group that must happen once, whichever process gets there first."""

    __tablename__ = "announcements"
    __table_args__ = (UniqueConstraint("kind", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class AppSecret(Base):
    """Secrets the bot makes for itself (the pseudonym key) when the settings give none."""

    __tablename__ = "app_secrets"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(String(256))


class SeenUpdate(Base):
    """An incoming update already handled, so that a repeated delivery of it is ignored.

    Noted in the transaction that handles the update: one whose handling failed is not noted.
    The unique key makes this hold across bot processes sharing one database. Rows are
    forgotten after 8 days (handover/jobs.py): Meta repeats a webhook call for up to 7 days, and
    an id holds no text and no person.
    """

    __tablename__ = "seen_updates"

    channel: Mapped[str] = mapped_column(String(16), primary_key=True)
    update_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)


class InboxItem(Base):
    """An incoming update, stored before the platform is told it arrived (DESIGN.md: nothing lost).

    pending → done, or dead when it cannot be read or its handling failed too often. The raw
    `payload` (message text, ids) and the `sender_key` are there only while the row is pending:
    both go when it is handled or set aside. The bare row (channel, delivery id, times, the
    error's class) stays 8 days, so that a repeated delivery is still recognised, then goes
    (handover/jobs.py).
    """

    __tablename__ = "inbox"
    __table_args__ = (UniqueConstraint("channel", "delivery_id"), Index("ix_inbox_sender_pending", "sender_key", "status", "id"), Index("ix_inbox_status", "status", "id"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    delivery_id: Mapped[str] = mapped_column(String(128))
    """The channel's id of the delivery: Telegram's update_id, WhatsApp's message id."""
    sender_key: Mapped[str | None] = mapped_column(String(32))
    """A keyed hash of the chat (bot/inbox/keys.py): one person's messages are handled in order. Never a raw id."""
    payload: Mapped[dict | None] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(8), default=InboxStatus.PENDING)
    tries: Mapped[int] = mapped_column(Integer, default=0)
    next_try_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    claimed_by: Mapped[str | None] = mapped_column(String(32))
    claimed_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    error: Mapped[str | None] = mapped_column(String(64))
    """The class of the last error (never its message: it can quote the text)."""
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    handled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), index=True)
