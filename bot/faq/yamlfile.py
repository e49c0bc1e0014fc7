"""YAML loading that remembers line numbers, so that every problem can be shown as file:line."""

from pathlib import Path
from typing import Any

import yaml

from bot.errors import Problem, YamlError


class LineDict(dict):
    """A mapping that knows the line of each key (1-based) and its own first line."""

    line: int = 0
    key_lines: dict[str, int]

    def line_of(self, key: str) -> int:
        return self.key_lines.get(key, self.line)


class LineList(list):
    """A sequence that knows the line of each item."""

    line: int = 0
    item_lines: list[int]

    def line_of(self, index: int) -> int:
        return self.item_lines[index] if index < len(self.item_lines) else self.line


class _Loader(yaml.SafeLoader):
    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> LineDict:  # type: ignore[override]
        mapping = LineDict(super().construct_mapping(node, deep=True))
        mapping.line = node.start_mark.line + 1
        mapping.key_lines = {str(k.value): k.start_mark.line + 1 for k, _ in node.value}
        return mapping

    def construct_sequence(self, node: yaml.SequenceNode, deep: bool = False) -> LineList:  # type: ignore[override]
        sequence = LineList(super().construct_sequence(node, deep=True))
        sequence.line = node.start_mark.line + 1
        sequence.item_lines = [item.start_mark.line + 1 for item in node.value]
        return sequence


    def construct_yaml_timestamp(self, node: yaml.ScalarNode):  # type: ignore[no-untyped-def,override]
        """An impossible date (2026-13-01) is a problem at its line, not a crash."""
        try:
            return super().construct_yaml_timestamp(node)
        except ValueError as error:
            raise yaml.constructor.ConstructorError(None, None, f"invalid date '{node.value}': {error}", node.start_mark) from None


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _Loader.construct_mapping)
_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _Loader.construct_sequence)
_Loader.add_constructor("tag:yaml.org,2002:timestamp", _Loader.construct_yaml_timestamp)


def load(path: Path) -> Any:
    """Parse one YAML file; a syntax error becomes a YamlError naming file and line."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise YamlError(Problem(path, 1, f"cannot read the file: {error}")) from error
    try:
        return yaml.load(text, Loader=_Loader)
    except yaml.MarkedYAMLError as error:
        reason = error.problem or str(error)
        kind = "YAML error" if isinstance(error, yaml.constructor.ConstructorError) else "YAML syntax error"
        raise YamlError(Problem(path, _line(error), f"{kind}: {reason}{_advice(reason)}")) from error
    except yaml.YAMLError as error:
        raise YamlError(Problem(path, 1, f"YAML error: {error}")) from error


_STARTED_EARLIER = ("could not find expected ':'", "found unexpected end of stream", "expected ',' or ']'", "expected ',' or '}'")
"""Problems the parser notices only lines after their cause (a key without its colon, a quote or a
bracket never closed): the line where what it was reading started is the one to fix."""

_ADVICE = {
    "mapping values are not allowed here": "this line is indented more than the line above it, or its text holds ': '; "
    "indent it like its neighbours, or put the text in quotes",
    "expected <block end>": "this line is not indented like the lines around it: use the same number of spaces as its neighbours",
    "could not find expected ':'": "a key is missing its ':' (write key: value, with a space after the colon), "
    "or a text goes on to the next line without quotes",
    "found unexpected end of stream": "a quote opened on this line is never closed",
    "expected ',' or ']'": "a [ opened on this line is never closed (a text that starts with [ needs quotes)",
    "expected ',' or '}'": "a { opened on this line is never closed (a text that starts with { needs quotes)",
    "cannot start any token": "indent with spaces, never with tabs",
}


def _line(error: yaml.MarkedYAMLError) -> int:
    mark = error.problem_mark or error.context_mark
    if error.context_mark is not None and any(started in (error.problem or "") for started in _STARTED_EARLIER):
        mark = error.context_mark
    return mark.line + 1 if mark else 1


def _advice(reason: str) -> str:
    """What to do, for the mistakes a volunteer makes most: PyYAML's words alone name the parser's state."""
    return next((f" — {advice}" for problem, advice in _ADVICE.items() if problem in reason), "")
