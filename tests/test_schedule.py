"""The permanence schedule: open or closed at any moment, the next openings, clear errors."""

from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.cli import main
from bot.errors import ScheduleInvalid
from handover.schedule import describe, load_schedule

BRUSSELS = ZoneInfo("Europe/Brussels")
SCHEDULE = """\
timezone: Europe/Brussels
weekly:
  - {day: tuesday, start: "14:00", end: "18:00"}
exceptions:
  - {date: 2026-12-08, closed: true}
  - {date: 2026-12-10, start: "10:00", end: "12:00"}
"""


@pytest.fixture
def schedule_file(tmp_path) -> Path:
    path = tmp_path / "schedule.yml"
    path.write_text(SCHEDULE)
    return path


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 12, day, hour, minute, tzinfo=BRUSSELS)


@pytest.mark.parametrize(
    ("moment", "open_"),
    [
        (at(1, 14), True),
        (at(1, 17, 59), True),
        (at(1, 18), False),
        (at(1, 13, 59), False),
        (at(2, 15), False),
        (at(8, 15), False),  # a closed Tuesday
        (at(10, 11), True),  # an extra opening
    ],
)
def test_open_or_closed(schedule_file, moment, open_):
    assert load_schedule(schedule_file).is_open(moment) is open_


def test_moments_in_another_timezone_are_compared_in_brussels_time(schedule_file):
    assert load_schedule(schedule_file).is_open(datetime(2026, 12, 1, 13, 30, tzinfo=UTC))  # 14:30 in Brussels


def test_next_openings_skip_closed_days_and_include_extra_ones(schedule_file):
    openings = load_schedule(schedule_file).next_openings(at(2, 9), count=3)
    assert [o.start for o in openings] == [at(10, 10), at(15, 14), at(22, 14)]


@pytest.mark.parametrize(
    ("lang", "text"),
    [
        ("fr", "mardi 15 décembre à 14:00"),
        ("es", "martes 15 de diciembre a las 14:00"),
        ("en", "Tuesday 15 December at 14:00"),
    ],
)
def test_next_opening_is_said_in_the_persons_language(lang, text):
    assert describe(at(15, 14), lang, BRUSSELS) == text


def test_arabic_opening_isolates_its_numbers():
    assert describe(at(15, 14), "ar", BRUSSELS) == "الثلاثاء \u206815\u2069 ديسمبر، الساعة \u206814:00\u2069"


@pytest.mark.parametrize(
    ("line", "broken", "message"),
    [
        (1, "timezone: Europe/Bruxelles", "1: unknown timezone 'Europe/Bruxelles'"),
        (3, '  - {day: mardi, start: "14:00", end: "18:00"}', "3: unknown day 'mardi'"),
        (3, '  - {day: tuesday, start: "18:00", end: "14:00"}', "3: the end (14:00) must come after the start (18:00)"),
        (3, '  - {day: tuesday, start: "2pm", end: "18:00"}', '3: start and end must be times written "HH:MM"'),
        (5, "  - {date: 2026-13-08, closed: true}", "5: YAML error: invalid date '2026-13-08'"),
        (5, "  - {date: 2026-12-08}", "5: an exception is either 'closed: true' or has a start and an end"),
    ],
)
def test_invalid_schedule_names_file_and_line(schedule_file, line, broken, message):
    lines = SCHEDULE.splitlines()
    lines[line - 1] = broken
    schedule_file.write_text("\n".join(lines) + "\n")
    with pytest.raises(ScheduleInvalid) as error:
        load_schedule(schedule_file)
    assert any(str(p).startswith(f"{schedule_file}:{message}") for p in error.value.problems), error.value.problems


def test_schedule_command_exits_1_with_file_and_line(schedule_file, monkeypatch, capsys):
    schedule_file.write_text(SCHEDULE.replace("tuesday", "mardi"))
    monkeypatch.setenv("SCHEDULE_FILE", str(schedule_file))
    assert main(["handover", "schedule"]) == 1
    assert f"{schedule_file}:3: unknown day 'mardi'" in capsys.readouterr().out


def test_schedule_command_prints_the_next_openings(schedule_file, monkeypatch, capsys):
    monkeypatch.setenv("SCHEDULE_FILE", str(schedule_file))
    assert main(["handover", "schedule"]) == 0
    out = capsys.readouterr().out
    assert "The permanence is" in out and "Next openings:" in out


def test_the_repository_schedule_is_valid():
    from bot.settings import REPOSITORY

    assert load_schedule(REPOSITORY / "handover" / "schedule.yml").weekly
