"""The embedded intent classifier: character and word n-grams into a linear model.

Character n-grams carry most of the signal here: they survive typos, missing accents, arabizi
spellings (3/7/9, ch/sh) and words glued together, and one model serves every language.
Training on a few thousand examples takes seconds, so the bot retrains when the FAQ changes.
"""

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.sparse import hstack
from sklearn.feature_extraction.text import TfidfVectorizer

from nlu.features import TfidfFeatures
from nlu.scoring import train
from nlu.text import normalise


@dataclass(frozen=True)
class Ranked:
    intent: str
    confidence: float


class IntentClassifier:
    def __init__(self, texts: Sequence[str], intents: Sequence[str]):
        # Two vectorisers side by side, stacked by hand: sklearn's FeatureUnion goes through
        # joblib for every call, which cost more than the features themselves (5 ms a message).
        vectorisers = (
            TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, min_df=1),
            TfidfVectorizer(analyzer="word", ngram_range=(1, 2), sublinear_tf=True, token_pattern=r"(?u)\b\w+\b"),
        )
        normalised = [normalise(t) for t in texts]
        self._scores = train(hstack([v.fit_transform(normalised) for v in vectorisers]).tocsr(), intents)
        self._features = TfidfFeatures(vectorisers)
        self.intents = self._scores.classes

    def probabilities(self, texts: Sequence[str]) -> np.ndarray:
        return self._scores.probabilities(self._features.transform([normalise(t) for t in texts]))

    def rank_many(self, texts: Sequence[str], top: int = 5) -> list[list[Ranked]]:
        rankings = []
        for row in self.probabilities(texts):
            order = np.argsort(row)[::-1][:top]
            rankings.append([Ranked(self.intents[i], round(float(row[i]), 4)) for i in order])
        return rankings
