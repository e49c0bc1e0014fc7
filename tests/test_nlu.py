"""The embedded NLU: the `nlu parse` contract, languages, safety rules, and the devset bar."""

import io
import json
import subprocess
import sys

import numpy as np
import pytest
from scipy.sparse import hstack
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import SGDClassifier

from bot.cli import main
from bot.errors import TrainingFailed
from bot.settings import REPOSITORY
from nlu import linear
from nlu.classifier import Ranked
from nlu.evaluation import evaluate
from nlu.fitting import linear_model, vocabulary
from nlu.intents import load_intents
from nlu.parse import Thresholds, decide_route
from nlu.safety import CrisisLexicon
from nlu.text import normalise
from nlu.training import train

CONTRACT_KEYS = {"text", "lang", "intent", "confidence", "route"}


def devset() -> list[dict]:
    path = REPOSITORY / "nlu" / "devset.jsonl"
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def test_parse_command_follows_the_contract(monkeypatch, capsys):
    lines = ["c koi la prep", '{"text": "hola, donde estan?", "id": 7}', "", "x" * 10_000]
    monkeypatch.setattr(sys, "stdin", io.StringIO("\n".join(lines) + "\n"))
    assert main(["nlu", "parse"]) == 0
    out = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert len(out) == 4
    assert all(set(row) == CONTRACT_KEYS for row in out)
    assert out[1]["text"] == "hola, donde estan?"
    assert all(0.0 <= row["confidence"] <= 1.0 for row in out)
    assert all(row["route"] in ("answer", "meta", "handover", "fallback") for row in out)
    assert all(row["intent"] in load_intents() for row in out)


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("bonjour, ou est-ce que je peux faire un test ?", "fr"),
        ("hola mi amor, donde puedo hacerme la prueba?", "es"),
        ("salam, wach kayn test dial sida?", "ar"),
        ("chno homa lwra9 li khasni bach nji 3andkom", "ar"),
        ("أين يمكنني إجراء فحص السيدا؟", "ar"),
        ("where can I get tested for HIV?", "en"),
        ("dziękuję bardzo", "pl"),
        ("mulțumesc frumos", "ro"),
    ],
)
def test_language_is_identified(nlu, text, lang):
    assert nlu.parse_many([text])[0].lang == lang


def test_short_ambiguous_message_keeps_the_conversation_language(nlu):
    assert nlu.parse_many(["ok"], lang_hint="es")[0].lang == "es"


def test_crisis_phrase_wins_over_the_classifier():
    ranking = [Ranked("prep.info", 0.9)]
    assert decide_route(ranking, "crisis.self_harm", False, Thresholds())[2] == "handover"


def test_a_call_for_help_with_a_hint_of_crisis_goes_to_a_person():
    ranking = [Ranked("sti.symptoms", 0.16), Ranked("crisis.medical", 0.15)]
    intent, _confidence, route, _rule = decide_route(ranking, None, True, Thresholds())
    assert (intent, route) == ("crisis.medical", "handover")


def test_low_confidence_answer_falls_back():
    assert decide_route([Ranked("prep.info", 0.1)], None, False, Thresholds())[2] == "fallback"


def test_lexicon_matches_whole_words_without_accents_and_with_arabic_prefixes():
    lexicon = CrisisLexicon({"crisis.violence": {"fr": ["m'a viole"], "ar": ["اغتصبني"]}})
    assert lexicon.match("Il M'A VIOLÉ hier") == "crisis.violence"
    assert lexicon.match("واغتصبني") == "crisis.violence"
    assert lexicon.match("la violence conjugale") is None


@pytest.mark.parametrize(
    "text",
    [
        "je veux en finir ce soir",
        "ya no quiero vivir",
        "bghit nmout",
        "mon ami ne respire plus apres la G",
        "un client me frappe au secours",
        "me violaron",
        "jveux me tuer ce soir",
        "el zboun ma3ah sekina w mesh 3ayez yemshi",
        "sa7eb el dar 9alli khalsi b jesmek",
    ],
)
def test_crisis_messages_go_to_a_person(nlu, text):
    assert nlu.parse_many([text])[0].route == "handover"


def test_ordinary_questions_do_not_raise_a_crisis(nlu, faq):
    first_examples = [e.examples["fr"][0] for e in faq.entries.values() if not e.id.startswith("crisis.")]
    routes = [p.route for p in nlu.parse_many(first_examples)]
    assert routes.count("handover") == 0


def test_devset_meets_the_foundation_bar(nlu):
    rows = devset()
    result = evaluate(rows, nlu.parse_many([r["text"] for r in rows]))
    assert result.intent_accuracy >= 0.80
    assert result.crisis_recall == 1.0


