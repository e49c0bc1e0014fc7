"""The permanence schedule: when a person from the team answers.

The team edits handover/schedule.yml; the format is meant to be read and written by a person:

    timezone: Europe/Brussels
    weekly:                      # the online permanence
      - {day: tuesday, start: "14:00", end: "18:00"}
    exceptions:                  # closed days, or extra openings
      - {date: 2026-12-25, closed: true}
      - {date: 2026-12-30, start: "10:00", end: "12:00"}

A closed exception cancels that day's weekly openings; an exception with hours adds an opening.
"""

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel.dates import format_datetime

from bot.bidi import isolate_ltr
from bot.errors import Problem, ScheduleInvalid, YamlError
from bot.faq.yamlfile import LineDict, LineList, load
from bot.languages import DEFAULT

DAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_TIME = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")
_LOOKAHEAD_DAYS = 60
DATE_FORMATS = {
    "fr": "EEEE d MMMM 'à' HH:mm",
    "es": "EEEE d 'de' MMMM 'a las' HH:mm",
    "ar": "EEEE d MMMM، 'الساعة' HH:mm",
    "en": "EEEE d MMMM 'at' HH:mm",
}


@dataclass(frozen=True)
class Opening:
    start: datetime
    end: datetime

    def contains(self, moment: datetime) -> bool:
        return self.start <= moment < self.end


@dataclass(frozen=True)
class _Hours:
    start: time
    end: time


@dataclass(frozen=True)
class Schedule:
    timezone: ZoneInfo
    weekly: dict[int, tuple[_Hours, ...]]
    """Opening hours by weekday (0 = Monday)."""
    closed: frozenset[date]
    extra: dict[date, tuple[_Hours, ...]]

    def openings_on(self, day: date) -> list[Opening]:
        hours = [] if day in self.closed else list(self.weekly.get(day.weekday(), ()))
        hours += self.extra.get(day, ())
        openings = [
            Opening(datetime.combine(day, h.start, self.timezone), datetime.combine(day, h.end, self.timezone)) for h in hours
        ]
        return sorted(openings, key=lambda o: o.start)

    def current(self, moment: datetime) -> Opening | None:
        """The opening going on at `moment` (an aware datetime), if any."""
        local = moment.astimezone(self.timezone)
        return next((o for o in self.openings_on(local.date()) if o.contains(moment)), None)

    def is_open(self, moment: datetime) -> bool:
        return self.current(moment) is not None

    def next_openings(self, moment: datetime, count: int = 3) -> list[Opening]:
        """The next openings that start after `moment`, within the next two months."""
        local_day = moment.astimezone(self.timezone).date()
        found: list[Opening] = []
        for offset in range(_LOOKAHEAD_DAYS):
            found += [o for o in self.openings_on(local_day + timedelta(days=offset)) if o.start > moment]
            if len(found) >= count:
                break
        return found[:count]


def describe(moment: datetime, lang: str, timezone: ZoneInfo) -> str:
    """'mardi 2 décembre à 14:00' in the person's language (Arabic with isolated digits)."""
    text = format_datetime(moment.astimezone(timezone), DATE_FORMATS.get(lang, DATE_FORMATS[DEFAULT]), locale=lang)
    return isolate_ltr(text) if lang == "ar" else text


def load_schedule(path: Path) -> Schedule:
    problems: list[Problem] = []
    try:
        document = load(path)
    except YamlError as unreadable:
        raise ScheduleInvalid([unreadable.problem]) from None
    if not isinstance(document, LineDict):
        raise ScheduleInvalid([Problem(path, 1, "the schedule must be a mapping with timezone, weekly and exceptions")])

    def error(line: int, message: str) -> None:
        problems.append(Problem(path, line, message))

    try:
        timezone = ZoneInfo(str(document.get("timezone", "Europe/Brussels")))
    except (ZoneInfoNotFoundError, ValueError):
        error(document.line_of("timezone"), f"unknown timezone '{document.get('timezone')}' (e.g. Europe/Brussels)")
        timezone = ZoneInfo("Europe/Brussels")

    weekly: dict[int, list[_Hours]] = {}
    for item, line in _items(document, "weekly", error):
        day = str(item.get("day", "")).lower()
        hours = _hours(item, line, error)
        if day not in DAYS:
            error(line, f"unknown day '{item.get('day')}' (use {', '.join(DAYS)})")
        elif hours:
            weekly.setdefault(DAYS.index(day), []).append(hours)

    closed: set[date] = set()
    extra: dict[date, list[_Hours]] = {}
    for item, line in _items(document, "exceptions", error):
        when = item.get("date")
        if not isinstance(when, date):
            error(line, "an exception needs a date written YYYY-MM-DD")
            continue
        if item.get("closed") is True:
            closed.add(when)
        elif "start" in item or "end" in item:
            hours = _hours(item, line, error)
            if hours:
                extra.setdefault(when, []).append(hours)
        else:
            error(line, "an exception is either 'closed: true' or has a start and an end")
    if problems:
        raise ScheduleInvalid(problems)
    return Schedule(
        timezone,
        {when: tuple(hours) for when, hours in weekly.items()},
        frozenset(closed),
        {when: tuple(hours) for when, hours in extra.items()},
    )


def _items(document: LineDict, key: str, error: Any) -> list[tuple[LineDict, int]]:
    value = document.get(key)
    if value is None:
        return []
    if not isinstance(value, LineList):
        error(document.line_of(key), f"{key} must be a list")
        return []
    items = []
    for index, item in enumerate(value):
        if isinstance(item, LineDict):
            items.append((item, value.line_of(index)))
        else:
            error(value.line_of(index), f"each item of {key} must be a mapping like {{day: tuesday, start: \"14:00\", end: \"18:00\"}}")
    return items


def _hours(item: LineDict, line: int, error: Any) -> _Hours | None:
    start, end = _time(item.get("start")), _time(item.get("end"))
    if start is None or end is None:
        error(line, 'start and end must be times written "HH:MM", between quotes')
        return None
    if start >= end:
        error(line, f"the end ({end:%H:%M}) must come after the start ({start:%H:%M})")
        return None
    return _Hours(start, end)


def _time(value: Any) -> time | None:
    if isinstance(value, int) and 0 <= value < 24 * 60:
        # YAML 1.1 reads an unquoted 14:00 as a number of minutes (sexagesimal).
        return time(value // 60, value % 60)
    match = _TIME.match(str(value)) if value is not None else None
    return time(int(match.group(1)), int(match.group(2))) if match else None
