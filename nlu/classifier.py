"""The embedded intent classifier: character and word n-grams into a linear model.

Character n-grams carry most of the signal here: they survive typos, missing accents, arabizi
spellings (3/7/9, ch/sh) and words glued together, and one model serves every language.
Training on a few thousand examples takes seconds, so the bot retrains when the FAQ changes.
"""

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import SGDClassifier
from sklearn.pipeline import make_pipeline, make_union

from nlu.text import normalise


@dataclass(frozen=True)
class Ranked:
    intent: str
    confidence: float


class IntentClassifier:
    def __init__(self, texts: Sequence[str], intents: Sequence[str]):
        self._model = make_pipeline(
            make_union(
                TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, min_df=1),
                TfidfVectorizer(analyzer="word", ngram_range=(1, 2), sublinear_tf=True, token_pattern=r"(?u)\b\w+\b"),
            ),
            SGDClassifier(loss="log_loss", alpha=1e-5, max_iter=50, tol=1e-4, random_state=0),
        )
        self._model.fit([normalise(t) for t in texts], list(intents))
        self.intents: tuple[str, ...] = tuple(str(c) for c in self._model.classes_)

    def rank_many(self, texts: Sequence[str], top: int = 5) -> list[list[Ranked]]:
        probabilities = self._model.predict_proba([normalise(t) for t in texts])
        rankings = []
        for row in probabilities:
            order = np.argsort(row)[::-1][:top]
            rankings.append([Ranked(self.intents[i], round(float(row[i]), 4)) for i in order])
        return rankings

    def probability_of(self, ranking: Sequence[Ranked], intent: str) -> float:
        return next((r.confidence for r in ranking if r.intent == intent), 0.0)
