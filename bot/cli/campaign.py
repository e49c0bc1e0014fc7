"""`outreach-bot campaign new`: the links and QR codes of an outreach campaign, so that reports count who came through it."""

import argparse
import re
import sys
import unicodedata
from urllib.parse import quote

from bot.settings import Settings

GREETINGS = {"fr": "Bonjour !", "es": "¡Hola!", "ar": "مرحبا", "en": "Hello!"}
"""The first message a WhatsApp link fills in, before the campaign's code: what a person would write anyway."""


def source_of(name: str) -> str:
    """A campaign's name as links carry it: "Flyer Gare du Nord" → "flyer-gare-du-nord"."""
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9_-]+", "-", plain).strip("-_")[:32]


def telegram_link(username: str, source: str) -> str:
    return f"https://t.me/{username.lstrip('@')}?start={source}"


def whatsapp_link(number: str, source: str, lang: str) -> str:
    from bot.engine.campaigns import whatsapp_code

    digits = re.sub(r"\D", "", number)
    return f"https://wa.me/{digits}?text={quote(f'{GREETINGS[lang]} {whatsapp_code(source)}')}"


def new(settings: Settings, args: argparse.Namespace) -> int:
    import segno

    from bot.engine.campaigns import SOURCE

    source = source_of(args.name)
    username = args.bot or settings.telegram_bot_username
    number = args.number or settings.whatsapp_number
    if not SOURCE.fullmatch(source):
        print(f"outreach-bot: '{args.name}' gives no usable code: use letters or digits", file=sys.stderr)
        return 2
    if not username and not number:
        print("outreach-bot: say which bot: --bot USERNAME (or TELEGRAM_BOT_USERNAME) and/or --number (or WHATSAPP_NUMBER)", file=sys.stderr)
        return 2
    args.out.mkdir(parents=True, exist_ok=True)
    links = {}
    if username:
        links["telegram"] = telegram_link(username, source)
    if number:
        links["whatsapp"] = whatsapp_link(number, source, args.lang)
    print(f"Campaign '{source}': reports count the people who arrive through these links (outreach-bot report, table 'sources').")
    for channel, link in links.items():
        path = args.out / f"{source}-{channel}.png"
        segno.make(link, error="m").save(path, scale=10, border=4)
        print(f"  {channel:<9} {link}\n  {'':<9} QR code: {path}")
    return 0
