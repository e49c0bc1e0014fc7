"""`outreach-bot faq lint`: every kind of mistake a volunteer can make is reported as file:line."""

import json
import re
import shutil
from pathlib import Path

import pytest

from bot.cli import main
from bot.settings import REPOSITORY

EXTRA_TOPIC = """\
topic:
  title: {fr: "Essai", es: "Prueba", ar: "تجربة"}
  order: 99
entries:
  - id: test.extra
    title: {fr: "Essai", es: "Prueba", ar: "تجربة"}
    answer:
      fr: "Appelez le {emergency_number}."
      es: "Llama al {emergency_number}."
      ar: "اتصل بالرقم {emergency_number}."
    examples:
      fr: [une question d'essai tout a fait unique]
      es: [una pregunta de prueba totalmente unica]
      ar: [سؤال تجريبي فريد تماما]
    related: [prep.info]
    sources: ["the test suite"]
    review: {reviewed_on: 2026-01-01, reviewed_by: "tests", review_due: 2999-01-01}
"""


@pytest.fixture
def content(tmp_path, monkeypatch) -> Path:
    """A copy of the repository's FAQ and NLU data with one extra, valid topic file."""
    shutil.copytree(REPOSITORY / "faq", tmp_path / "faq")
    shutil.copytree(REPOSITORY / "nlu" / "data", tmp_path / "data")
    (tmp_path / "faq" / "zz_test.yml").write_text(EXTRA_TOPIC, encoding="utf-8")
    monkeypatch.setenv("FAQ_DIR", str(tmp_path / "faq"))
    monkeypatch.setenv("NLU_DATA_DIR", str(tmp_path / "data"))
    return tmp_path


def lint(capsys) -> tuple[int, list[str]]:
    code = main(["faq", "lint"])
    return code, capsys.readouterr().out.splitlines()


def errors(lines: list[str]) -> list[str]:
    return [line for line in lines if ": warning: " not in line]


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_the_repository_faq_is_valid(monkeypatch, capsys):
    monkeypatch.delenv("FAQ_DIR", raising=False)
    code, lines = lint(capsys)
    assert code == 0, "\n".join(errors(lines))


def test_every_problem_line_has_file_and_line(content, capsys):
    edit(content / "faq" / "zz_test.yml", "{emergency_number}", "{nope}")
    _code, lines = lint(capsys)
    assert lines and all(re.match(r"^[^:]+\.yml:\d+: ", line) for line in lines)


def test_valid_extra_topic_passes(content, capsys):
    code, lines = lint(capsys)
    assert code == 0, errors(lines)


def test_yaml_syntax_error_names_file_and_line(content, capsys):
    edit(content / "faq" / "zz_test.yml", "related: [prep.info]", "related: [prep.info")
    code, lines = lint(capsys)
    assert code == 1
    assert any(re.search(r"zz_test\.yml:1[5-7]: YAML syntax error", line) for line in lines), lines



def test_a_file_that_is_not_yaml_is_one_error_with_no_cascade_into_other_files(content, capsys):
    """prep.yml unreadable: its entries are missing, and the other files' references to them are not reported."""
    (content / "faq" / "prep.yml").write_text("entries:\n  - id: prep.info\n   answer: [unclosed\n", encoding="utf-8")
    code, lines = lint(capsys)
    assert code == 1
    assert [line.split(":")[0].rsplit("/", 1)[-1] for line in errors(lines)] == ["prep.yml"], lines

