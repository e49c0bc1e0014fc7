"""`outreach-bot chat`, scripted through standard input as a person would pipe it."""

import os
import subprocess
import sys


def run_chat(tmp_path, lines: list[str]) -> subprocess.CompletedProcess:
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'chat.sqlite3'}"}
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", "chat"],
        input="\n".join(lines) + "\n",
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=120,
        check=False,
    )


def test_piped_conversation_answers_every_language_without_a_traceback(tmp_path):
    result = run_chat(tmp_path, ["bonjour", "c koi la prep", "salam, wach kayn test dial sida?", "hola, donde estan?"])
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    turns = result.stdout.split("> ")[1:]
    assert len(turns) == 4
    assert "PrEP" in turns[1]
    assert any("\u0600" <= c <= "\u06ff" for c in turns[2])
    assert "[" in turns[3] and ("Español" in turns[3] or "dirección" in turns[3].lower())


def test_typing_a_number_presses_that_button(tmp_path):
    result = run_chat(tmp_path, ["/language", "2"])
    assert result.returncode == 0, result.stderr
    assert "español" in result.stdout.split("> ")[2].lower()
