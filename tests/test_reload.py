"""Live FAQ edits: a valid edit is served without a restart; an invalid one is refused."""

import asyncio
import logging
import shutil

import pytest

from bot.app import start
from bot.errors import TrainingFailed
from bot.faq.watch import watch
from bot.messages import InboundMessage
from bot.settings import REPOSITORY, load_settings

NEW_ANSWER = "Réponse modifiée par l'équipe."


@pytest.fixture
async def app(tmp_path):
    shutil.copytree(REPOSITORY / "faq", tmp_path / "faq")
    shutil.copytree(REPOSITORY / "nlu" / "data", tmp_path / "data")
    settings = load_settings(
        faq_dir=tmp_path / "faq", nlu_data_dir=tmp_path / "data", database_url=f"sqlite:///{tmp_path / 'bot.sqlite3'}"
    )
    running = await start(settings)
    yield running
    await running.close()


def replace_prep_answer(app, new_text: str) -> None:
    path = app.settings.faq_dir / "prep.yml"
    old = app.engine.faq.entries["prep.info"].answer["fr"].splitlines()[0]
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new_text, 1), encoding="utf-8")


async def ask(app) -> str:
    replies = await app.engine.handle(InboundMessage("terminal", "p", "p", kind="button", payload="faq:prep.info"))
    return replies[0].text


async def test_valid_edit_is_served_after_reload(app):
    replace_prep_answer(app, NEW_ANSWER)
    assert await app.reload()
    assert (await ask(app)).startswith(NEW_ANSWER)


async def test_invalid_edit_is_refused_and_the_previous_faq_keeps_serving(app, caplog):
    before = await ask(app)
    replace_prep_answer(app, "Voir {no_such_fact}.")
    with caplog.at_level(logging.ERROR):
        assert not await app.reload()
    assert "prep.yml:" in caplog.text and "unknown placeholder {no_such_fact}" in caplog.text
    assert await ask(app) == before


async def test_a_training_that_fails_keeps_the_previous_faq_serving(app, caplog, monkeypatch):
    def out_of_memory(_examples):
        raise TrainingFailed("training the NLU failed:\nMemoryError")

    before = await ask(app)
    replace_prep_answer(app, NEW_ANSWER)
    monkeypatch.setattr("bot.app.train", out_of_memory)
    with caplog.at_level(logging.ERROR):
        assert not await app.reload()
    assert "MemoryError" in caplog.text
    assert await ask(app) == before


async def test_watcher_calls_back_once_per_settled_edit(tmp_path):
    (tmp_path / "a.yml").write_text("a: 1")
    calls = []

    async def changed() -> None:
        calls.append(1)

    task = asyncio.create_task(watch([tmp_path], 0.05, changed))
    await asyncio.sleep(0.1)
    (tmp_path / "a.yml").write_text("a: 22")
    (tmp_path / "b.yml").write_text("b: 1")
    await asyncio.sleep(0.4)
    task.cancel()
    assert calls == [1]
