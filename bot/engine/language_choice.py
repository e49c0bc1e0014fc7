"""Choosing the language of the conversation."""

from bot.engine import payloads
from bot.messages import QuickReply
from nlu.text import normalise

NAMES = {"fr": "Français", "es": "Español", "ar": "العربية", "en": "English"}
"""Each language in its own name: a person looks for their language, not a translation of it."""

IN_SENTENCE = {"fr": "français", "es": "español", "ar": "العربية", "en": "English"}
"""The same names inside a sentence ("je te réponds en français"): French and Spanish write them in lower case."""

_ASKED_BY_NAME = {
    "fr": ("francais", "french", "frances", "franses", "fransawi", "fransia", "فرنسيه", "بالفرنسيه", "الفرنسيه", "بالفرنساويه"),
    "es": ("espagnol", "espanol", "spanish", "castellano", "espaniol", "sbanyoli", "اسبانيه", "بالاسبانيه", "الاسبانيه", "بالسبنيوليه"),
    "ar": ("arabe", "arabic", "arabo", "darija", "3arbia", "3arbiya", "l3arbia", "arbiya", "عربيه", "العربيه", "بالعربيه", "الدارجه", "بالدارجه", "بالعربي", "عربي"),
    "en": ("anglais", "english", "ingles", "inglizia", "انجليزيه", "بالانجليزيه", "الانجليزيه", "انجليزي", "بالانجليزي"),
}


def asked_language(text: str) -> str | None:
    """The language a message names ("en español por favor"), if it names exactly one."""
    words = set(normalise(text).split())
    named = [lang for lang, names in _ASKED_BY_NAME.items() if words.intersection(names)]
    return named[0] if len(named) == 1 else None


def picker(current: str | None) -> tuple[QuickReply, ...]:
    return tuple(
        QuickReply(f"{name} ✓" if lang == current else name, payloads.language(lang)) for lang, name in NAMES.items()
    )
