"""Statistics: one row per message, with its channel, language, intent and route, and never its text.

Counting people without following them. A report counts unique people, and new against
returning ones, in a month, a two-month period (what funders get six times a year), a quarter
or a year. Each event carries, for each of these four buckets, a hash of the person's pseudonym
salted with that bucket's own salt (table report_salts): within a bucket one person always gets
the same hash, so `count(distinct)` is exact; across buckets the hashes share nothing, so no
table says that the person of March is the person of April.

The trade-off. One salt per month only would have been the least linkable, but a quarter's or a
year's unique people cannot be added up from months (a person of January and February would be
counted twice). So the year's hash links one person's events within a calendar year, which the
yearly report needs, and never beyond it. A range given with --from/--to is exact within one
year (counted with the finest bucket that holds it) and an upper bound across years.

`/forget` erases the person, never an event: nothing here points back to them (the salts are
not the pseudonym key, and a hash is one-way). Someone who writes again after /forget is new
again, which is what they asked for. Once a bucket is over its salt is deleted
(`forget_salts_before`, run by handover/jobs.py): its hashes stay countable and no one, not even
with the database and a pseudonym, can find that person's events in it any more.
"""

import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, date, datetime, tzinfo
from hashlib import sha256

from sqlalchemy import delete, insert, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.database import touched
from bot.storage.models import Event, ReportSalt, table_of

_EVENT = insert(table_of(Event))
NEW_SALTS = "new_salts"
"""A session's key: the salts read in its transaction, kept by Storage once it committed (a salt made in a
transaction rolled back never existed)."""
_NEW_SALT = {"postgresql": postgresql.insert(table_of(ReportSalt)).on_conflict_do_nothing(), "sqlite": sqlite.insert(table_of(ReportSalt)).on_conflict_do_nothing()}
BUCKET_KINDS = ("month", "period", "quarter", "year")
"""The finest first: the columns person_<kind> of events."""


@dataclass(frozen=True)
class Visit:
    """Who sent a message, as far as statistics may know: counted, never named."""

    pseudonym: str
    first_contact: bool
    in_hours: bool | None = None
    source: str | None = None


def buckets(day: date) -> dict[str, str]:
    """The four buckets a local day falls in, by kind: {"month": "2026-03", "period": "2026-P2", "quarter": "2026-Q1", "year": "2026"}."""
    return {
        "month": f"{day.year}-{day.month:02d}",
        "period": f"{day.year}-P{(day.month + 1) // 2}",
        "quarter": f"{day.year}-Q{(day.month + 2) // 3}",
        "year": f"{day.year}",
    }


def person_hash(salt: str, pseudonym: str) -> str:
    return hmac.new(salt.encode(), pseudonym.encode(), sha256).hexdigest()[:16]


class StatisticsQueries:
    def __init__(self, session: AsyncSession, salts: dict[str, str] | None = None):
        """`salts`: the buckets' salts this process already read (Storage keeps them: they never change)."""
        self.session = session
        self.salts = {} if salts is None else salts

    async def record(
        self, at: datetime, channel: str, language: str | None, intent: str | None, route: str, visit: Visit | None = None, zone: tzinfo = UTC
    ) -> None:
        """A plain INSERT, without the unit of work: it runs for every message.

        `zone`: where the reports' months begin (the permanence's timezone), for the buckets.
        """
        values: dict[str, object] = {"at": at, "channel": channel, "language": language, "intent": intent, "route": route, "first_contact": False}
        values.update({"in_hours": None, "source": None, **{f"person_{kind}": None for kind in BUCKET_KINDS}})
        if visit is not None:
            named = buckets(at.astimezone(zone).date())
            salts = await self._salts(list(named.values()))
            values.update({f"person_{kind}": person_hash(salts[bucket], visit.pseudonym) for kind, bucket in named.items()})
            values.update(first_contact=visit.first_contact, in_hours=visit.in_hours, source=visit.source)
        await self.session.execute(_EVENT, values)

    async def _salts(self, names: list[str]) -> dict[str, str]:
        """Each bucket's salt, made by the first process that needs it."""
        pending: dict[str, str] = self.session.info.setdefault(NEW_SALTS, {})
        known = {**self.salts, **pending}
        missing = [name for name in names if name not in known]
        if missing:
            statement = _NEW_SALT[self.session.get_bind().dialect.name]
            await self.session.execute(statement, [{"bucket": name, "value": secrets.token_hex(32)} for name in missing])
            rows = await self.session.execute(select(ReportSalt.bucket, ReportSalt.value).where(ReportSalt.bucket.in_(missing)))
            pending.update({bucket: value for bucket, value in rows})
            known.update(pending)
        return known

    async def forget_salts_before(self, now: datetime, zone: tzinfo = UTC) -> int:
        """The salts of buckets that are over: their hashes can no longer be matched to anyone. Messages are
        counted in the bucket of the moment they are handled, so a bucket over is never written to again."""
        current = list(buckets(now.astimezone(zone).date()).values())
        result = await self.session.execute(delete(ReportSalt).where(ReportSalt.bucket.not_in(current)))
        return touched(result)
