"""Which language a message is written in: fr, es, ar (Arabic script or Latin letters) or en.

Arabic script is recognised by its letters. For Latin letters, no off-the-shelf detector knows
Arabic written in Latin letters ("wach kayn test"), so a small character n-gram model is trained
on the bot's own examples, which are labelled by language and include arabizi (nlu/fitting.py).
"""

from collections.abc import Sequence
from dataclasses import dataclass

from nlu.linear import LinearModel
from nlu.text import arabic_share, normalise

LANGUAGES = ("fr", "es", "ar", "en")
ARABIC_SCRIPT_SHARE = 0.5
"""From this share of Arabic letters up, a message is Arabic for sure."""


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
            if share >= ARABIC_SCRIPT_SHARE:
                guesses[index] = LanguageGuess("ar", round(share, 3))
            else:
                latin_indexes.append(index)
        if latin_indexes:
            normalised = [normalise(texts[i]) for i in latin_indexes]
            probabilities = self._model.probabilities(normalised)
            labels = self._model.classes
            for index, text, row in zip(latin_indexes, normalised, probabilities):
                best = row.argmax()
                confidence = float(row[best]) if text else 0.0
                guesses[index] = LanguageGuess(str(labels[best]), round(confidence, 3))
        return [g for g in guesses if g is not None]
