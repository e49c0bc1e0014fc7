"""The FAQ content: complete in every language, sourced, with enough examples to learn from."""

import re

import pytest

from bot.faq.coverage import MIN_EXAMPLES, MIN_LATIN_ARABIC, coverage
from bot.languages import LATIN_ARABIC
from nlu.intents import load_intents
from nlu.text import arabic_share

# One question per topic and language, written for this test (not training examples).
QUESTIONS = {
    "services.overview": {"fr": "bonsoir vous etes qui au juste, vous proposez quoi", "es": "buenas, ustedes a q se dedican", "ar": "شنو كتديرو بالضبط فهاد الجمعية"},
    "screening.offer": {"fr": "je voudrais me faire depister pour tout, c possible chez vous", "es": "quiero hacerme los analisis de todo, ustedes los hacen", "ar": "bghit ndir analyse dyal kolchi, momkin 3andkom"},
    "prep.access": {"fr": "comment je fais pour avoir la prep sans mutuelle", "es": "como consigo la prep si no tengo seguro", "ar": "kifach nakhod la prep ila ma3ndich mutuelle"},
    "prevention.material": {"fr": "vous donnez des preservatifs gratuits ?", "es": "regalan condones?", "ar": "واش كتعطيو الكابوط فابور"},
    "healthcare.access": {"fr": "je suis sans papiers, comment voir un medecin", "es": "no tengo papeles como hago para ver un medico", "ar": "ma3andich lwra9, kifach nchouf tbib"},
    "vaccination.other": {"fr": "le vaccin contre la variole du singe, je peux l'avoir ?", "es": "donde me pongo la vacuna de la viruela del mono", "ar": "فين ندير اللقاح ديال جدري القردة"},
    "drugs.ghb": {"fr": "la G avec de l'alcool c'est dangereux ?", "es": "el G con alcohol es peligroso?", "ar": "الـ GHB مع الشراب خطير؟"},
    "work.rights": {"fr": "le travail du sexe c'est legal en belgique maintenant ?", "es": "el trabajo sexual es legal en belgica?", "ar": "wach lkhedma dyal jins legal f belgique"},
    "social.housing": {"fr": "je dors dehors ce soir, ou aller", "es": "no tengo donde dormir esta noche", "ar": "ما عنديش فين نبات الليلة"},
    "trans.health": {
        "fr": "je suis trans et je prends mes hormones sans medecin, c'est grave ?",
        "es": "soy trans y me inyecto hormonas que compré, es peligroso?",
        "ar": "انا عابرة وباخد هرمونات من غير دكتور هل ده خطر",
        "en": "where can a trans woman get hormones without insurance",
    },
    "contraception.emergency": {
        "fr": "pilule du lendemain c'est jusqu'a quand",
        "es": "se rompio el condon y no quiero quedar embarazada",
        "ar": "t9at3at lcapote w khayfa nkoun 7amla",
        "en": "condom broke and i could get pregnant what do i do",
    },
}


@pytest.mark.parametrize("intent", [i for i, s in load_intents().items() if s.route == "answer"])
def test_every_answer_intent_is_answered_in_four_languages_with_a_source(faq, intent):
    entry = faq.entries[intent]
    assert all(entry.answer.get(lang) for lang in ("fr", "es", "ar", "en"))
    assert entry.sources and entry.reviewed_on and entry.review_due


def test_every_intent_has_enough_examples_in_each_language(faq):
    thin = {row.intent: row.gaps for row in coverage(faq) if row.gaps}
    assert thin == {}, f"at least {MIN_EXAMPLES} per language and {MIN_LATIN_ARABIC} in Latin letters"


@pytest.mark.parametrize(("intent", "lang"), [(i, lang) for i, by_lang in QUESTIONS.items() for lang in by_lang])
async def test_a_fresh_question_gets_its_answer_in_its_language(send, faq, intent, lang):
    question = QUESTIONS[intent][lang]
    replies = await send(question)
    reading = LATIN_ARABIC if lang == "ar" and arabic_share(question) == 0 else lang
    assert replies[0].lang == lang
    assert replies[0].text == faq.answer(intent, reading)


def test_the_fresh_questions_are_not_training_examples(faq):
    from nlu.text import normalise

    trained = {normalise(text) for text, _lang, _intent in faq.examples()}
    assert not [q for by_lang in QUESTIONS.values() for q in by_lang.values() if normalise(q) in trained]


GAPS = re.compile(r"\[[^\]]*(compléter|completar|يكمل|to be filled)[^\]]*\]", re.IGNORECASE)
TEAM_DOUBTS = re.compile(
    r"à vérifier|à confirmer|pas confirmé|n'est pas confirmé|on ne sait pas|source australienne|"
    r"por confirmar|a confirmar|no está confirmad|fuente australiana|"
    r"to be checked|not confirmed|unconfirmed|australian source|"
    r"غير مؤكد|يجب التأكد مع الفريق|مصدر أسترالي",
    re.IGNORECASE,
)


def every_text(faq):
    """Every text a person can read, with the placeholders filled in as the bot does."""
    for entry in faq.entries.values():
        for texts in (entry.answer, entry.more, *(f.text for f in entry.follow_ups.values())):
            for lang in texts:
                yield entry.id, lang, faq.text(texts, lang)


def test_no_answer_shows_a_gap_left_for_the_team(faq):
    assert [(i, lang) for i, lang, text in every_text(faq) if GAPS.search(text) or "{" in text] == []


def test_no_answer_shows_the_teams_own_doubts(faq):
    assert [(i, lang, TEAM_DOUBTS.search(text)[0]) for i, lang, text in every_text(faq) if TEAM_DOUBTS.search(text)] == []


def test_french_answers_say_tu_never_vous(faq):
    vous = re.compile(r"(?<![-\w])(vous|votre|vos)\b", re.IGNORECASE)
    assert [(i, vous.search(text)[0]) for i, lang, text in every_text(faq) if lang == "fr" and vous.search(text)] == []


def test_spanish_answers_use_no_french_calque(faq):
    assert [i for i, lang, text in every_text(faq) if lang == "es" and "permanencia" in text.lower()] == []


def test_a_sentence_that_needs_a_missing_fact_gives_way_to_a_safe_one(faq):
    address = faq.facts["org_address"]
    assert not address.filled
    text = faq.fill("Viens nous voir. Adresse : {org_address}.", "fr")
    assert text == "Viens nous voir.\n" + address.text("fr")
