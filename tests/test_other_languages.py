"""Messages in a language the bot does not speak are recognised as such, and crises still go through."""

import pytest

from bot.engine import payloads
from nlu.classifier import Ranked
from nlu.intents import OUT_OF_SCOPE
from nlu.language import other_language


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("onde posso fazer o teste de graça aqui em bruxelas", "pt"),
        ("где можно сдать тест бесплатно", "ru"),
        ("waar kan ik hier gratis een test laten doen", "nl"),
    ],
)
def test_a_language_the_bot_does_not_speak_is_named(text, lang):
    guess = other_language(text)
    assert guess is not None and guess.lang == lang


@pytest.mark.parametrize(
    "text",
    ["jsp koi faire c urgent", "wach kayn chi test 3andkom lyoum", "quiero la prep sin papeles", "how do i get a test", "ok"],
)
def test_the_bots_own_languages_are_not_taken_for_another(text):
    assert other_language(text) is None


async def test_a_question_in_portuguese_gets_the_languages_the_bot_speaks_and_a_person(send, catalogs):
    replies = await send("onde posso fazer o teste de graça aqui em bruxelas")
    sentence = "I can answer in French, Spanish, Arabic and English. Write to me in one of them, or ask for a person from the team."
    assert catalogs.translator("en").gettext(sentence) in replies[0].text
    assert catalogs.translator("fr").gettext(sentence) in replies[0].text
    assert payloads.HUMAN in replies.payloads and payloads.language("es") in replies.payloads


@pytest.mark.parametrize("text", ["eu não quero mais viver, acabou pra mim", "я больше не хочу жить"])
async def test_a_crisis_in_another_language_gets_the_emergency_contacts_and_the_team(send, faq, storage, text):
    replies = await send(text)
    assert replies[0].text == faq.answer("crisis.self_harm", "en")
    async with storage.unit() as repo:
        assert len(await repo.handover.open_of(await _only_user(repo))) == 1


async def _only_user(repo):
    from sqlalchemy import select

    from bot.storage.models import User

    return (await repo.session.scalars(select(User))).one()



@pytest.fixture
def classifier_half_sees_a_crisis(nlu, monkeypatch):
    """The classifier does not speak Turkish, but it reads word pieces: here a faint crisis, under the handover threshold."""
    faint = [Ranked("privacy", 0.18), Ranked("crisis.self_harm", 0.12), Ranked(OUT_OF_SCOPE, 0.1)]
    monkeypatch.setattr(nlu.classifier, "rank_many", lambda texts, _langs: [faint for _ in texts])


async def test_a_faint_crisis_in_another_language_gets_the_languages_and_are_you_safe(send, catalogs, classifier_half_sees_a_crisis):
    replies = await send("mesajlarımı kim görüyor, bunlar gizli kalıyor mu?")
    english = catalogs.translator("en")
    assert english.gettext("I can answer in French, Spanish, Arabic and English. Write to me in one of them, or ask for a person from the team.") in replies[0].text
    assert replies[-1].text == english.gettext("Are you safe right now?")
    assert payloads.safe(False, "crisis.self_harm") in replies.payloads


def test_a_crisis_only_the_classifier_sees_in_another_language_is_a_question_not_a_handover(nlu, monkeypatch):
    """The classifier cannot read Turkish: a crisis it ranks first there is noise, or at best a hint."""
    noise = [Ranked("crisis.self_harm", 0.4), Ranked("privacy", 0.2), Ranked(OUT_OF_SCOPE, 0.1)]
    monkeypatch.setattr(nlu.classifier, "rank_many", lambda texts, _langs: [noise for _ in texts])
    parse = nlu.parse_many(["mesajlarımı kim görüyor, bunlar gizli kalıyor mu?"])[0]
    assert (parse.lang, parse.route, parse.crisis_hint) == ("tr", "fallback", "crisis.self_harm")
