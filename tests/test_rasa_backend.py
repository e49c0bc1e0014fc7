"""The Rasa backend without Rasa: fallback to the embedded NLU, the shared safety rules, the
exported training data, and the caching of the Rasa environment and models. Fast; the test
against a real Rasa server is tests/test_rasa.py."""

import asyncio
import io
import json
import logging
import socket
import sys
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import httpx
import pytest
import yaml

from bot.app import start
from bot.cli import main
from bot.errors import RasaSetupError, SettingsError
from bot.messages import InboundMessage
from bot.settings import load_settings
from nlu import rasa_server
from nlu.rasa_backend import RasaConnection, RasaNLU
from nlu.rasa_data import rasa_text, training_data
from nlu.rasa_server import RasaEnvironment, environment_for, find_python, model_key

TOKEN = "test-token-0123456789"
CRISIS_TEXT = "il m'a frappée, j'ai peur, il est encore là"
PRIVATE_TEXT = "je m'appelle Amina et mon numéro est 0470 12 34 56"


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def rasa_answering(ranking: list[tuple[str, float]], seen: list[httpx.Request] | None = None) -> httpx.MockTransport:
    """A stand-in for Rasa's /model/parse that ranks every message the same way."""

    def handler(request: httpx.Request) -> httpx.Response:
        if seen is not None:
            seen.append(request)
        if request.url.params.get("token") != TOKEN:
            return httpx.Response(401, json={"message": "User is not authenticated."})
        rows = [{"name": name, "confidence": confidence} for name, confidence in ranking]
        return httpx.Response(200, json={"intent": rows[0], "intent_ranking": rows, "entities": []})

    return httpx.MockTransport(handler)


def failing(error: Callable[[httpx.Request], Exception]) -> httpx.MockTransport:
    def handler(request: httpx.Request) -> httpx.Response:
        raise error(request)

    return httpx.MockTransport(handler)


def warnings_of(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "nlu.rasa_backend" and r.levelno >= logging.WARNING]


async def test_server_down_the_embedded_nlu_answers_and_it_is_logged_once(nlu, caplog):
    connection = RasaConnection(f"http://127.0.0.1:{closed_port()}", TOKEN, timeout=1.0, retry_seconds=0)
    rasa = RasaNLU(connection, nlu)
    texts = ["c koi la prep", "hola, donde estan?", PRIVATE_TEXT]
    with caplog.at_level(logging.DEBUG):
        parses = [await rasa.parse(text) for text in texts]
    await connection.aclose()
    assert [p.contract() for p in parses] == [nlu.parse_many([t])[0].contract() for t in texts]
    assert connection.unanswered == 3
    assert len(warnings_of(caplog)) == 1
    assert "does not answer (ConnectError)" in warnings_of(caplog)[0].getMessage()
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "Amina" not in logged and "0470" not in logged and TOKEN not in logged


async def test_messages_during_an_outage_do_not_wait_for_the_server(nlu):
    calls: list[httpx.Request] = []

    def refuse(request: httpx.Request) -> Exception:
        calls.append(request)
        return httpx.ConnectError("refused", request=request)

    connection = RasaConnection("http://rasa.test", TOKEN, retry_seconds=60, transport=failing(refuse))
    rasa = RasaNLU(connection, nlu)
    for _ in range(5):
        await rasa.parse("c koi la prep")
    assert len(calls) == 1
    assert connection.unanswered == 5


async def test_the_server_is_asked_again_and_its_return_is_logged(nlu, caplog):
    answers = iter([httpx.ConnectError, None, None])
    ranking = rasa_answering([("access.hours", 0.97)])

    def handler(request: httpx.Request) -> httpx.Response:
        error = next(answers)
        if error is not None:
            raise error("refused", request=request)
        return ranking.handler(request)  # type: ignore[attr-defined]

    connection = RasaConnection("http://rasa.test", TOKEN, retry_seconds=0, transport=httpx.MockTransport(handler))
    rasa = RasaNLU(connection, nlu)
    with caplog.at_level(logging.INFO, logger="nlu.rasa_backend"):
        await rasa.parse("c koi la prep")
        second = await rasa.parse("c koi la prep")
    assert second.intent == "access.hours"
    assert connection.unanswered == 1
    down, back = [r.getMessage() for r in caplog.records if r.name == "nlu.rasa_backend"]
    assert "does not answer (ConnectError)" in down
    assert back == "The Rasa server at http://rasa.test answers again"


