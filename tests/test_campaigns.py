"""Outreach campaigns: links and QR codes whose code the bot recognises on a new person's first message."""

from urllib.parse import parse_qs, urlparse

from bot.cli import main
from bot.cli.campaign import source_of, whatsapp_link
from bot.engine.campaigns import arrived_from
from bot.messages import InboundMessage


def test_a_campaigns_name_becomes_a_code_links_can_carry():
    assert source_of("Flyer Gare du Nord — été") == "flyer-gare-du-nord-ete"


def test_the_whatsapp_links_first_message_is_recognised_and_the_nlu_reads_only_the_greeting():
    prefill = parse_qs(urlparse(whatsapp_link("+32 470 12 34 56", "outreach-van", "es")).query)["text"][0]
    message, source = arrived_from(InboundMessage("whatsapp", "1", "1", text=prefill))
    assert (source, message.text) == ("outreach-van", "¡Hola!")


def test_campaign_new_prints_both_links_and_writes_a_qr_code_for_each(tmp_path, capsys):
    assert main(["campaign", "new", "Van March", "--bot", "@OutreachBxlBot", "--number", "32470123456", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "https://t.me/OutreachBxlBot?start=van-march" in out and "https://wa.me/32470123456?text=Bonjour%20%21%20ref%3Avan-march" in out
    pngs = sorted(tmp_path.glob("*.png"))
    assert [path.name for path in pngs] == ["van-march-telegram.png", "van-march-whatsapp.png"]
    assert all(path.read_bytes().startswith(b"\x89PNG") for path in pngs)


def test_campaign_new_without_a_bot_username_or_number_says_which_setting_to_set(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("TELEGRAM_BOT_USERNAME", raising=False)
    monkeypatch.delenv("WHATSAPP_NUMBER", raising=False)
    assert main(["campaign", "new", "van", "--out", str(tmp_path)]) == 2
    assert "TELEGRAM_BOT_USERNAME" in capsys.readouterr().err
