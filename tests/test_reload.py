"""Live FAQ edits: a valid edit is served without a restart; an invalid one is refused."""

import asyncio
import logging
import shutil
import threading

import pytest
from sqlalchemy import select

from bot.app import start
from bot.errors import TrainingFailed
from bot.faq.watch import watch
from bot.messages import InboundMessage
from bot.outbox import STAFF
from bot.settings import REPOSITORY, load_settings
from bot.storage.models import OutboxMessage

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


def replace_in(app, name: str, old: str, new: str) -> None:
    path = app.settings.faq_dir / name
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


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
    replace_in(app, "prep.yml", '- "la prep c quoi exactement"', '- "la prep c est quoi au juste"')
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


async def test_an_answer_edit_is_served_without_training_again(app, monkeypatch):
    def no_training(_examples):
        raise AssertionError("the examples did not change: nothing to train")

    monkeypatch.setattr("bot.app.train", no_training)
    replace_prep_answer(app, NEW_ANSWER)
    assert await app.reload()
    assert (await ask(app)).startswith(NEW_ANSWER)


@pytest.fixture
def slow_training(monkeypatch):
    """Training that waits until the test lets it finish: what is served meanwhile can be asked."""
    from bot import app as app_module

    go_on = threading.Event()
    real = app_module.train

    def waiting(examples):
        go_on.wait(timeout=60)
        return real(examples)

    monkeypatch.setattr("bot.app.train", waiting)
    yield go_on
    go_on.set()


async def reloading_until_served(app, training: threading.Event) -> asyncio.Task:
    """The reload, started, once the edited FAQ serves (its training still waiting)."""
    previous = app.knowledge.faq
    task = asyncio.create_task(app.reload())
    while app.knowledge.faq is previous:
        assert not task.done(), "the edit was refused"
        await asyncio.sleep(0.01)
    return task


async def parse(app, text: str):
    return await app.knowledge.pair[1].parse(text)


NEW_EXAMPLE = "zorblax quand on est sans papiers"


async def test_a_new_example_is_recognised_word_for_word_while_the_nlu_trains(app, slow_training):
    replace_in(app, "prep.yml", '- "la prep c quoi exactement"', f'- "la prep c quoi exactement"\n        - "{NEW_EXAMPLE}"')
    task = await reloading_until_served(app, slow_training)
    during = await parse(app, NEW_EXAMPLE.upper() + " ?")
    slow_training.set()
    assert await task
    assert (during.intent, during.route) == ("prep.info", "answer")


async def test_a_new_example_never_turns_a_crisis_into_an_answer(app, slow_training):
    crisis = CRISES["fr"]
    replace_in(app, "prep.yml", '- "la prep c quoi exactement"', f'- "la prep c quoi exactement"\n        - "{crisis}"')
    task = await reloading_until_served(app, slow_training)
    during = await parse(app, crisis)
    slow_training.set()
    await task
    assert during.route == "handover" and during.intent.startswith("crisis.")


async def test_a_new_crisis_phrase_applies_without_training_again(app, monkeypatch):
    def no_training(_examples):
        raise AssertionError("only crisis words changed: nothing to train")

    monkeypatch.setattr("bot.app.train", no_training)
    path = app.settings.nlu_data_dir / "crisis_lexicon.yml"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace('crisis.self_harm:\n  fr:\n', 'crisis.self_harm:\n  fr:\n    - zorblax total\n', 1), encoding="utf-8")
    assert await app.reload()
    assert (await parse(app, "ce soir c est zorblax total")).intent == "crisis.self_harm"


async def test_the_team_is_told_how_many_entries_an_edit_changed_or_why_it_was_refused(app):
    replace_prep_answer(app, NEW_ANSWER)
    await app.reload()
    replace_prep_answer(app, "Voir {no_such_fact}.")
    await app.reload()
    posts = await staff_posts(app)
    t = app.engine.catalogs.translator("fr")
    assert posts[0] == t.gettext("FAQ updated (entries changed: {count}).", count=1)
    assert "prep.yml:" in posts[1] and "{no_such_fact}" in posts[1]


CRISES = {
    "fr": "un client me frappe, j'ai peur pour ma vie",
    "es": "un cliente me está pegando, tengo miedo por mi vida",
    "ar": "واحد الكليان كيضربني وخايفة على حياتي",
    "en": "a client is beating me, I'm scared for my life",
}


async def test_a_broken_faq_and_a_restart_still_answer_a_crisis_in_every_language(app):
    settings = app.settings
    await app.close()
    (settings.faq_dir / "prep.yml").write_text("entries:\n  - id: prep.info\n   answer: [unclosed\n", encoding="utf-8")
    restarted = await start(settings)
    try:
        for lang, text in CRISES.items():
            replies = await restarted.engine.handle(InboundMessage("terminal", f"crisis-{lang}", f"crisis-{lang}", text=text))
            assert "112" in replies[0].text and replies[0].lang == lang, (lang, replies[0].text)
        posts = await staff_posts(restarted)
    finally:
        await restarted.close()
    t = restarted.engine.catalogs.translator("fr")
    notice = t.gettext("The FAQ files have errors: the bot started on the last FAQ that passed validation. Fix these lines:\n{problems}", problems="")
    [told] = [post for post in posts if post.startswith(notice)]
    assert told.removeprefix(notice).startswith("prep.yml:3: YAML syntax error") and "care.yml" not in told


