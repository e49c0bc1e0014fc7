"""The periods a report covers: a month (2026-03), a quarter (2026-Q2), one of the year's six
two-month periods (2026-P1 is January and February), a year (2026), or any --from/--to.

A period is days in the permanence's timezone; the hash people are counted with is the one of
the finest bucket holding the whole period (bot/storage/statistics.py), so counts are exact
within a year and an upper bound across years.
"""

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo

from bot.storage.statistics import BUCKET_KINDS, buckets

_NAMED = re.compile(r"(?P<year>\d{4})(?:-(?:(?P<month>\d{2})|P(?P<period>[1-6])|Q(?P<quarter>[1-4])))?")


class PeriodInvalid(ValueError):
    """A period the command line cannot read: the message says what to write."""


@dataclass(frozen=True)
class Period:
    name: str
    first: date
    end: date
    """The day after the last."""

    @property
    def days(self) -> int:
        return (self.end - self.first).days

    def bounds(self, zone: tzinfo) -> tuple[datetime, datetime]:
        """[start, end) as instants, for the queries."""
        return (
            datetime.combine(self.first, time(), zone).astimezone(UTC),
            datetime.combine(self.end, time(), zone).astimezone(UTC),
        )

    @property
    def person_kind(self) -> str:
        """The finest bucket that holds every day of the period; "year" (an upper bound) across years."""
        last = self.end - timedelta(days=1)
        for kind in BUCKET_KINDS:
            if buckets(self.first)[kind] == buckets(last)[kind]:
                return kind
        return "year"

    @property
    def spans_years(self) -> bool:
        return self.first.year != (self.end - timedelta(days=1)).year


def named(text: str) -> Period:
    found = _NAMED.fullmatch(text.strip().upper())
    if found is None:
        raise PeriodInvalid(f"'{text}' is not a period: write 2026-03 (a month), 2026-P1 (January-February), 2026-Q2 (a quarter) or 2026 (a year)")
    year = int(found["year"])
    if found["month"]:
        month = int(found["month"])
        if not 1 <= month <= 12:
            raise PeriodInvalid(f"'{text}': a month is 01 to 12")
        return Period(f"{year}-{month:02d}", date(year, month, 1), _month_start(year, month + 1))
    if found["period"]:
        first = 2 * int(found["period"]) - 1
        return Period(f"{year}-P{found['period']}", date(year, first, 1), _month_start(year, first + 2))
    if found["quarter"]:
        first = 3 * int(found["quarter"]) - 2
        return Period(f"{year}-Q{found['quarter']}", date(year, first, 1), _month_start(year, first + 3))
    return Period(f"{year}", date(year, 1, 1), date(year + 1, 1, 1))


def between(first: date, last: date) -> Period:
    """--from/--to: both days included."""
    if last < first:
        raise PeriodInvalid(f"--to {last} is before --from {first}")
    return Period(f"{first.isoformat()}..{last.isoformat()}", first, last + timedelta(days=1))


def _month_start(year: int, month: int) -> date:
    return date(year + (month - 1) // 12, (month - 1) % 12 + 1, 1)
