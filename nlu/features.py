"""Tf-idf features of a message, from fitted TfidfVectorizers, without sklearn's per-call checks.

`TfidfVectorizer.transform` validates its input and its parameters on every call, through
`inspect` and narwhals, and that cost more than the features themselves for one short message.
This computes the same matrix from each vectoriser's public parts — its analyzer, vocabulary
and idf weights — and lays the vectorisers' columns side by side, as `scipy.sparse.hstack`
would. A test checks that both ways give the same matrix.
"""

from collections import Counter
from collections.abc import Sequence

import numpy as np
from scipy.sparse import csr_matrix
from sklearn.feature_extraction.text import TfidfVectorizer


class TfidfFeatures:
    def __init__(self, vectorisers: Sequence[TfidfVectorizer]):
        for vectoriser in vectorisers:
            if not (vectoriser.sublinear_tf and vectoriser.use_idf and vectoriser.norm == "l2" and not vectoriser.binary):
                raise ValueError("TfidfFeatures computes sublinear, idf-weighted, l2-normalised features only")
        self._parts = [(v.build_analyzer(), v.vocabulary_, v.idf_) for v in vectorisers]
        self._offsets = np.cumsum([0, *(len(v.vocabulary_) for v in vectorisers)])

    def transform(self, texts: Sequence[str]) -> csr_matrix:
        rows: list[tuple[np.ndarray, np.ndarray]] = []
        for text in texts:
            columns, values = [], []
            for (analyse, vocabulary, idf), offset in zip(self._parts, self._offsets):
                counts = Counter(i for i in map(vocabulary.get, analyse(text)) if i is not None)
                indexes = np.fromiter(counts.keys(), dtype=np.int64, count=len(counts))
                weights = (1 + np.log(np.fromiter(counts.values(), dtype=np.float64, count=len(counts)))) * idf[indexes]
                norm = np.sqrt(weights @ weights)
                columns.append(indexes + offset)
                values.append(weights / norm if norm else weights)
            rows.append((np.concatenate(columns), np.concatenate(values)))
        indptr = np.cumsum([0, *(len(columns) for columns, _ in rows)])
        indices = np.concatenate([columns for columns, _ in rows]) if rows else np.zeros(0, dtype=np.int64)
        data = np.concatenate([values for _, values in rows]) if rows else np.zeros(0)
        return csr_matrix((data, indices, indptr), shape=(len(texts), int(self._offsets[-1])))
