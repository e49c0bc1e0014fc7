"""The intent classifier: the ranked intents of a message, from the fitted model (nlu/fitting.py)."""

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from nlu.linear import LinearModel
from nlu.text import classifier_text


@dataclass(frozen=True)
class Ranked:
    intent: str
    confidence: float


class IntentClassifier:
    def __init__(self, model: LinearModel):
        self._model = model
        self.intents = model.classes

    def probabilities(self, texts: Sequence[str], langs: Sequence[str]) -> np.ndarray:
        """`langs`: the language of each text (arabizi is read in Arabic script too)."""
        return self._model.probabilities([classifier_text(t, lang) for t, lang in zip(texts, langs)])

    def rank_many(self, texts: Sequence[str], langs: Sequence[str], top: int = 5) -> list[list[Ranked]]:
        rankings = []
        for row in self.probabilities(texts, langs):
            order = np.argsort(row)[::-1][:top]
            rankings.append([Ranked(self.intents[i], round(float(row[i]), 4)) for i in order])
        return rankings
