"""Discretion: a phone shows the first line of a message on its locked screen, so no reply's first line names a sensitive subject."""

import pytest
from babel.messages.pofile import read_po

from bot.faq.model import TEXT_KEYS
from bot.languages import SPOKEN
from bot.settings import REPOSITORY
from nlu.text import normalise

SENSITIVE_WORDS = ("hiv", "vih", "sida", "aids", "prep", "pep", "sti", "std", "ist", "ets", "ghb", "gbl", "tina", "meth", "slam", "rape")
"""Whole words: as beginnings they would catch "still", "préparer", "méthode"."""
SENSITIVE_STEMS = (
    "syphil", "sifil", "gonor", "chlamyd", "hepatit", "sex", "prostitu", "escort", "drog", "drug", "chemsex", "crystal",
    "cocain", "crack", "heroin", "cannabis", "seringue", "jeringa", "syringe", "overdos", "sobredos", "viol", "agress",
    "assault", "abus", "suicid", "polic", "papiers", "papeles", "undocumented", "illegal", "irregul", "preservatif",
    "condon", "condom", "depistage",
)
"""Beginnings of words, accents folded: "viol" is also violence, violación; "sex" sexuel, sexual, sexo."""
SENSITIVE_ARABIC = (
    "ايدز", "سيدا", "نقص المناعه", "جنسي ", "جنس ", "دعاره", "مخدر", "اغتصاب", "عنف", "انتحار", "حقن", "شرطه", "بوليس",
    "واقي", "اوراق",
)
"""Arabic, folded as the NLU folds it (ة → ه); a trailing space keeps "جنسيه" (nationality) out."""


def sensitive_words(line: str) -> list[str]:
    text = normalise(line)
    words = text.split()
    found = [word for word in SENSITIVE_WORDS if word in words]
    found += [stem for stem in SENSITIVE_STEMS if any(word.startswith(stem) for word in words)]
    return found + [word for word in SENSITIVE_ARABIC if word in f" {text} " or f"ال{word}" in text]


def first_line(text: str) -> str:
    return text.strip().split("\n", 1)[0]


def test_the_word_list_catches_what_it_is_for():
    assert sensitive_words("La PrEP protège du VIH") == ["vih", "prep"]
    assert sensitive_words("Violence, danger") == ["viol"]
    assert sensitive_words("معلومات عن الايدز") == ["ايدز"]
    assert sensitive_words("Voici l'essentiel :") == []
    assert sensitive_words("I still don't understand: prepare your question") == []
    assert sensitive_words("الجنسية البلجيكية") == []


def faq_texts(faq):
    for entry in faq.entries.values():
        follow_ups = [(f"follow-up {kind}", f.text) for kind, f in entry.follow_ups.items()]
        for part, texts in (("answer", entry.answer), ("more", entry.more), *follow_ups):
            for lang in TEXT_KEYS:
                if texts.get(lang):
                    yield f"{entry.id} {part} {lang}", faq.text(texts, lang)


def test_every_faq_answer_starts_with_a_neutral_line(faq):
    """Crisis answers included: they live in faq/crisis.yml."""
    indiscreet = {where: sensitive_words(first_line(text)) for where, text in faq_texts(faq) if sensitive_words(first_line(text))}
    assert indiscreet == {}


def test_crisis_answers_exist_in_every_language(faq):
    crisis = [entry for entry in faq.entries.values() if entry.id.startswith("crisis.")]
    assert crisis and all(set(entry.answer) >= set(SPOKEN) for entry in crisis)


@pytest.mark.parametrize("lang", SPOKEN)
def test_every_sentence_of_the_bot_starts_with_a_neutral_line(lang):
    with (REPOSITORY / "locales" / lang / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        catalog = read_po(handle, locale=lang)
    strings = [s for message in catalog if message.id for s in (message.string if isinstance(message.string, tuple) else (message.string,))]
    indiscreet = {first_line(s): sensitive_words(first_line(s)) for s in strings if sensitive_words(first_line(s))}
    assert indiscreet == {}