BROKEN_EDITS = {
    "unknown placeholder": (
        "zz_test.yml", 'fr: "Appelez le {emergency_number}."', 'fr: "Appelez le {emergency_numbr}."',
        "zz_test.yml:8: answer of test.extra in 'fr': unknown placeholder {emergency_numbr} (did you mean 'emergency_number'?)",
    ),
    "missing language": (
        "zz_test.yml", '      ar: "اتصل بالرقم {emergency_number}."\n', "",
        "zz_test.yml:7: answer of test.extra: missing language 'ar'",
    ),
    "duplicate id": ("zz_test.yml", "id: test.extra", "id: prep.info", "zz_test.yml:5: duplicate id 'prep.info'"),
    "unknown related id": (
        "zz_test.yml", "related: [prep.info]", "related: [prep.inf]", "zz_test.yml:15: related of test.extra: unknown id 'prep.inf' (did you mean 'prep.info'?)",
    ),
    "no source": ("zz_test.yml", 'sources: ["the test suite"]', "sources: []", "zz_test.yml:16: test.extra needs at least one source"),
    "title too long for a button": (
        "zz_test.yml", '    title: {fr: "Essai", es', '    title: {fr: "Un titre beaucoup trop long pour un bouton", es',
        "zz_test.yml:6: title of test.extra in 'fr' is longer than 24 characters",
    ),
    "fact without source": (
        "organisation.yml", "    source: police.be/5998/fr/contact/numeros-durgence (S55)\n", "",
        "fact emergency_number has no source",
    ),
}


@pytest.mark.parametrize("mistake", BROKEN_EDITS)
def test_mistake_is_reported_with_file_and_line(content, capsys, mistake):
    file, old, new, expected = BROKEN_EDITS[mistake]
    edit(content / "faq" / file, old, new)
    code, lines = lint(capsys)
    assert code == 1
    assert any(expected in line for line in lines), lines


def test_duplicate_example_across_entries(content, capsys, faq):
    taken = faq.entries["prep.info"].examples["fr"][0]
    edit(content / "faq" / "zz_test.yml", "une question d'essai tout a fait unique", json.dumps(taken.upper(), ensure_ascii=False))
    code, lines = lint(capsys)
    assert code == 1
    assert any("zz_test.yml:12:" in line and "also an example of prep.info" in line for line in lines), lines


def test_answer_intent_without_entry(content, capsys):
    (content / "faq" / "work.yml").unlink()
    code, lines = lint(capsys)
    assert code == 1
    assert any(re.search(r"intents\.yml:\d+: answer intent work\.status has no FAQ entry", line) for line in lines)


def test_training_data_with_unknown_intent(content, capsys):
    (content / "data" / "extra.yml").write_text("intents:\n  - id: no.such.intent\n    examples: {fr: [x]}\n")
    code, lines = lint(capsys)
    assert code == 1
    assert any("extra.yml:2: unknown intent 'no.such.intent'" in line for line in lines)


def test_review_due_is_a_warning_not_an_error(content, capsys):
    edit(content / "faq" / "zz_test.yml", "review_due: 2999-01-01", "review_due: 2020-01-01")
    code, lines = lint(capsys)
    assert code == 0
    assert any("zz_test.yml:17: warning: test.extra was due for review on 2020-01-01" in line for line in lines)


def test_unchecked_facts_are_listed_as_warnings(content, capsys):
    _code, lines = lint(capsys)
    assert any("warning: fact org_address is still to be checked by the team" in line for line in lines)


def test_export_lists_every_answer_with_placeholders_filled(monkeypatch, capsys, faq):
    monkeypatch.delenv("FAQ_DIR", raising=False)
    assert main(["faq", "export"]) == 0
    exported = json.loads(capsys.readouterr().out)
    assert {e["id"] for e in exported} == set(faq.entries)
    for entry in exported:
        assert set(entry) >= {"id", "answers", "examples", "sources", "reviewed_on"}
        assert all(entry["answers"].get(lang) for lang in ("fr", "es", "ar"))
        assert not any(re.search(r"\{[a-z_]+\}", text) for text in entry["answers"].values())


def test_a_fact_not_filled_in_is_a_warning_for_now(content, capsys):
    code, lines = lint(capsys)
    assert code == 0
    assert any("organisation.yml" in line and "org_address is not filled in yet" in line for line in lines)


def test_a_fact_not_filled_in_fails_the_release_lint(content, capsys):
    code = main(["faq", "lint", "--release"])
    lines = capsys.readouterr().out.splitlines()
    assert code == 1
    assert any("org_address is not filled in yet" in line for line in errors(lines))


def test_the_release_lint_passes_once_the_team_fills_every_fact_in(content, capsys):
    path = content / "faq" / "organisation.yml"
    text = re.sub(r"    # value: write the fact.*\n    until_filled:\n(      .*\n)+", '    value: "Rue de l\'Exemple 1"\n', path.read_text(encoding="utf-8"))
    path.write_text(text, encoding="utf-8")
    assert main(["faq", "lint", "--release"]) == 0


