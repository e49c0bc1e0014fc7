"""What a Reply becomes on WhatsApp, without a server: pieces within the limits, reply buttons or a list, titles that fit."""

import logging

from bot.channels.whatsapp.render import (
    MAX_BUTTON_TITLE,
    MAX_INTERACTIVE_BODY,
    MAX_ROW_TITLE,
    MAX_TEXT,
    message,
    pieces,
    rest,
    split,
    template,
    titles_within,
)
from bot.engine import language_choice
from bot.messages import QuickReply, Reply

LONG_LINE = "Une phrase assez longue pour remplir une ligne de réponse, sans rien de particulier. "


def quick(count: int) -> tuple[QuickReply, ...]:
    return tuple(QuickReply(f"Choix numéro {n}", f"faq:entry{n}") for n in range(count))


def test_a_short_reply_without_choices_is_one_text_message_without_link_preview():
    [part] = pieces(Reply("Bonjour", "fr"))
    assert message(part, "Voir les choix") == {"type": "text", "text": {"body": "Bonjour", "preview_url": False}}


def test_a_text_over_4096_characters_is_cut_between_lines_and_nothing_is_lost():
    text = "\n".join(LONG_LINE * 3 for _ in range(40))
    parts = pieces(Reply(text, "fr"))
    assert len(parts) > 1 and all(len(p.text) <= MAX_TEXT for p in parts)
    assert "".join(p.text for p in parts) == text
    assert all(p.text.endswith("\n") for p in parts[:-1])


def test_a_line_without_spaces_longer_than_the_limit_is_cut_anywhere():
    assert split("x" * 10, 4) == ["xxxx", "xxxx", "xx"]


def test_with_choices_the_last_piece_fits_an_interactive_body_and_carries_the_buttons():
    text = "\n".join(LONG_LINE for _ in range(30))
    parts = pieces(Reply(text, "fr", quick(2)))
    assert len(parts) == 2 and len(parts[-1].text) <= MAX_INTERACTIVE_BODY
    assert parts[0].quick_replies == () and parts[-1].quick_replies == quick(2)
    assert parts[-1].text.startswith("Une phrase")
    assert "".join(p.text for p in parts) == text


def test_what_was_not_sent_is_one_reply_again_with_its_choices():
    text = "\n".join(LONG_LINE for _ in range(30))
    parts = pieces(Reply(text, "es", quick(2), discreet=True))
    assert rest(parts) == Reply(text, "es", quick(2), discreet=True)
    assert rest(parts[1:]) == parts[1]


def test_up_to_three_choices_are_reply_buttons_with_the_payload_as_id():
    fields = message(Reply("¿Estás segura?", "es", (QuickReply("Sí, borrar todo lo que hay", "forget:yes"), QuickReply("No", "forget:no"))), "Ver las opciones")
    assert fields["type"] == "interactive" and fields["interactive"]["type"] == "button"
    assert fields["interactive"]["body"] == {"text": "¿Estás segura?"}
    assert fields["interactive"]["action"]["buttons"] == [
        {"type": "reply", "reply": {"id": "forget:yes", "title": "Sí, borrar todo lo…"}},
        {"type": "reply", "reply": {"id": "forget:no", "title": "No"}},
    ]


def test_more_than_three_choices_are_a_list_with_the_localised_button():
    fields = message(Reply("اختاري لغة", "ar", language_choice.picker("ar")), "عرض الخيارات")
    interactive = fields["interactive"]
    assert interactive["type"] == "list" and interactive["action"]["button"] == "عرض الخيارات"
    rows = interactive["action"]["sections"][0]["rows"]
    assert [row["id"] for row in rows] == ["lang:fr", "lang:es", "lang:ar", "lang:en"]
    assert "title" not in interactive["action"]["sections"][0]  # one section needs none


def test_a_list_shows_at_most_ten_rows_and_says_so_in_the_log(caplog):
    with caplog.at_level(logging.ERROR):
        rows = message(Reply("Choisissez", "fr", quick(12)), "Voir les choix")["interactive"]["action"]["sections"][0]["rows"]
    assert len(rows) == 10 and "10 of 12" in caplog.text


def test_titles_are_cut_to_whatsapps_limits_and_stay_distinct():
    labels = ["Prévention et dépistage des IST", "Prévention et dépistage du VIH", "PrEP"]
    buttons = titles_within(labels, MAX_BUTTON_TITLE)
    rows = titles_within(labels, MAX_ROW_TITLE)
    assert all(len(t) <= MAX_BUTTON_TITLE for t in buttons) and len(set(buttons)) == 3
    assert all(len(t) <= MAX_ROW_TITLE for t in rows) and len(set(rows)) == 3
    assert buttons[0].endswith("…") and buttons[2] == "PrEP"


def test_a_cut_arabic_title_closes_the_isolate_around_a_latin_name():
    [title] = titles_within(["علاج فيروس \u2068VIH\u2069 والتهاب الكبد"], 14)
    assert len(title) <= 14 and title.count("\u2068") == title.count("\u2069")


def test_a_repeated_payload_is_left_out_rather_than_refused_by_whatsapp(caplog):
    choices = (QuickReply("Menu", "menu"), QuickReply("Menu encore", "menu"))
    with caplog.at_level(logging.ERROR):
        buttons = message(Reply("Bonjour", "fr", choices), "Voir les choix")["interactive"]["action"]["buttons"]
    assert [b["reply"]["id"] for b in buttons] == ["menu"] and "left out" in caplog.text


def test_a_template_is_named_in_the_persons_language():
    assert template("answer_waiting", "en_US") == {"type": "template", "template": {"name": "answer_waiting", "language": {"code": "en_US"}}}
