"""The embedded intent classifier: character and word n-grams into a linear model.

Character n-grams carry most of the signal here: they survive typos, missing accents, arabizi
spellings (3/7/9, ch/sh) and words glued together, and one model serves every language.
Training on a few thousand examples takes seconds, so the bot retrains when the FAQ changes.
"""

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.special import expit
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import SGDClassifier
from sklearn.pipeline import make_union

from nlu.text import normalise


@dataclass(frozen=True)
class Ranked:
    intent: str
    confidence: float


class IntentClassifier:
    def __init__(self, texts: Sequence[str], intents: Sequence[str]):
        self._features = make_union(
            TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, min_df=1),
            TfidfVectorizer(analyzer="word", ngram_range=(1, 2), sublinear_tf=True, token_pattern=r"(?u)\b\w+\b"),
        )
        model = SGDClassifier(loss="log_loss", alpha=1e-5, max_iter=50, tol=1e-4, random_state=0)
        model.fit(self._features.fit_transform([normalise(t) for t in texts]), list(intents))
        self.intents: tuple[str, ...] = tuple(str(c) for c in model.classes_)
        # Scored by hand with a row-major copy of the weights: scipy would otherwise copy the
        # transposed weight matrix for every message (10 ms instead of 0.1 ms).
        self._weights = np.ascontiguousarray(model.coef_.T)
        self._bias = model.intercept_

    def probabilities(self, texts: Sequence[str]) -> np.ndarray:
        """One-vs-rest logistic scores, normalised per message (as SGDClassifier.predict_proba)."""
        scores = self._features.transform([normalise(t) for t in texts]) @ self._weights + self._bias
        probabilities = expit(scores)
        return probabilities / probabilities.sum(axis=1, keepdims=True)

    def rank_many(self, texts: Sequence[str], top: int = 5) -> list[list[Ranked]]:
        rankings = []
        for row in self.probabilities(texts):
            order = np.argsort(row)[::-1][:top]
            rankings.append([Ranked(self.intents[i], round(float(row[i]), 4)) for i in order])
        return rankings
