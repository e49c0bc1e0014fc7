"""Probabilities of a linear model, computed the cheap way for one message at a time."""

from collections.abc import Sequence

import numpy as np
from scipy.sparse import spmatrix
from scipy.special import expit
from sklearn.linear_model import SGDClassifier


def train(features: spmatrix, labels: Sequence[str]) -> "LinearScores":
    model = SGDClassifier(loss="log_loss", alpha=1e-5, max_iter=50, tol=1e-4, random_state=0)
    model.fit(features, list(labels))
    return LinearScores(model)


class LinearScores:
    """One-vs-rest logistic scores normalised per message, as SGDClassifier.predict_proba gives.

    Computed with a row-major copy of the weights: scipy would otherwise copy the transposed
    weight matrix for every message (10 ms instead of 0.1 ms with 37 intents).
    """

    def __init__(self, model: SGDClassifier):
        if len(model.classes_) < 3:
            raise ValueError("one-vs-rest scoring needs at least three classes")
        self.classes: tuple[str, ...] = tuple(str(c) for c in model.classes_)
        self._weights = np.ascontiguousarray(model.coef_.T)
        self._bias = model.intercept_

    def probabilities(self, features: spmatrix) -> np.ndarray:
        probabilities = expit(features @ self._weights + self._bias)
        return probabilities / probabilities.sum(axis=1, keepdims=True)
