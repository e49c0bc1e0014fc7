"""The Rasa backend against a real Rasa server, trained from the repository's FAQ and NLU data.

Slow the first time on a machine (installing Rasa takes minutes, training a few more); the
environment and the model are cached in RASA_CACHE_DIR, so later runs only start the server.
In CI this test always runs; elsewhere it is skipped while the Rasa environment is not built
(`outreach-bot nlu rasa-setup` builds it).
"""

import io
import json
import logging
import os
import sys
from collections.abc import Iterator

import pytest

from bot.cli import main
from bot.errors import RasaSetupError
from bot.faq.model import Faq
from bot.settings import REPOSITORY, load_settings
from nlu.embedded import EmbeddedNLU
from nlu.evaluation import evaluate
from nlu.rasa_backend import RasaConnection, RasaNLU
from nlu.rasa_server import RasaServer, TrainedModel, environment_for, find_python, running_rasa

DEVSET = REPOSITORY / "nlu" / "devset.jsonl"


def rasa_is_set_up() -> bool:
    settings = load_settings()
    try:
        return environment_for(find_python(settings.rasa_python), settings.rasa_cache_dir).ready
    except RasaSetupError:
        return False


TOKEN_LIKE_AN_OPTION = "-" + "k" * 23
"""One token in 64 of secrets.token_urlsafe starts with "-": the server must still start (it once exited with status 2)."""


@pytest.fixture(scope="module")
def rasa(faq: Faq, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[RasaServer, TrainedModel]]:
    if not os.environ.get("CI") and not rasa_is_set_up():
        pytest.skip("the Rasa environment is not built here (outreach-bot nlu rasa-setup); CI always runs this test")
    settings = load_settings()
    log_file = tmp_path_factory.mktemp("rasa") / "rasa.log"
    try:
        with running_rasa(
            faq.examples(),
            python=find_python(settings.rasa_python),
            cache_dir=settings.rasa_cache_dir,
            token=TOKEN_LIKE_AN_OPTION,
            log_file=log_file,
        ) as running:
            yield running
    except RasaSetupError:
        sys.stderr.write(log_file.read_text(errors="replace")[-5000:] if log_file.exists() else "")
        raise


@pytest.fixture
async def backend(rasa: tuple[RasaServer, TrainedModel], nlu: EmbeddedNLU):
    server, _model = rasa
    connection = RasaConnection(server.url, server.token)
    yield RasaNLU(connection, nlu)
    await connection.aclose()


async def test_real_rasa_ranks_intents_and_the_bot_rules_apply(backend):
    cases = {
        "je veux parler a quelqu'un de l'equipe": ("human.request", "handover", "fr"),
        "donde puedo hacerme la prueba del vih": (None, None, "es"),
        "salam, wach kayn test dial sida?": (None, None, "ar"),
        "je veux me tuer": ("crisis.self_harm", "handover", "fr"),
    }
    for text, (intent, route, lang) in cases.items():
        parse = await backend.parse(text)
        assert parse.lang == lang, text
        assert parse.ranking and all(r.intent in backend.embedded.classifier.intents for r in parse.ranking)
        if intent is not None:
            assert (parse.intent, parse.route) == (intent, route), text
    assert backend.connection.unanswered == 0


async def test_real_rasa_meets_the_bar_on_the_devset(backend):
    rows = [json.loads(line) for line in DEVSET.read_text(encoding="utf-8").splitlines() if line.strip()]
    parses = [await backend.parse(row["text"]) for row in rows]
    figures = evaluate(rows, parses)
    assert backend.connection.unanswered == 0
    assert figures.intent_accuracy >= 0.85
    assert figures.crisis_recall == 1.0
    assert figures.false_handover_rate <= 0.05


def test_parse_command_gives_the_contract_from_the_real_server(rasa, monkeypatch, capsys):
    server, _model = rasa
    monkeypatch.setenv("RASA_URL", server.url)
    monkeypatch.setenv("RASA_TOKEN", server.token)
    monkeypatch.setattr(sys, "stdin", io.StringIO('c koi la prep\n{"text": "hola, donde estan?"}\n\n'))
    assert main(["nlu", "parse", "--backend", "rasa"]) == 0
    captured = capsys.readouterr()
    out = [json.loads(line) for line in captured.out.splitlines()]
    assert [set(row) for row in out] == [{"text", "lang", "intent", "confidence", "route"}] * 3
    assert out[0]["intent"] in ("prep.info", "prep.access") and out[0]["route"] == "answer"
    assert "did not answer" not in captured.err
    assert server.token not in captured.err


async def test_real_server_refuses_a_wrong_token_and_the_embedded_nlu_answers(rasa, nlu, caplog):
    server, _model = rasa
    connection = RasaConnection(server.url, "wrong-" + server.token)
    with caplog.at_level(logging.WARNING):
        parse = await RasaNLU(connection, nlu).parse("c koi la prep")
    await connection.aclose()
    assert parse.contract() == nlu.parse_many(["c koi la prep"])[0].contract()
    assert "(HTTP 401)" in caplog.text


def test_the_server_reports_its_resident_memory(rasa):
    server, model = rasa
    assert model.path.is_file() and model.example_count > 1000
    assert (server.resident_bytes() or 0) > 100 * 2**20
