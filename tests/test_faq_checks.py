"""The FAQ checks a team runs without the bot: before each commit, and on the git host's page."""

import re

import yaml

from bot.settings import REPOSITORY

FAQ_FILES = ["faq/prep.yml", "faq/organisation.yml", "nlu/data/crisis_lexicon.yml", "nlu/intents.yml"]


def test_the_pre_commit_hook_lints_the_faq_whenever_a_faq_or_training_file_is_committed():
    [hook] = yaml.safe_load((REPOSITORY / ".pre-commit-config.yaml").read_text())["repos"][0]["hooks"]
    assert hook["entry"].split() == [".venv/bin/outreach-bot", "faq", "lint"]
    assert all(re.search(hook["files"], path) for path in FAQ_FILES)
    assert not re.search(hook["files"], "bot/app.py")


def test_the_ci_workflow_lints_the_faq_on_every_change_to_it():
    workflow = yaml.safe_load((REPOSITORY / ".github" / "workflows" / "faq-lint.yml").read_text())
    triggers = workflow[True]  # YAML 1.1 reads the key `on` as true
    assert all({"faq/**", "nlu/data/**"} <= set(triggers[event]["paths"]) for event in ("push", "pull_request"))
    commands = [step.get("run", "") for step in workflow["jobs"]["faq-lint"]["steps"]]
    assert ".venv/bin/outreach-bot faq lint" in commands
