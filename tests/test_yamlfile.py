"""A broken YAML file is reported at the line to fix, with what to do, in words a volunteer understands."""

import pytest

from bot.errors import YamlError
from bot.faq.yamlfile import load

MISTAKES = {
    "a key indented too far": ("entries:\n  - id: x\n    title: foo\n      answer: bar\n", 4, "indent it like its neighbours"),
    "a key indented too little": ("entries:\n  - id: x\n    answer:\n      fr: a\n     es: b\n", 5, "same number of spaces"),
    "a key without the space after its colon": ("entries:\n  - id: x\n    title:foo\n    answer: bar\n", 3, "missing its ':'"),
    "a quote never closed": ('entries:\n  - id: x\n    title: "foo\n    answer: bar\n    related: []\n', 3, "never closed"),
    "a text going on without quotes": ("entries:\n  - id: x\n    answer: voici\n    la suite\n    related: []\n", 4, "without quotes"),
    "a bracket never closed": ("entries:\n  - id: x\n    related: [prep.info\n    answer: bar\n", 3, "never closed"),
    "a bracket never closed at the end": ("entries: [x\n\n", 1, "never closed"),
    "a tab": ("entries:\n  - id: x\n\ttitle: foo\n", 3, "never with tabs"),
}


@pytest.mark.parametrize("mistake", MISTAKES)
def test_a_yaml_mistake_is_reported_at_its_own_line_with_what_to_do(tmp_path, mistake):
    text, line, advice = MISTAKES[mistake]
    path = tmp_path / "topic.yml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(YamlError) as error:
        load(path)
    assert (error.value.problem.line, advice in error.value.problem.message) == (line, True), error.value.problem