def test_no_training_example_copies_a_devset_message(faq):
    measured = {normalise(r["text"]) for r in devset()}
    copied = [text for text, _lang, _intent in faq.examples() if normalise(text) in measured]
    assert copied == []


def heldout() -> list[dict]:
    return [json.loads(line) for path in sorted((REPOSITORY / "nlu" / "heldout").glob("*.jsonl")) for line in path.open(encoding="utf-8")]


def test_no_training_example_copies_a_heldout_message(faq):
    """The held-out sets measure generalisation only while the model never learns from them."""
    measured = {normalise(r["text"]) for r in heldout()}
    assert measured
    assert [text for text, _lang, _intent in faq.examples() if normalise(text) in measured] == []


def test_heldout_messages_are_labelled_with_known_intents_dialects_and_styles():
    intents = set(load_intents())
    rows = heldout()
    assert {r["intent"] for r in rows} <= intents
    assert all(r.get("style") for r in rows) and all(r.get("dialect") for r in rows if r["lang"] == "ar")


def test_eval_command_prints_the_figures(tmp_path, capsys):
    path = tmp_path / "set.jsonl"
    path.write_text('{"text": "c koi la prep", "lang": "fr", "intent": "prep.info"}\n')
    assert main(["nlu", "eval", str(path)]) == 0
    out = capsys.readouterr().out
    assert "intent accuracy          1.000" in out and "crisis → handover" in out


@pytest.mark.parametrize(
    "vectoriser",
    [
        TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True),
        TfidfVectorizer(analyzer="char_wb", ngram_range=(1, 4), sublinear_tf=True),
        TfidfVectorizer(analyzer="word", ngram_range=(1, 2), sublinear_tf=True, token_pattern=r"(?u)\b\w+\b"),
        TfidfVectorizer(analyzer="word", ngram_range=(2, 3), sublinear_tf=True),
    ],
    ids=["characters", "characters from one", "words", "word pairs and triples"],
)
def test_features_are_the_ones_sklearn_computes(faq, vectoriser):
    examples = [normalise(text) for text, _lang, _intent in faq.examples()]
    messages = [normalise(text) for text in ("c koi la prep", "¿dónde están?", "wach kayn test", "", "!!!", "a", "zzzz qqqq", "prep " * 500)]
    vectoriser.fit(examples)
    texts = examples[:200] + messages
    expected = vectoriser.transform(texts).toarray()
    computed, words = np.zeros_like(expected), vocabulary(vectoriser)
    for row, text in zip(computed, texts):
        columns, values = words.features(text)
        row[columns] = values
    assert abs(computed - expected).max() < 1e-12


def test_a_vocabulary_remembers_a_bounded_number_of_words_and_reads_the_same_either_way(faq, monkeypatch):
    monkeypatch.setattr(linear, "WORDS_REMEMBERED", 3)
    words = vocabulary(TfidfVectorizer(analyzer="char_wb", sublinear_tf=True).fit(text for text, _, _ in faq.examples()))
    message = "un deux trois quatre cinq six deux"
    first, again = words.features(message), words.features(message)
    assert len(words._word_columns) == 3
    assert all((a == b).all() for a, b in zip(first, again))


def test_probabilities_are_the_ones_sklearn_computes(faq):
    rows = faq.examples()
    texts, intents = [normalise(text) for text, _, _ in rows], [intent for _, _, intent in rows]
    vectorisers = [TfidfVectorizer(analyzer="char_wb", sublinear_tf=True).fit(texts), TfidfVectorizer(sublinear_tf=True).fit(texts)]
    classifier = SGDClassifier(loss="log_loss", max_iter=5, tol=None, random_state=0)
    classifier.fit(hstack([v.transform(texts) for v in vectorisers]), intents)
    messages = [*texts[:50], "c koi la prep", "", "zzzz"]
    expected = classifier.predict_proba(hstack([v.transform(messages) for v in vectorisers]))
    assert abs(linear_model(vectorisers, classifier).probabilities(messages) - expected).max() < 1e-12


def test_the_bot_process_holds_neither_scikit_learn_nor_scipy(tmp_path):
    """They take about 90 MB: the NLU is trained in a child process, and the bot keeps the weights."""
    script = (
        "import sys\n"
        "from bot.app import load_knowledge\n"
        "from bot.settings import load_settings\n"
        "faq, nlu = load_knowledge(load_settings())\n"
        "parse = nlu.parse_many(['c koi la prep'])[0]\n"
        "assert parse.intent == 'prep.info', parse\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'sklearn', 'scipy'}))\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=tmp_path, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_a_training_that_fails_in_the_child_process_says_why():
    with pytest.raises(TrainingFailed, match="ValueError"):
        train([("bonjour", "fr", "greeting"), ("hola", "es", "greeting")])
