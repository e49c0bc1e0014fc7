"""The conversations of the December 2026 public-health review (faq/REVIEW.md), replayed.

Each test is a transcript that went wrong (T1, T3…) or a case found since, with the behaviour
that replaced it. The messages are written for these tests: none is a training example.
"""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot.engine import payloads
from bot.languages import LATIN_ARABIC
from bot.storage.models import HandoverRequest
from handover.queue import PRIORITY_CRISIS, PRIORITY_URGENT
from nlu.parse import Parse
from nlu.text import arabic_share

BRUSSELS = ZoneInfo("Europe/Brussels")
FRIDAY_NIGHT = datetime(2026, 12, 4, 23, 40, tzinfo=BRUSSELS)
"""The permanence of the tests' schedule is on Tuesdays, 14:00 to 18:00."""


def reading(text: str, lang: str) -> str:
    """The text a person reads: Darija in Latin letters for a message in arabizi."""
    return LATIN_ARABIC if lang == "ar" and arabic_share(text) == 0 else lang


def language_buttons(replies) -> list[str]:
    return [p for p in replies.payloads if p.startswith("lang:")]


def topic_buttons(replies) -> list[str]:
    return [p for p in replies.payloads if p.startswith("topic:")]


async def requests(storage) -> list[HandoverRequest]:
    async with storage.unit() as repo:
        return list((await repo.session.scalars(select(HandoverRequest).order_by(HandoverRequest.id))).all())


# --- After a crisis --------------------------------------------------------------------------


async def test_a_crisis_reply_is_not_followed_by_the_language_choice(send):
    replies = await send("je veux mourir ce soir")
    assert language_buttons(replies) == [] and topic_buttons(replies) == []


async def test_ok_after_a_crisis_stays_with_the_person_instead_of_a_menu(send, catalogs):
    await send("je veux mourir ce soir")
    replies = await send("ok")
    fr = catalogs.translator("fr")
    assert len(replies) == 1
    assert replies[0].text.startswith(fr.gettext("I'm here."))
    assert "112" in replies[0].text
    assert topic_buttons(replies) == [] and language_buttons(replies) == []


@pytest.mark.parametrize("follow_up", ["?", "merci", "d'accord"])
async def test_an_unclear_message_after_a_crisis_is_no_fallback(send, catalogs, follow_up):
    await send("je veux plus vivre, j'en peux plus")
    replies = await send(follow_up)
    fr = catalogs.translator("fr")
    assert fr.gettext("I'm not sure I understood. I can answer questions on these topics, or you can ask for a person:") not in replies.texts
    assert replies[0].text.startswith(fr.gettext("I'm here."))


async def test_a_crisis_out_of_hours_says_when_someone_will_read_it_and_what_answers_now(send, engine, schedule, catalogs):
    engine.schedule, engine.clock = schedule, lambda: FRIDAY_NIGHT
    replies = await send("je veux mourir, j'ai plus la force")
    fr = catalogs.translator("fr")
    handover = replies[1].text
    assert "mardi 8 décembre à 14:00" in handover
    assert fr.gettext("Until then, the numbers above answer at any hour.") in handover
    assert "already" not in handover and "déjà" not in handover


async def test_asking_for_help_today_while_waiting_is_told_the_message_is_kept(send, engine, schedule, catalogs):
    engine.schedule, engine.clock = schedule, lambda: FRIDAY_NIGHT
    await send(payload=payloads.HUMAN)
    replies = await send("j'ai besoin d'aide aujourd'hui")
    fr = catalogs.translator("fr")
    assert fr.gettext("I'm not sure I understood. I can answer questions on these topics, or you can ask for a person:") not in replies.texts
    assert "mardi 8 décembre à 14:00" in replies[0].text


async def test_ok_after_asking_for_a_person_says_the_message_is_with_the_team(send, catalogs):
    await send("je veux parler a quelqu'un de l'equipe svp")
    replies = await send("ok")
    assert replies[0].text.startswith(catalogs.translator("fr").gettext("Your message is with the team."))


async def test_an_emergency_that_is_over_gets_what_to_watch_for_not_call_112_now(send, faq):
    first = await send("mon pote a pris du G il se reveille plus")
    assert first[0].text == faq.answer("crisis.medical", "fr")
    replies = await send("c'est bon il s'est reveille")
    assert replies[0].text == faq.text(faq.entries["crisis.medical"].follow_ups["over"].text, "fr")
    assert payloads.HUMAN in replies.payloads


