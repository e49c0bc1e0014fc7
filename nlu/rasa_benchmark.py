"""Rasa's side of the NLU benchmark (benchmarks/nlu_backends.py): a real training run, timed,
and a server whose resident memory can be read while it answers."""

from contextlib import ExitStack
from typing import TYPE_CHECKING

from nlu.embedded import EmbeddedNLU
from nlu.rasa_backend import RasaConnection, RasaNLU
from nlu.rasa_server import RasaServer, TrainedModel, find_python, running_rasa

if TYPE_CHECKING:
    from bot.faq.model import Faq
    from bot.settings import Settings


class BenchmarkServer:
    def __init__(self, server: RasaServer, model: TrainedModel, stack: ExitStack):
        self.server = server
        self.model = model
        self._stack = stack

    @property
    def training_seconds(self) -> float:
        return self.model.training_seconds

    def rss_mb(self) -> float:
        return (self.server.resident_bytes() or 0) / 2**20

    def backend(self, embedded: EmbeddedNLU) -> RasaNLU:
        return RasaNLU(RasaConnection(self.server.url, self.server.token), embedded)

    def stop(self) -> None:
        self._stack.close()


def start_trained_server(settings: "Settings", faq: "Faq") -> BenchmarkServer:
    """Train on the FAQ (never from the model cache: the training time is a figure) and start Rasa.

    The server gets a port and a token of its own, so that a Rasa server already running for
    the bot is neither used nor disturbed.
    """
    stack = ExitStack()
    server, model = stack.enter_context(
        running_rasa(faq.examples(), python=find_python(settings.rasa_python), cache_dir=settings.rasa_cache_dir, retrain=True)
    )
    return BenchmarkServer(server, model, stack)
