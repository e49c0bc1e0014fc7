"""Choosing the language of the conversation, and the script Arabic is read in.

The person's first message sets the language, a later one changes it only when clearly written in
another, and a button or a message naming a language chooses it. A message in a language the bot
does not speak gets which it speaks and a person, never an answer the person cannot read.
"""

from bot.engine import payloads
from bot.engine.menus import menu_buttons, person_button
from bot.engine.payloads import Action
from bot.engine.turn import ARABIC_SCRIPT, LATIN, Turn
from bot.languages import DEFAULT, LATIN_ARABIC, SPOKEN
from bot.messages import QuickReply
from nlu.parse import Parse
from nlu.text import arabic_share, has_letters, normalise

NAMES = {"fr": "Français", "es": "Español", "ar": "العربية", "en": "English"}
"""Each language in its own name: a person looks for their language, not a translation of it."""

IN_SENTENCE = {"fr": "français", "es": "español", "ar": "العربية", "en": "English"}
"""The same names inside a sentence ("je te réponds en français"): French and Spanish write them in lower case."""

OTHER_LANGUAGES_READ = "en"
"""The language of the bot's replies to someone who writes in a language it does not speak (a
crisis reply included) until they choose one: more of them read English than French."""

_ASKED_BY_NAME = {
    "fr": ("francais", "french", "frances", "franses", "fransawi", "fransia", "فرنسيه", "بالفرنسيه", "الفرنسيه", "بالفرنساويه"),
    "es": ("espagnol", "espanol", "spanish", "castellano", "espaniol", "sbanyoli", "اسبانيه", "بالاسبانيه", "الاسبانيه", "بالسبنيوليه"),
    "ar": ("arabe", "arabic", "arabo", "darija", "3arbia", "3arbiya", "l3arbia", "arbiya", "عربيه", "العربيه", "بالعربيه", "الدارجه", "بالدارجه", "بالعربي", "عربي"),
    "en": ("anglais", "english", "ingles", "inglizia", "انجليزيه", "بالانجليزيه", "الانجليزيه", "انجليزي", "بالانجليزي"),
}


def asked_language(text: str) -> str | None:
    """The language a message names ("en español por favor"), if it names exactly one."""
    words = set(normalise(text).split())
    named = [lang for lang, names in _ASKED_BY_NAME.items() if words.intersection(names)]
    return named[0] if len(named) == 1 else None


def picker(current: str | None) -> tuple[QuickReply, ...]:
    return tuple(
        QuickReply(f"{name} ✓" if lang == current else name, payloads.language(lang)) for lang, name in NAMES.items()
    )


def ask_which(turn: Turn, current: str | None) -> None:
    turn.say(turn.t.gettext("Which language do you prefer?"), *picker(current))


def follow_language(turn: Turn, parse: Parse) -> None:
    """The first message sets the language; a later one changes it only when clearly in another."""
    user = turn.user
    clear_switch = parse.lang_confidence >= 0.9 and len(parse.text.split()) >= 3
    if parse.lang in SPOKEN and (user.language is None or (parse.lang != user.language and clear_switch)):
        user.language = parse.lang
        user.language_confirmed = False
        user.state = {k: v for k, v in user.state.items() if k != "language_offered"}
        turn.speak(parse.lang)


def follow_script(turn: Turn, text: str) -> None:
    """Someone who writes Arabic in Latin letters reads answers in Latin letters, until they choose."""
    state = turn.user.state
    if turn.lang != "ar" or state.get("script_chosen") or not has_letters(text):
        return
    script = LATIN if arabic_share(text) == 0 else ARABIC_SCRIPT
    if state.get("script") != script:
        turn.user.state = {**state, "script": script}


def change(turn: Turn, text: str) -> None:
    """A message asking for another language: the one it names, or the choice."""
    asked = asked_language(text)
    if asked:
        set_language(turn, asked)
    else:
        ask_which(turn, turn.lang)


def set_language(turn: Turn, lang: str) -> None:
    turn.user.language = lang
    turn.user.language_confirmed = True
    turn.speak(lang)
    turn.intent = "language.change"
    turn.say(turn.t.gettext("Fine, I will answer in {language}.", language=IN_SENTENCE[lang]), *menu_buttons(turn))


def set_script(turn: Turn, script: str) -> None:
    turn.user.state = {**turn.user.state, "script": script, "script_chosen": True}
    turn.intent = "language.change"
    turn.say(turn.t.gettext("Fine, I will answer in {language}.", language=IN_SENTENCE["ar"]), *menu_buttons(turn))


def offer_language(turn: Turn) -> None:
    """Once per language, after the answer: 'I answer in X' with the other languages as buttons."""
    user = turn.user
    if user.language_confirmed or user.state.get("language_offered"):
        return
    if any(q.payload.startswith((f"{Action.SCRIPT}:", f"{Action.SAFE}:")) for reply in turn.replies for q in reply.quick_replies):
        return  # one question at a time: the language comes under a later answer
    user.state = {**user.state, "language_offered": True}
    turn.say(
        turn.t.gettext("I answer in {language}. You can choose another language:", language=IN_SENTENCE[turn.lang]),
        *picker(turn.lang),
    )


def offer_script(turn: Turn, entry_id: str) -> None:
    """Once, under the first answer written in Latin letters: Arabic script is a button away."""
    state = turn.user.state
    if turn.reading != LATIN_ARABIC or state.get("script_chosen") or state.get("script_offered"):
        return
    if not turn.faq.entries[entry_id].answer.get(LATIN_ARABIC):
        return
    turn.user.state = {**state, "script_offered": True}
    turn.say(turn.t.gettext("I write to you in Latin letters. Do you prefer Arabic script?"), QuickReply("بالحروف العربية", payloads.script(ARABIC_SCRIPT)))


def languages_spoken(turn: Turn) -> None:
    """A message in a language the bot does not speak: which it speaks, in English and French, and a person."""
    texts = dict.fromkeys(
        turn.catalogs.translator(lang).gettext(
            "I can answer in French, Spanish, Arabic and English. Write to me in one of them, or ask for a person from the team."
        )
        for lang in (turn.lang, OTHER_LANGUAGES_READ, DEFAULT)
    )
    turn.say("\n".join(texts), person_button(turn), *picker(None)[:4])
