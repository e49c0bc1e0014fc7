"""The embedded NLU's fitted models, and their probabilities computed with numpy alone.

scikit-learn fits the models in a child process (nlu/training.py). What the bot keeps of them is
plain data: each vocabulary of n-grams with its idf weights, and the weights of a one-vs-rest
logistic model. Features and probabilities computed from these parts are the ones
`TfidfVectorizer.transform` and `SGDClassifier.predict_proba` give (tests check both), without
scikit-learn's checks on every call, which cost more than the arithmetic for one short message,
and without its imports, which take about 90 MB.
"""

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

import numpy as np

_WHITE_SPACES = re.compile(r"\s\s+")


@lru_cache(maxsize=4096)
def _word_grams(word: str, low: int, high: int) -> tuple[str, ...]:
    """A word's character n-grams, padded as char_wb pads them; cached, as words recur."""
    padded = f" {word} "
    grams: list[str] = []
    for n in range(low, high + 1):
        grams.extend(padded[start : start + n] for start in range(max(1, len(padded) - n + 1)))
        if len(padded) <= n:
            break
    return tuple(grams)


@dataclass(frozen=True)
class Vocabulary:
    """The n-grams a fitted TfidfVectorizer knows (sublinear tf, idf, l2 norm), and their weights."""

    analyzer: Literal["char_wb", "word"]
    ngram_range: tuple[int, int]
    token_pattern: str
    columns: dict[str, int]
    idf: np.ndarray

    def ngrams(self, text: str) -> list[str]:
        """The analyzer of scikit-learn's TfidfVectorizer, for the two kinds the NLU uses."""
        text = text.lower()
        low, high = self.ngram_range
        grams = []
        if self.analyzer == "char_wb":
            for word in _WHITE_SPACES.sub(" ", text).split():
                grams.extend(_word_grams(word, low, high))
            return grams
        tokens = re.findall(self.token_pattern, text)
        for n in range(low, min(high, len(tokens)) + 1):
            grams.extend(" ".join(tokens[start : start + n]) for start in range(len(tokens) - n + 1))
        return grams

    def features(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        """The columns a text has, and its l2-normalised tf-idf values there."""
        counts = Counter(i for i in map(self.columns.get, self.ngrams(text)) if i is not None)
        columns = np.fromiter(counts.keys(), dtype=np.int64, count=len(counts))
        values = (1 + np.log(np.fromiter(counts.values(), dtype=np.float64, count=len(counts)))) * self.idf[columns]
        norm = np.sqrt(values @ values)
        return columns, values / norm if norm else values


@dataclass(frozen=True)
class LinearModel:
    """One-vs-rest logistic scores over the vocabularies' columns laid side by side."""

    vocabularies: tuple[Vocabulary, ...]
    classes: tuple[str, ...]
    weights: np.ndarray
    """One row per column of the features, one column per class: row-major, so that the rows a
    message has are read in one go."""
    bias: np.ndarray

    def probabilities(self, texts: Sequence[str]) -> np.ndarray:
        """A row per text, summing to 1, as SGDClassifier.predict_proba gives."""
        scores = np.tile(self.bias, (len(texts), 1))
        for row, text in zip(scores, texts):
            offset = 0
            for vocabulary in self.vocabularies:
                columns, values = vocabulary.features(text)
                row += values @ self.weights[columns + offset]
                offset += len(vocabulary.columns)
        logistic = 0.5 * (1 + np.tanh(0.5 * scores))
        return logistic / logistic.sum(axis=1, keepdims=True)


@dataclass(frozen=True)
class TrainedNLU:
    """What training on a FAQ's examples gives the embedded NLU."""

    languages: LinearModel
    """Which language a message in Latin letters is in (fr, es, ar in Latin letters, en)."""
    intents: LinearModel
    example_count: int
    seconds: float
