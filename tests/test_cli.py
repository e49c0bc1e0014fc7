"""The `outreach-bot` command line as a new team member meets it: help that explains, progress
while it loads, a chat that can start afresh, a queue that says what its columns mean."""

from bot.cli.handover import Waiting, render_queue


def test_the_queue_has_a_header_and_a_legend_of_priorities_states_and_staff_topics():
    crisis = Waiting("N3LXJ6QP", "fr", "crisis.violence", 10, "waiting", 12, has_topic=False)
    lines = render_queue([crisis]).splitlines()
    assert lines[0].split()[:4] == ["pseudonym", "lang", "reason", "priority"]
    assert "crisis (10)" in lines[1] and "12 min ago" in lines[1] and lines[1].endswith("none yet")
    legend = "\n".join(lines[2:])
    assert all(word in legend for word in ("urgent (5", "normal (0)", "waiting: nobody took it yet", "active: a staff member has it", "STAFF_CHAT_ID"))


def test_an_empty_queue_says_nobody_is_waiting():
    assert render_queue([]) == "Nobody is waiting."