async def test_a_broken_faq_at_the_very_first_start_falls_back_to_the_faq_the_bot_ships_with(tmp_path, caplog):
    shutil.copytree(REPOSITORY / "faq", tmp_path / "faq")
    (tmp_path / "faq" / "prep.yml").write_text("entries: [unclosed\n", encoding="utf-8")
    settings = load_settings(faq_dir=tmp_path / "faq", database_url=f"sqlite:///{tmp_path / 'bot.sqlite3'}")
    with caplog.at_level(logging.ERROR):
        running = await start(settings)
    try:
        assert "prep.info" in running.engine.faq.entries
    finally:
        await running.close()
    assert "the FAQ the bot ships with" in caplog.text and "prep.yml:" in caplog.text


async def staff_posts(app) -> list[str]:
    async with app.storage.unit() as repo:
        rows = await repo.session.scalars(select(OutboxMessage).where(OutboxMessage.channel == STAFF).order_by(OutboxMessage.id))
        return [row.body["text"] for row in rows]


@pytest.fixture
async def unreadable_everywhere(tmp_path, monkeypatch):
    """A first start on a checkout whose own FAQ is broken: no last good copy, and the packaged FAQ is that same folder."""
    shutil.copytree(REPOSITORY / "faq", tmp_path / "faq")
    shutil.copytree(REPOSITORY / "nlu" / "data", tmp_path / "nlu" / "data")
    (tmp_path / "faq" / "prep.yml").write_text("entries: [unclosed\n", encoding="utf-8")
    monkeypatch.setattr("bot.app.CONTENT", tmp_path)
    monkeypatch.setattr("bot.app.REPOSITORY", tmp_path)
    settings = load_settings(faq_dir=tmp_path / "faq", nlu_data_dir=tmp_path / "nlu" / "data", database_url=f"sqlite:///{tmp_path / 'bot.sqlite3'}")
    running = await start(settings)
    yield running
    await running.close()


async def test_with_no_faq_readable_anywhere_a_crisis_still_gets_the_emergency_number_in_every_language(unreadable_everywhere):
    for lang, text in CRISES.items():
        replies = await unreadable_everywhere.engine.handle(InboundMessage("terminal", f"crisis-{lang}", f"crisis-{lang}", text=text))
        assert "112" in replies[0].text and replies[0].lang == lang, (lang, replies[0].text)


async def test_with_no_faq_readable_anywhere_every_message_goes_to_the_team(unreadable_everywhere):
    replies = await unreadable_everywhere.engine.handle(InboundMessage("terminal", "p", "p", text="où je peux faire un test hiv gratuit ?"))
    assert "112" in replies[0].text
    async with unreadable_everywhere.storage.unit() as repo:
        assert [request.reason for request in await repo.handover.open_all()] == ["crisis.unread"]


async def test_with_no_faq_readable_anywhere_the_team_is_told_once(unreadable_everywhere):
    t = unreadable_everywhere.engine.catalogs.translator("fr")
    notice = t.gettext("No FAQ can be read: the bot only gives the emergency number and passes every message to the team. Fix these lines:\n{problems}", problems="")
    [told] = [post for post in await staff_posts(unreadable_everywhere) if post.startswith(notice)]
    assert told.removeprefix(notice).startswith("prep.yml:1")


async def test_once_the_files_are_fixed_a_reload_ends_the_safety_only_mode(unreadable_everywhere):
    shutil.copy(REPOSITORY / "faq" / "prep.yml", unreadable_everywhere.settings.faq_dir / "prep.yml")
    assert await unreadable_everywhere.reload()
    assert (await ask(unreadable_everywhere)).startswith("Voici l'essentiel")


NEW_SNIPPET = """
  - name: thanks-for-waiting
    text:
      fr: "Merci d'avoir attendu."
      es: "Gracias por esperar."
      ar: "شكرًا على انتظارك."
"""


async def test_a_new_snippet_is_served_after_reload(app):
    with (app.settings.faq_dir / "snippets.yml").open("a", encoding="utf-8") as snippets:
        snippets.write(NEW_SNIPPET)
    assert await app.reload()
    assert app.desk.faq().snippets["thanks-for-waiting"].text["es"] == "Gracias por esperar."
    assert app.staff_t.gettext("FAQ updated (entries changed: {count}).", count=1) in await staff_posts(app)


async def test_a_broken_snippets_file_is_refused_and_the_previous_snippets_keep_serving(app):
    before = app.desk.faq().snippets
    replace_in(app, "snippets.yml", "  - name: prep-cost", "  - name: prep-cost\n    text: [unclosed")
    assert not await app.reload()
    assert app.desk.faq().snippets == before
    assert any(post.startswith(app.staff_t.gettext("FAQ edit refused: the previous FAQ keeps serving. Fix these lines:\n{problems}", problems="snippets.yml:"))
               for post in await staff_posts(app))


async def test_a_restart_on_a_broken_snippets_file_starts_on_the_last_good_snippets(app):
    settings, before = app.settings, app.desk.faq().snippets
    await app.close()
    (settings.faq_dir / "snippets.yml").write_text("snippets:\n  - name: prep-cost\n    text: [unclosed\n", encoding="utf-8")
    restarted = await start(settings)
    try:
        assert restarted.engine.faq.snippets == before and "prep-cost" in before
    finally:
        await restarted.close()
