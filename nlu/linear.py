"""The embedded NLU's fitted models, and their probabilities computed with numpy alone.

scikit-learn fits the models in a child process (nlu/training.py). What the bot keeps of them is
plain data: each vocabulary of n-grams with its idf weights, and the weights of a one-vs-rest
logistic model. Features and probabilities computed from these parts are the ones
`TfidfVectorizer.transform` and `SGDClassifier.predict_proba` give (tests check both), without
scikit-learn's checks on every call, which cost more than the arithmetic for one short message,
and without its imports, which take about 90 MB.
"""

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

_WHITE_SPACES = re.compile(r"\s\s+")
WORDS_REMEMBERED = 50_000
"""Words whose columns a vocabulary keeps: words recur, and looking a long message's thousand
n-grams up one by one was most of its time. The training examples' words are remembered at
start; past this number, a new word is looked up each time it comes, so that the words people
write are not kept without bound."""
_NO_COLUMNS = np.empty(0, dtype=np.int64)


def _word_grams(word: str, low: int, high: int) -> list[str]:
    """A word's character n-grams, padded as scikit-learn's char_wb analyzer pads them (a word shorter
    than an n-gram counts once, whole)."""
    padded = f" {word} "
    size = len(padded)
    if size <= low:
        return [padded]
    return [padded[start : start + n] for n in range(low, min(high, size) + 1) for start in range(size - n + 1)]


@dataclass(frozen=True)
class Vocabulary:
    """The n-grams a fitted TfidfVectorizer knows (sublinear tf, idf, l2 norm), and their weights."""

    analyzer: Literal["char_wb", "word"]
    ngram_range: tuple[int, int]
    token_pattern: str
    columns: dict[str, int]
    idf: np.ndarray
    _word_columns: dict[str, np.ndarray] = field(default_factory=dict, init=False, repr=False, compare=False)

    def _word_ngrams(self, text: str) -> list[str]:
        """scikit-learn's word analyzer."""
        tokens = re.findall(self.token_pattern, text.lower())
        low, high = self.ngram_range
        grams: list[str] = []
        for n in range(low, min(high, len(tokens)) + 1):
            grams.extend(" ".join(tokens[start : start + n]) for start in range(len(tokens) - n + 1))
        return grams

    def features(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        """The columns a text has, and its l2-normalised tf-idf values there."""
        if self.analyzer == "char_wb":
            per_word = [self._columns_of_word(word) for word in _WHITE_SPACES.sub(" ", text.lower()).split()]
            found = np.concatenate(per_word) if per_word else _NO_COLUMNS
        else:
            found = np.fromiter((i for i in map(self.columns.get, self._word_ngrams(text)) if i is not None), dtype=np.int64)
        columns, counts = np.unique(found, return_counts=True)
        values = (1 + np.log(counts)) * self.idf[columns]
        norm = np.sqrt(values @ values)
        return columns, values / norm if norm else values

    def remember(self, words: Iterable[str]) -> None:
        if self.analyzer == "char_wb":
            for word in words:
                self._columns_of_word(word)

    def words(self) -> list[str]:
        """The single words of a word vocabulary: those of the training examples."""
        return [gram for gram in self.columns if " " not in gram] if self.analyzer == "word" else []

    def _columns_of_word(self, word: str) -> np.ndarray:
        known = self._word_columns.get(word)
        if known is None:
            get = self.columns.get
            known = np.array([column for gram in _word_grams(word, *self.ngram_range) if (column := get(gram)) is not None], dtype=np.int64)
            if len(self._word_columns) < WORDS_REMEMBERED:
                self._word_columns[word] = known
        return known


@dataclass(frozen=True)
class LinearModel:
    """One-vs-rest logistic scores over the vocabularies' columns laid side by side."""

    vocabularies: tuple[Vocabulary, ...]
    classes: tuple[str, ...]
    weights: np.ndarray
    """One row per column of the features, one column per class: row-major, so that the rows a
    message has are read in one go."""
    bias: np.ndarray

    def words(self) -> list[str]:
        return [word for vocabulary in self.vocabularies for word in vocabulary.words()]

    def remember(self, words: Iterable[str]) -> None:
        """Looks the n-grams of these words up now, rather than during a person's message."""
        for vocabulary in self.vocabularies:
            vocabulary.remember(words)

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