@pytest.fixture
async def silent_server() -> AsyncIterator[str]:
    """A server that accepts connections and never answers: a Rasa server stuck or overloaded."""

    async def hold(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read()
        writer.close()

    server = await asyncio.start_server(hold, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    yield f"http://127.0.0.1:{port}"
    server.close()


async def test_slow_server_times_out_and_the_embedded_nlu_answers(nlu, silent_server, caplog):
    connection = RasaConnection(silent_server, TOKEN, timeout=0.3)
    rasa = RasaNLU(connection, nlu)
    parse = await rasa.parse("c koi la prep")
    await connection.aclose()
    assert parse.contract() == nlu.parse_many(["c koi la prep"])[0].contract()
    assert "ReadTimeout" in warnings_of(caplog)[0].getMessage()


async def test_a_refused_token_is_an_outage_named_by_its_status(nlu, caplog):
    connection = RasaConnection("http://rasa.test", "not-the-token-at-all", transport=rasa_answering([("access.hours", 0.9)]))
    parse = await RasaNLU(connection, nlu).parse("c koi la prep")
    assert parse.intent == nlu.parse_many(["c koi la prep"])[0].intent
    assert "(HTTP 401)" in warnings_of(caplog)[0].getMessage()
    assert "not-the-token-at-all" not in caplog.text


async def test_rasa_is_asked_the_normalised_text_with_the_token(nlu):
    seen: list[httpx.Request] = []
    connection = RasaConnection("http://rasa.test", TOKEN, transport=rasa_answering([("prep.info", 0.9)], seen))
    await RasaNLU(connection, nlu).parse("C'est QUOI la PrEP ??? [urgent](x)")
    assert json.loads(seen[0].content) == {"text": rasa_text("C'est QUOI la PrEP ??? [urgent](x)")}
    assert seen[0].url.path == "/model/parse"


async def test_the_crisis_lexicon_overrides_rasa(nlu):
    connection = RasaConnection("http://rasa.test", TOKEN, transport=rasa_answering([("access.hours", 0.99)]))
    parse = await RasaNLU(connection, nlu).parse(CRISIS_TEXT)
    assert parse.route == "handover" and parse.intent.startswith("crisis.") and parse.safety_rule


@pytest.mark.parametrize(
    ("ranking", "intent", "route"),
    [
        ([("human.request", 0.9), ("access.hours", 0.1)], "human.request", "handover"),
        ([("access.hours", 0.95)], "access.hours", "answer"),
        ([("access.hours", 0.2), ("prep.info", 0.19)], "access.hours", "fallback"),
        ([("access.hours", 0.7), ("crisis.violence", 0.25)], "crisis.violence", "handover"),
        ([("intent.removed.from.faq", 0.9), ("prep.info", 0.6)], "prep.info", "answer"),
    ],
)
async def test_rasa_ranking_gets_the_embedded_thresholds(nlu, ranking, intent, route):
    connection = RasaConnection("http://rasa.test", TOKEN, transport=rasa_answering(ranking))
    parse = await RasaNLU(connection, nlu).parse("une question sans mot de crise")
    assert (parse.intent, parse.route) == (intent, route)


async def test_language_comes_from_the_embedded_identifier(nlu):
    connection = RasaConnection("http://rasa.test", TOKEN, transport=rasa_answering([("screening.where", 0.9)]))
    rasa = RasaNLU(connection, nlu)
    assert (await rasa.parse("salam, wach kayn test dial sida?")).lang == "ar"
    assert (await rasa.parse("ok", lang_hint="es")).lang == "es"


async def test_the_bot_keeps_answering_with_rasa_down_even_after_an_faq_reload(tmp_path, faq, nlu):
    settings = load_settings(
        nlu_backend="rasa", rasa_url=f"http://127.0.0.1:{closed_port()}", rasa_token=TOKEN,
        database_url=f"sqlite:///{tmp_path / 'bot.sqlite3'}",
    )
    app = await start(settings, (faq, nlu))
    message = InboundMessage("terminal", "p", "p", kind="text", text="c koi la prep")
    try:
        assert (await app.engine.handle(message))[0].text
        assert app.rasa is not None and app.rasa.unanswered == 1
        assert await app.reload()
        assert (await app.engine.handle(message))[0].text
        assert app.rasa.unanswered == 2
    finally:
        await app.close()


async def test_nlu_backend_rasa_needs_a_token(tmp_path, faq, nlu):
    settings = load_settings(nlu_backend="rasa", database_url=f"sqlite:///{tmp_path / 'bot.sqlite3'}")
    with pytest.raises(SettingsError, match="RASA_TOKEN is missing"):
        await start(settings, (faq, nlu))


def test_parse_command_with_rasa_down_says_so_instead_of_measuring_the_embedded_nlu(monkeypatch, capsys):
    monkeypatch.setenv("RASA_URL", f"http://127.0.0.1:{closed_port()}")
    monkeypatch.setenv("RASA_TOKEN", TOKEN)
    monkeypatch.setattr(sys, "stdin", io.StringIO("c koi la prep\n"))
    assert main(["nlu", "parse", "--backend", "rasa"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "does not answer" in captured.err and "outreach-bot nlu rasa-serve" in captured.err


def test_export_writes_each_intent_with_normalised_unique_examples(faq, tmp_path, capsys):
    out = tmp_path / "nlu.yml"
    assert main(["nlu", "export-rasa", "--out", str(out)]) == 0
    text = out.read_text(encoding="utf-8")
    assert text.startswith("# GENERATED")
    data = yaml.safe_load(text)
    examples = {
        block["intent"]: [line[2:] for line in block["examples"].splitlines()] for block in data["nlu"]
    }
    assert set(examples) == {intent for _text, _lang, intent in faq.examples()}
    written = [e for texts in examples.values() for e in texts]
    assert len(written) == len(set(written))
    assert all(e and e == rasa_text(e) for e in written)
    assert not any(c in e for e in written for c in "[]{}()")
    assert f"{len(written)} examples written" in capsys.readouterr().err


def test_export_orders_intents_and_keeps_the_first_of_two_examples_that_normalise_alike():
    text, count = training_data([("Où?", "fr", "b.second"), ("ou", "fr", "a.first"), ("???", "fr", "a.first"), ("merci", "fr", "a.first")])
    assert count == 2
    assert text.endswith("- intent: a.first\n  examples: |\n    - merci\n- intent: b.second\n  examples: |\n    - ou\n")


def fake_python(path: Path, works: bool) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("#!/bin/sh\n" + ("echo True\n" if works else "echo 'pyenv: python3.10: command not found' >&2; exit 127\n"))
    path.chmod(0o755)
    return str(path)


def test_python_310_is_found_past_a_pyenv_shim_that_refuses_to_run(tmp_path, monkeypatch):
    shim = fake_python(tmp_path / "shims" / "python3.10", works=False)
    fake_python(tmp_path / "pyenv" / "versions" / "3.10.9" / "bin" / "python3.10", works=True)
    newest = fake_python(tmp_path / "pyenv" / "versions" / "3.10.13" / "bin" / "python3.10", works=True)
    monkeypatch.setenv("PATH", str(Path(shim).parent))
    monkeypatch.setenv("PYENV_ROOT", str(tmp_path / "pyenv"))
    assert find_python() == Path(newest)


def test_rasa_python_setting_must_be_a_python_310(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setenv("PYENV_ROOT", str(tmp_path / "no-pyenv"))
    with pytest.raises(RasaSetupError, match="RASA_PYTHON is wrong"):
        find_python(sys.executable)
    with pytest.raises(RasaSetupError, match="set RASA_PYTHON"):
        find_python()


def test_the_rasa_environment_is_reused_until_its_requirements_change(tmp_path, monkeypatch):
    requirements, constraints = tmp_path / "requirements.txt", tmp_path / "constraints.txt"
    requirements.write_text("-c constraints.txt\nrasa==3.6.21\n")
    constraints.write_text("numpy==1.23.5\n")
    monkeypatch.setattr(rasa_server, "REQUIREMENTS", requirements)
    monkeypatch.setattr(rasa_server, "CONSTRAINTS", constraints)
    python = Path(sys.executable)
    first = environment_for(python, tmp_path)
    first.marker.parent.mkdir(parents=True)
    first.marker.write_text("done")
    monkeypatch.setattr(rasa_server, "_run", lambda *args, **kwargs: pytest.fail("nothing should be installed"))
    assert rasa_server.ensure_environment(python, tmp_path) == first
    constraints.write_text("numpy==1.23.4\n")
    assert environment_for(python, tmp_path) != first


def test_a_trained_model_is_reused_until_data_or_pipeline_change(tmp_path, monkeypatch):
    data = tmp_path / "nlu.yml"
    data.write_text("nlu: []\n")
    monkeypatch.setattr(rasa_server, "TRAINING_DATA", data)
    environment = RasaEnvironment(tmp_path / "rasa-venv-x")
    key = model_key(environment)
    cached = tmp_path / "rasa-models" / f"nlu-{key}.tar.gz"
    cached.parent.mkdir()
    cached.write_bytes(b"model")
    monkeypatch.setattr(rasa_server, "_run", lambda *args, **kwargs: pytest.fail("nothing should be trained"))
    model = rasa_server.train(environment, tmp_path, example_count=0)
    assert (model.path, model.training_seconds) == (cached, 0.0)
    data.write_text("nlu: [changed]\n")
    assert model_key(environment) != key