async def test_a_new_emergency_after_it_was_over_is_an_emergency_again(send, faq):
    await send("mon pote a pris du G il se reveille plus")
    replies = await send("il s'est reveille mais il respire mal")
    assert replies[0].text == faq.answer("crisis.medical", "fr")


async def test_the_arabic_self_harm_reply_gives_a_line_an_arabic_speaker_can_use(faq):
    assert "112" in faq.answer("crisis.self_harm", "ar")


# --- Follow-ups read in the light of the last answer (T2, T3, T4, T5, T8, T11, T15, T16) -----


async def test_where_exactly_after_the_pep_answer_gives_the_hospitals_not_our_address(send, faq):
    await send("la capote a craque avec un client hier soir")
    replies = await send("où exactement ?")
    assert replies[0].text == faq.text(faq.entries["pep.urgent"].follow_ups["where"].text, "fr")
    assert "Saint-Pierre" in replies[0].text


async def test_how_much_after_the_pep_answer_is_about_pep_not_our_services(send, faq):
    await send("condom broke with a client last night what now")
    replies = await send("how much does it cost?")
    assert replies[0].text == faq.text(faq.entries["pep.urgent"].follow_ups["cost"].text, "en")
    assert replies[0].text != faq.answer("access.conditions", "en")


async def test_where_after_a_rape_report_gives_the_cpvs_address(send, faq):
    await send("a client raped me yesterday")
    replies = await send("where exactly?")
    assert faq.facts["cpvs_address"].text("en") in replies[0].text


async def test_how_much_after_the_prep_answer_gives_how_to_get_it(send, faq):
    await send("c koi exactement la prep, ca marche comment")
    replies = await send("et ça coûte combien ?")
    assert replies[0].text == faq.answer("prep.access", "fr")


@pytest.mark.parametrize("follow_up", ["fin bedebt?", "b chhal?", "w ch7al kaykhlas?"])
async def test_darija_follow_ups_after_pep_stay_on_pep(send, faq, follow_up):
    await send("capote t9at3at m3a wa7ed lbar7 chno ndir")
    replies = await send(follow_up)
    texts = {faq.text(f.text, LATIN_ARABIC) for f in faq.entries["pep.urgent"].follow_ups.values() if f.text}
    assert replies[0].text in texts


async def test_the_same_follow_up_twice_is_not_the_same_answer_again(send):
    await send("la capote a craque avec un client hier soir")
    first = await send("c'est où ?")
    second = await send("où exactement ?")
    assert second[0].text != first[0].text
    assert payloads.HUMAN in second.payloads


async def test_a_follow_up_without_a_recent_answer_is_an_ordinary_message(send, faq):
    replies = await send("c'est où ?")
    assert replies[0].text != faq.text(faq.entries["pep.urgent"].follow_ups["where"].text, "fr")


# --- Messages the review found routed wrongly -------------------------------------------------


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("chno ndir sa7bti khdat l G w ma bghatch tfi9", "crisis.medical"),  # T14
        ("me meti tina y el corazon me va a mil, no se me calma", "crisis.medical"),  # T17
        ("صاحبي شرب GHB ومابغاش يفيق", "crisis.medical"),
        ("un cliente me golpeo anoche y me duele todo", "crisis.violence"),  # T23
    ],
)
async def test_an_emergency_goes_to_the_emergency_reply_and_the_team(send, faq, storage, text, intent):
    replies = await send(text)
    assert replies[0].text == faq.answer(intent, reading(text, replies[0].lang))
    assert [r.reason for r in await requests(storage)] == [intent]


