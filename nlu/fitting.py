"""Fitting the embedded NLU's models with scikit-learn.

The running bot never imports this module: it runs in a child process (nlu/training.py) and
hands back plain weights (nlu/linear.py).

Character n-grams carry most of the signal: they survive typos, missing accents, arabizi
spellings (3/7/9, ch/sh) and words glued together, and one model serves every language. Word
n-grams add the few whole words that decide between close intents.
"""

import pickle
import sys
import time
from collections.abc import Iterable, Sequence

import numpy as np
from scipy.sparse import hstack
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import SGDClassifier

from nlu.linear import LinearModel, TrainedNLU, Vocabulary
from nlu.text import ARABIC_SCRIPT_SHARE, arabic_share, classifier_text, normalise


def fit(examples: Iterable[tuple[str, str, str]]) -> TrainedNLU:
    """Fit both models on (text, language, intent) examples: a few seconds for a few thousand."""
    started = time.perf_counter()
    rows = list(examples)
    languages = fit_languages([(text, lang) for text, lang, _ in rows])
    intents = fit_intents([(text, lang) for text, lang, _ in rows], [intent for _, _, intent in rows])
    return TrainedNLU(languages, intents, len(rows), time.perf_counter() - started)


def fit_languages(examples: Sequence[tuple[str, str]]) -> LinearModel:
    """Learns from messages in Latin letters only: Arabic script needs no model (nlu/language.py)."""
    latin = [(normalise(text), lang) for text, lang in examples if arabic_share(text) < ARABIC_SCRIPT_SHARE]
    texts, labels = zip(*[(text, lang) for text, lang in latin if text])
    return _fit([TfidfVectorizer(analyzer="char_wb", ngram_range=(1, 4), sublinear_tf=True)], texts, labels)


def fit_intents(texts: Sequence[tuple[str, str]], intents: Sequence[str]) -> LinearModel:
    """`texts`: (text, language) pairs; arabizi examples are read in Arabic script too, like messages."""
    vectorisers = [
        TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True),
        TfidfVectorizer(analyzer="word", ngram_range=(1, 2), sublinear_tf=True, token_pattern=r"(?u)\b\w+\b"),
    ]
    return _fit(vectorisers, [classifier_text(text, lang) for text, lang in texts], intents)


def _fit(vectorisers: Sequence[TfidfVectorizer], texts: Sequence[str], labels: Sequence[str]) -> LinearModel:
    features = hstack([vectoriser.fit_transform(texts) for vectoriser in vectorisers]).tocsr()
    classifier = SGDClassifier(loss="log_loss", alpha=1e-5, max_iter=50, tol=1e-4, random_state=0)
    return linear_model(vectorisers, classifier.fit(features, list(labels)))


def linear_model(vectorisers: Sequence[TfidfVectorizer], classifier: SGDClassifier) -> LinearModel:
    """The plain parts of fitted vectorisers and of a classifier fitted on their stacked features."""
    if len(classifier.classes_) < 3:
        raise ValueError("one-vs-rest scoring needs at least three classes")
    return LinearModel(
        tuple(vocabulary(v) for v in vectorisers),
        tuple(str(c) for c in classifier.classes_),
        np.ascontiguousarray(classifier.coef_.T),
        classifier.intercept_.copy(),
    )


def vocabulary(vectoriser: TfidfVectorizer) -> Vocabulary:
    v = vectoriser
    if v.analyzer not in ("char_wb", "word") or callable(v.preprocessor) or callable(v.tokenizer):
        raise ValueError("Vocabulary reproduces the char_wb and word analyzers only")
    if not (v.sublinear_tf and v.use_idf and v.norm == "l2" and not v.binary and v.lowercase):
        raise ValueError("Vocabulary computes lowercased, sublinear, idf-weighted, l2-normalised features only")
    if v.strip_accents is not None or v.stop_words is not None:
        raise ValueError("Vocabulary neither strips accents nor drops stop words: nlu.text.normalise does the folding")
    columns = {gram: int(column) for gram, column in v.vocabulary_.items()}
    return Vocabulary(v.analyzer, tuple(v.ngram_range), v.token_pattern, columns, v.idf_.copy())


if __name__ == "__main__":
    # The child process of nlu.training: examples in, fitted models out, both pickled.
    sys.stdout.buffer.write(pickle.dumps(fit(pickle.load(sys.stdin.buffer))))
