"""The periods a report covers, and the team's file of topics."""

from datetime import date
from pathlib import Path

import pytest

from bot.reports.categories import CATEGORIES_FILE, OTHER, CategoriesInvalid, known_intents, load_categories
from bot.reports.periods import PeriodInvalid, between, named
from bot.settings import REPOSITORY


@pytest.mark.parametrize(
    ("name", "first", "end", "kind"),
    [
        ("2026-P1", date(2026, 1, 1), date(2026, 3, 1), "period"),
        ("2026-P6", date(2026, 11, 1), date(2027, 1, 1), "period"),
        ("2026-03", date(2026, 3, 1), date(2026, 4, 1), "month"),
        ("2026-Q2", date(2026, 4, 1), date(2026, 7, 1), "quarter"),
        ("2026", date(2026, 1, 1), date(2027, 1, 1), "year"),
    ],
)
def test_a_named_period_is_its_days_and_counts_people_with_its_own_bucket(name, first, end, kind):
    period = named(name)
    assert (period.first, period.end, period.person_kind) == (first, end, kind)


def test_from_and_to_include_both_days_and_use_the_finest_bucket_that_holds_them():
    period = between(date(2026, 3, 10), date(2026, 4, 20))
    assert (period.end, period.person_kind) == (date(2026, 4, 21), "period")


def test_a_range_across_years_is_flagged_as_an_upper_bound():
    assert between(date(2025, 12, 1), date(2026, 1, 31)).spans_years


@pytest.mark.parametrize("text", ["2026-P7", "2026-13", "march", "2026-Q5"])
def test_a_period_that_cannot_be_read_says_what_to_write(text):
    with pytest.raises(PeriodInvalid, match="2026-P1|01 to 12"):
        named(text)


@pytest.fixture(scope="module")
def intents() -> set[str]:
    return known_intents(REPOSITORY / "faq")


def test_the_shipped_categories_file_is_valid_and_maps_the_issues_topics(intents):
    categories = load_categories(CATEGORIES_FILE, intents)
    assert (categories.of("prep.info"), categories.of("social.papers"), categories.of("greet"), categories.of(None)) == ("sexual_health", "rights_papers", OTHER, OTHER)


def test_an_unknown_intent_in_the_categories_file_is_shown_at_its_line_with_a_suggestion(tmp_path: Path, intents):
    path = tmp_path / "categories.yml"
    path.write_text("categories:\n  drugs:\n    label: {fr: Drogues, en: Drugs}\n    intents:\n      - drugs.*\n      - prep.inf\n")
    with pytest.raises(CategoriesInvalid) as raised:
        load_categories(path, intents)
    assert [str(problem) for problem in raised.value.problems] == [f"{path}:6: 'prep.inf' is no intent the bot knows (did you mean 'prep.info'?)"]


def test_an_intent_in_two_categories_is_refused(tmp_path: Path, intents):
    path = tmp_path / "categories.yml"
    path.write_text("categories:\n  a:\n    label: {fr: A, en: A}\n    intents: [prep.*]\n  b:\n    label: {fr: B, en: B}\n    intents: [prep.info]\n")
    with pytest.raises(CategoriesInvalid, match="categories.yml:7: 'prep.info' is already in category 'a'"):
        load_categories(path, intents)


def test_a_category_without_a_label_in_every_report_language_is_refused(tmp_path: Path, intents):
    path = tmp_path / "categories.yml"
    path.write_text("categories:\n  a:\n    label: {fr: A}\n    intents: [prep.*]\n")
    with pytest.raises(CategoriesInvalid, match="categories.yml:3: category 'a' needs a label in en"):
        load_categories(path, intents)