async def test_a_theft_question_from_an_undocumented_person_gets_the_rights_answer(send, faq, storage):  # T9
    replies = await send("un client m'a piqué mon argent, je peux aller voir la police si j'ai pas de papiers ?")
    assert replies[0].text == faq.answer("work.rights", "fr")
    assert await requests(storage) == []


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("la capote a lâché, je peux tomber enceinte ?", "contraception.emergency"),  # T10
        ("je peux mettre de la creme pour le corps comme lubrifiant avec un preservatif ?", "prevention.material"),  # T12
        ("c'est combien de ml de G max par prise ?", "drugs.ghb"),  # T13
        ("wach khdma dyal l9a7ba mamnou3a hna f belgique ?", "work.rights"),  # T18
        ("شنو هي هاد البريب اللي كيهضرو عليها", "prep.info"),  # T19
    ],
)
async def test_a_question_the_review_found_misrouted_gets_its_answer(send, faq, text, intent):
    replies = await send(text)
    assert replies[0].text == faq.answer(intent, reading(text, replies[0].lang))


def test_the_ghb_answer_gives_an_amount_and_a_wait_before_redosing(faq):
    answer = faq.answer("drugs.ghb", "fr")
    assert "1 ml" in answer and "2 heures" in answer


def test_the_condom_answer_says_no_oil_with_latex(faq):
    answer = faq.answer("prevention.material", "fr").lower()
    assert "huile" in answer and "latex" in answer


# --- The handover queue keeps the most serious reason -----------------------------------------


async def test_a_suicidal_message_after_a_medical_crisis_becomes_the_request_reason(send, storage):
    await send("ma copine a pris trop de G elle se reveille plus")
    await send("et moi je veux mourir, je vais en finir")
    [request] = await requests(storage)
    assert (request.reason, request.priority) == ("crisis.self_harm", PRIORITY_CRISIS)


async def test_asking_for_a_person_after_the_pep_answer_keeps_the_pep_priority(send, storage):
    await send("la capote a craque avec un client hier soir")
    await send(payload=payloads.HUMAN)
    [request] = await requests(storage)
    assert (request.reason, request.priority) == ("pep.urgent", PRIORITY_URGENT)


async def test_a_pep_question_while_waiting_raises_the_waiting_request(send, storage):
    await send(payload=payloads.HUMAN)
    await send("la capote a craque avec un client hier soir")
    [request] = await requests(storage)
    assert request.priority == PRIORITY_URGENT


async def test_a_crisis_is_never_lowered_by_a_later_request(send, storage):
    await send("je veux mourir ce soir")
    await send(payload=payloads.HUMAN)
    [request] = await requests(storage)
    assert (request.reason, request.priority) == ("crisis.self_harm", PRIORITY_CRISIS)


# --- What a person reads ----------------------------------------------------------------------


async def test_the_language_offer_names_the_language_in_lower_case_in_a_sentence(send, catalogs):
    replies = await send("c koi la prep")
    assert "français" in replies[-1].text and "Français" not in replies[-1].text


# --- "Are you safe right now?" when a crisis is only half seen --------------------------------


class HalfSeenCrisis:
    """An NLU that understood nothing but a faint crisis: what the classifier gives an unclear message."""

    async def parse(self, text: str, lang_hint: str | None = None) -> Parse:
        return Parse(text, "fr", 0.9, "out_of_scope", 0.2, "fallback", crisis_hint="crisis.self_harm")


@pytest.fixture
def unsure(engine):
    engine.knowledge.use(engine.faq, HalfSeenCrisis())
    return engine


async def test_a_half_seen_crisis_gets_a_kind_check_instead_of_a_menu(send, unsure, catalogs):
    replies = await send("jsp, tout est lourd")
    assert replies.texts == [catalogs.translator("fr").gettext("Are you safe right now?")]
    assert payloads.safe(False, "crisis.self_harm") in replies.payloads and topic_buttons(replies) == []


async def test_no_to_the_check_gets_the_emergency_contacts_and_the_team(send, unsure, faq, storage):
    await send("jsp, tout est lourd")
    replies = await send(payload=payloads.safe(False, "crisis.self_harm"))
    assert replies[0].text == faq.answer("crisis.self_harm", "fr")
    assert [r.reason for r in await requests(storage)] == ["crisis.self_harm"]


async def test_a_written_no_to_the_check_counts_as_the_button(send, unsure, faq):
    await send("jsp, tout est lourd")
    replies = await send("non")
    assert replies[0].text == faq.answer("crisis.self_harm", "fr")


