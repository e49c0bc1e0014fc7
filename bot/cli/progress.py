"""One short line on standard error while a long step runs, so that a silent wait does not look like a hang.

Standard output stays the command's result (the chat's answers, `nlu parse`'s JSON, a report),
which scripts and tests read. The lines never hold what anyone wrote.
"""

import sys

LOADING = "Loading the FAQ and training the language model (about 15 s)…"
READY = "Ready."


def say(line: str) -> None:
    print(line, file=sys.stderr, flush=True)
