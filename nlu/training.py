"""Training the embedded NLU in a short-lived child process.

Once imported, scikit-learn and SciPy stay resident (about 90 MB), and fitting a FAQ's few
thousand examples holds the CPU for seconds. Both happen in a child process, `python -m
nlu.fitting`: the bot's own process only receives the fitted weights, stays well under its
memory budget, and keeps answering people while an edited FAQ is retrained. A plain child
process rather than multiprocessing, which would import the caller's main script again.
"""

import pickle
import subprocess
import sys
from collections.abc import Iterable

from bot.errors import TrainingFailed
from nlu.linear import TrainedNLU


def train(examples: Iterable[tuple[str, str, str]]) -> TrainedNLU:
    """Fit on (text, language, intent) examples in a child process; blocks until it is done."""
    done = subprocess.run([sys.executable, "-m", "nlu.fitting"], input=pickle.dumps(list(examples)), capture_output=True, check=False)
    if done.returncode != 0:
        raise TrainingFailed(f"training the NLU failed:\n{done.stderr.decode(errors='replace')[-3000:]}")
    trained = pickle.loads(done.stdout)
    assert isinstance(trained, TrainedNLU)
    return trained
