"""The languages the bot speaks: the one list every part reads, and the default.

French, Spanish and Arabic are first-class (every FAQ answer has them); English is a bonus.
Adding a language is a line here, its catalog under locales/ and its texts in the FAQ.
"""

from typing import Literal, get_args

Language = Literal["fr", "es", "ar", "en"]
SPOKEN: tuple[Language, ...] = get_args(Language)
REQUIRED: tuple[Language, ...] = ("fr", "es", "ar")
"""Every FAQ answer, title and organisation fact has a text in these (`outreach-bot faq lint`)."""
DEFAULT: Language = "fr"
"""The organisation's language: the staff's default, and the text used where a translation is missing."""
LATIN_ARABIC = "ar-latn"
"""Darija written in Latin letters ("arabizi"), for people who write it and read it better than
Arabic script. An answer may have it beside "ar"; where it has not, the "ar" text is used."""
