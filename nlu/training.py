"""Training the embedded NLU in a short-lived child process.

Once imported, scikit-learn and SciPy stay resident (about 90 MB), and fitting a FAQ's few
thousand examples holds the CPU for seconds. Both happen in a child process: the bot's own
process only receives the fitted weights, stays well under its memory budget, and keeps
answering people while an edited FAQ is retrained.
"""

import multiprocessing
from collections.abc import Iterable
from concurrent.futures import ProcessPoolExecutor

from nlu.linear import TrainedNLU


def train(examples: Iterable[tuple[str, str, str]]) -> TrainedNLU:
    """Fit on (text, language, intent) examples in a child process; blocks until it is done."""
    rows = list(examples)
    # "spawn": a forked copy of a process that runs threads and an event loop is not safe.
    with ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn")) as child:
        return child.submit(_fit, rows).result()


def _fit(rows: list[tuple[str, str, str]]) -> TrainedNLU:
    from nlu.fitting import fit  # imported in the child only

    return fit(rows)