async def test_yes_to_the_check_opens_the_menu_and_hands_nothing_over(send, unsure, storage):
    check = await send("jsp, tout est lourd")
    yes = check[0].quick_replies[0]
    replies = await send(payload=yes.payload)
    assert topic_buttons(replies) and await requests(storage) == []


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("J'ai été frappée par un client l'an dernier, est-ce que je peux encore porter plainte ?", "work.rights"),
        ("me golpearon hace unos meses en la calle, todavia puedo denunciar?", "work.rights"),
        ("si un jour un client me frappe, est-ce que je peux porter plainte même sans papiers ?", "work.rights"),
        ("what if a client hits me one day, can i go to the police without papers?", "work.rights"),
        ("que faire si une copine respire plus après le G ? je veux savoir avant la soirée de samedi", "drugs.ghb"),
        ("what do we do if someone passes out and stops breathing on G? asking in advance for the party", "drugs.ghb"),
    ],
)
async def test_a_past_violence_or_an_emergency_asked_about_ahead_gets_the_answer_and_a_gentle_check(send, faq, storage, catalogs, text, intent):
    replies = await send(text)
    assert replies[0].text == faq.answer(intent, replies[0].lang)
    assert replies[1].text == catalogs.translator(replies[0].lang).gettext("Are you safe right now?")
    assert await requests(storage) == []


@pytest.mark.parametrize("text", ["ma copine respire plus après le G, aidez-moi, merci d'avance", "my friend is not breathing after G, thanks in advance"])
async def test_an_emergency_that_thanks_in_advance_is_one(send, faq, text):
    replies = await send(text)
    assert replies[0].text == faq.answer("crisis.medical", replies[0].lang)


async def test_an_emergency_happening_now_is_one_even_when_the_person_wanted_to_know_ahead(send, faq):
    replies = await send("je voulais savoir à l'avance mais là ce soir ma copine respire plus après le G")
    assert replies[0].text == faq.answer("crisis.medical", "fr")


async def test_a_violence_happening_today_is_a_crisis_even_with_a_past_one(send, faq):
    replies = await send("il m'a frappée l'an dernier et il est revenu ce soir, il me menace maintenant")
    assert replies[0].text == faq.answer("crisis.violence", "fr")


async def test_a_what_if_that_is_happening_tonight_is_a_crisis(send, faq):
    replies = await send("si jamais il revient ce soir il va me frapper, il me menace")
    assert replies[0].text == faq.answer("crisis.violence", "fr")


@pytest.mark.parametrize("text", ["ce client va me tuer avec ses blagues mdrrr", "this client is killing me lmao"])
async def test_an_idiom_said_laughing_is_no_crisis(send, storage, text):
    await send(text)
    assert await requests(storage) == []


async def test_a_two_question_message_answers_one_and_offers_the_other_first(send, faq):
    replies = await send("ou faire le test vih et vous etes ouverts a quelle heure ?")
    answered = next(e for e in ("access.hours", "screening.offer") if replies[0].text == faq.answer(e, "fr"))
    other = ({"access.hours", "screening.offer"} - {answered}).pop()
    related = [q.payload for q in replies[0].quick_replies if q.payload.startswith("faq:")]
    assert related[0] == payloads.faq(other)


async def test_safety_comes_first_in_a_two_question_message(send, faq):
    replies = await send("un client m'a violée cette nuit et je voulais aussi savoir pour la prep")
    assert replies[0].text == faq.answer("crisis.violence", "fr")


async def test_is_it_free_after_the_vaccines_answer_is_about_vaccines_not_our_services(send, faq):  # T16
    await send("vaccin mpox ou ca se fait ?")
    replies = await send("c gratuit ?")
    assert replies[0].text != faq.answer("access.conditions", "fr")
    assert replies[0].text == faq.text(faq.entries["vaccination.other"].follow_ups["cost"].text, "fr")


async def test_how_much_in_darija_after_the_screening_answer_is_about_screening(send, faq):  # T15
    await send("salam, j'ai besoin dial test VIH, fin ndir?")
    replies = await send("w ch7al kaykhlas?")
    assert replies[0].text == faq.text(faq.entries["screening.offer"].follow_ups["cost"].text, LATIN_ARABIC)


async def test_a_medical_emergency_reply_is_not_followed_by_the_language_choice(send):  # T20
    replies = await send("mon ami respire mal il a pris trop de G")
    assert language_buttons(replies) == [] and topic_buttons(replies) == []
