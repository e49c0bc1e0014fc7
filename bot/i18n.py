"""The bot's own sentences, from the gettext catalogs under locales/ (Babel's workflow).

The `.po` files are the source of truth and the only thing committed. They are compiled in
memory when the bot starts, so a compiled catalog can never be stale.
"""

import gettext
import io
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from bot.bidi import isolate_ltr
from bot.languages import DEFAULT, SPOKEN

DOMAIN = "messages"


class Translator:
    """The sentences of one language; values are filled in with str.format placeholders."""

    def __init__(self, lang: str, translations: gettext.NullTranslations):
        self.lang = lang
        self._translations = translations

    def gettext(self, message: str, **values: object) -> str:
        return self._finish(self._translations.gettext(message), values)

    def ngettext(self, singular: str, plural: str, n: int, **values: object) -> str:
        return self._finish(self._translations.ngettext(singular, plural, n), {"n": n, **values})

    def _finish(self, text: str, values: dict[str, object]) -> str:
        text = text.format(**values) if values else text
        return isolate_ltr(text) if self.lang == "ar" else text


class Catalogs:
    def __init__(self, locales_dir: Path):
        self._translators: dict[str, Translator] = {lang: Translator(lang, _compile(locales_dir, lang)) for lang in SPOKEN}

    def translator(self, lang: str | None) -> Translator:
        return self._translators.get(lang or "", self._translators[DEFAULT])


def _compile(locales_dir: Path, lang: str) -> gettext.NullTranslations:
    po_file = locales_dir / lang / "LC_MESSAGES" / f"{DOMAIN}.po"
    if not po_file.exists():
        return gettext.NullTranslations()
    with po_file.open("rb") as handle:
        catalog = read_po(handle, locale=lang)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)
