"""The bot's own sentences: complete catalogs, kept placeholders, Arabic plurals and direction."""

import gettext
import re

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from bot.bidi import FSI, PDI, isolate_ltr
from bot.engine.language_choice import IN_SENTENCE, NAMES
from bot.i18n import Catalogs
from bot.languages import SPOKEN
from bot.settings import CONTENT, REPOSITORY
from handover.schedule import DATE_FORMATS

LOCALES = REPOSITORY / "locales"


def catalog(lang: str):
    with (LOCALES / lang / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        return read_po(handle, locale=lang)


@pytest.mark.parametrize("lang", ["fr", "es", "ar", "en"])
def test_every_sentence_is_translated(lang):
    missing = [m.id for m in catalog(lang) if m.id and not (all(m.string) if isinstance(m.string, tuple) else m.string)]
    assert missing == []


@pytest.mark.parametrize("lang", ["fr", "es", "ar"])
def test_translations_keep_placeholders_and_commands(lang):
    for message in catalog(lang):
        if not message.id:
            continue
        source = message.id[1] if isinstance(message.id, tuple) else message.id
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        expected = set(re.findall(r"\{\w+\}|/[a-z]+", source)) - {"{n}"}
        for string in strings:
            assert expected <= set(re.findall(r"\{\w+\}|/[a-z]+", string)), (lang, source, string)


def test_catalogs_are_up_to_date_with_the_template():
    template = {m.id for m in read_po((LOCALES / "messages.pot").open("rb")) if m.id}
    for lang in ("fr", "es", "ar", "en"):
        assert {m.id for m in catalog(lang) if m.id} == template


def test_the_template_holds_every_sentence_of_the_code():
    """A sentence added in the code but never extracted would reach people in English."""
    found = extract_from_dir(
        str(REPOSITORY),
        method_map=[("bot/**.py", "python"), ("handover/**.py", "python")],
        keywords={"gettext": None, "ngettext": (1, 2)},
    )
    in_code = {message if isinstance(message, str) else message[0] for _file, _line, message, _comments, _context in found}
    template = {m.id if isinstance(m.id, str) else m.id[0] for m in read_po((LOCALES / "messages.pot").open("rb")) if m.id}
    assert in_code - template == set()


def test_arabic_has_six_plural_forms_in_the_right_places():
    arabic = catalog("ar")
    assert arabic.num_plurals == 6
    plural = gettext.c2py(arabic.plural_expr)
    # 0 zero, 1 one, 2 two, 3..10 few, 11..99 many, 100..102 other
    assert [plural(n) for n in (0, 1, 2, 3, 10, 11, 99, 100, 101, 102, 103)] == [0, 1, 2, 3, 3, 4, 4, 5, 5, 5, 3]
    translations = Catalogs(LOCALES).translator("ar")
    sentences = [translations.ngettext("You have {n} request with the team at the moment.", "You have {n} requests with the team at the moment.", n) for n in (0, 1, 2, 3, 11, 100)]
    assert len(set(sentences)) == 6


def test_arabic_sentences_isolate_latin_and_numbers():
    text = Catalogs(LOCALES).translator("ar").gettext("If you are in danger now, call {number}.", number="112")
    assert f"{FSI}112{PDI}" in text


def test_other_languages_are_not_isolated():
    text = Catalogs(LOCALES).translator("fr").gettext("If you are in danger now, call {number}.", number="112")
    assert FSI not in text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("اتصل بالرقم 0800 32 123 الآن.", f"اتصل بالرقم {FSI}0800 32 123{PDI} الآن."),
        ("مركز CHU Saint-Pierre، اليوم", f"مركز {FSI}CHU Saint-Pierre{PDI}، اليوم"),
        ("اكتب إلى prep@exaequo.be.", f"اكتب إلى {FSI}prep@exaequo.be{PDI}."),
        ("(الدواء PrEP) مجاني", f"(الدواء {FSI}PrEP{PDI}) مجاني"),
        ("حوالي 12 € شهريا", f"حوالي {FSI}12 €{PDI} شهريا"),
    ],
)
def test_bidi_isolation(text, expected):
    assert isolate_ltr(text) == expected


def test_bidi_isolation_is_idempotent():
    once = isolate_ltr("اتصل بالرقم 112")
    assert isolate_ltr(once) == once


def strings(lang: str) -> list[str]:
    return [s for m in catalog(lang) if m.id for s in (m.string if isinstance(m.string, tuple) else (m.string,))]


def test_the_bot_says_tu_in_french_like_the_faq():
    vous = re.compile(r"(?<![-\w])(vous|votre|vos)\b", re.IGNORECASE)
    assert [s for s in strings("fr") if vous.search(s)] == []


def test_spanish_sentences_use_no_french_calque():
    assert [s for s in strings("es") if "permanencia" in s.lower()] == []


def test_every_spoken_language_has_a_catalog_a_name_and_a_date_format():
    assert set(NAMES) == set(IN_SENTENCE) == set(DATE_FORMATS) == set(SPOKEN)
    assert all((CONTENT / "locales" / lang / "LC_MESSAGES" / "messages.po").exists() for lang in SPOKEN)