def test_a_bracketed_gap_as_a_value_is_an_error(content, capsys):
    edit(content / "faq" / "organisation.yml", '  emergency_number:\n    value: "112"', '  emergency_number:\n    value: "[numéro : à compléter]"')
    code, lines = lint(capsys)
    assert code == 1
    assert any("emergency_number" in line and "gap to fill" in line for line in errors(lines))


def test_a_follow_up_that_points_to_an_unknown_entry_is_an_error(content, capsys):
    edit(content / "faq" / "zz_test.yml", "    related: [prep.info]", "    related: [prep.info]\n    follow_ups: {cost: prep.nowhere}")
    code, lines = lint(capsys)
    assert code == 1
    assert any("zz_test.yml" in line and "unknown id 'prep.nowhere'" in line for line in errors(lines))


def test_a_follow_up_of_an_unknown_kind_is_an_error(content, capsys):
    edit(content / "faq" / "zz_test.yml", "    related: [prep.info]", "    related: [prep.info]\n    follow_ups: {when: prep.access}")
    code, lines = lint(capsys)
    assert code == 1
    assert any("zz_test.yml" in line and "unknown kind 'when'" in line for line in errors(lines))


SNIPPETS = """\
snippets:
  - name: prep-cost
    text:
      fr: "Questions : {exaequo_prep_phone}."
      es: "Preguntas: {exaequo_prep_phone}."
      ar: "للأسئلة: {exaequo_prep_phone}."
    sources: ["faq/prep.yml, prep.access"]
  - name: looking-into-it
    text:
      fr: "On regarde ta question."
      es: "Estamos mirando tu pregunta."
      ar: "نحن ننظر في سؤالك."
"""


@pytest.fixture
def snippets(content) -> Path:
    """The copy's snippets file, replaced by two valid snippets whose lines the tests know."""
    path = content / "faq" / "snippets.yml"
    path.write_text(SNIPPETS, encoding="utf-8")
    return path


BROKEN_SNIPPETS = {
    "missing language": (
        '      ar: "للأسئلة: {exaequo_prep_phone}."\n', "",
        "snippets.yml:3: text of snippet prep-cost: missing language 'ar'",
    ),
    "unknown placeholder": (
        'fr: "Questions : {exaequo_prep_phone}."', 'fr: "Questions : {exaequo_prep_phon}."',
        "snippets.yml:4: text of snippet prep-cost in 'fr': unknown placeholder {exaequo_prep_phon} (did you mean 'exaequo_prep_phone'?)",
    ),
    "duplicate name": ("name: looking-into-it", "name: prep-cost", "snippets.yml:8: duplicate snippet name 'prep-cost' (also at snippets.yml:2)"),
    "name that is not lowercase-with-dashes": ("name: prep-cost", "name: Prep Cost", "snippets.yml:2: snippet name 'Prep Cost' is not valid"),
    "mistyped key": ("    text:\n      fr: \"On", "    txt:\n      fr: \"On", "snippets.yml:9: unknown key 'txt' (did you mean 'text'?)"),
    "quote never closed": ('ar: "نحن ننظر في سؤالك."', 'ar: "نحن ننظر في سؤالك.', "snippets.yml:12: YAML syntax error"),
}


@pytest.mark.parametrize("mistake", BROKEN_SNIPPETS)
def test_a_snippet_mistake_is_reported_at_its_line(snippets, capsys, mistake):
    old, new, expected = BROKEN_SNIPPETS[mistake]
    edit(snippets, old, new)
    code, lines = lint(capsys)
    assert code == 1
    assert any(expected in line for line in errors(lines)), lines


def test_valid_snippets_pass(snippets, capsys):
    code, lines = lint(capsys)
    assert code == 0, errors(lines)


def test_a_faq_without_snippets_is_valid(content, capsys):
    (content / "faq" / "snippets.yml").unlink()
    code, lines = lint(capsys)
    assert code == 0, errors(lines)
