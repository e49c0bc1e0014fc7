"""Text normalisation shared by language identification, the classifier and the safety layer.

People type on cheap phones: no accents, letters repeated for emphasis, Arabic with or without
vowel marks and with several spellings of the same letter. Folding these differences away lets a
few thousand examples cover many more spellings.
"""

import re
import unicodedata
from functools import lru_cache

_ARABIC_LETTER = re.compile(r"[\u0620-\u064A\u066E-\u06D3\u06FA-\u06FF]")
_LATIN_LETTER = re.compile(r"[A-Za-z\u00C0-\u024F]")
_ARABIC_MARKS = re.compile(r"[\u064B-\u065F\u0670\u06D6-\u06ED\u0640]")
_ARABIC_FOLD = str.maketrans(
    {"أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ى": "ي", "ة": "ه", "ؤ": "و", "ئ": "ي", "گ": "ك", "ڤ": "ف", "پ": "ب", "چ": "ج",
     "٠": "0", "١": "1", "٢": "2", "٣": "3", "٤": "4", "٥": "5", "٦": "6", "٧": "7", "٨": "8", "٩": "9",
     "؟": "?", "،": ",", "؛": ";"}
)
_LATIN_MARKS = str.maketrans(
    {chr(code): None for code in range(0x10000) if unicodedata.category(chr(code)) == "Mn" and not 0x600 <= code <= 0x6FF}
)
"""The combining marks (accents) of every script of the Basic Multilingual Plane but Arabic's, which
_ARABIC_MARKS takes care of: dropped in one pass rather than one character at a time (9 ms at import)."""
_REPEATS = re.compile(r"(.)\1{2,}")
_PUNCTUATION = re.compile(r"[^\w\s'\u0600-\u06FF]|_")
_SPACES = re.compile(r"\s+")
ARABIC_SCRIPT_SHARE = 0.5
"""From this share of Arabic letters up, a message is Arabic script; below, Latin letters."""


@lru_cache(maxsize=64)
def normalise(text: str) -> str:
    """Lowercase, accent-free, Arabic-folded text with punctuation turned into spaces.

    Cached: the language model, the classifier and the crisis lexicon each read the same message.
    """
    text = unicodedata.normalize("NFKC", text).lower()
    text = _ARABIC_MARKS.sub("", text).translate(_ARABIC_FOLD)
    text = unicodedata.normalize("NFD", text).translate(_LATIN_MARKS)
    text = text.replace("’", "'").replace("`", "'")
    text = _REPEATS.sub(r"\1\1", text)
    text = _PUNCTUATION.sub(" ", text)
    return _SPACES.sub(" ", text).strip()


def arabic_share(text: str) -> float:
    """The share of letters that are Arabic script (0.0 when there are no letters)."""
    arabic = len(_ARABIC_LETTER.findall(text))
    latin = len(_LATIN_LETTER.findall(text))
    return arabic / (arabic + latin) if arabic + latin else 0.0


def has_letters(text: str) -> bool:
    return bool(_ARABIC_LETTER.search(text) or _LATIN_LETTER.search(text))


_ARABIZI_DIGRAPHS = (("3'", "غ"), ("ch", "ش"), ("sh", "ش"), ("kh", "خ"), ("gh", "غ"), ("th", "ث"), ("dh", "ذ"), ("ou", "و"), ("oo", "و"), ("ee", "ي"))
_ARABIZI_LETTERS = str.maketrans({
    "2": "ء", "3": "ع", "5": "خ", "6": "ط", "7": "ح", "8": "ق", "9": "ق",
    "b": "ب", "t": "ت", "j": "ج", "d": "د", "r": "ر", "z": "ز", "s": "س", "f": "ف", "q": "ق", "k": "ك", "g": "ك",
    "l": "ل", "m": "م", "n": "ن", "h": "ه", "w": "و", "y": "ي", "p": "ب", "v": "ف", "c": "ك", "x": "كس",
    "i": "ي", "o": "و", "u": "و", "a": "", "e": "",
})
_LATIN_WORD = re.compile(r"[a-z0-9']+")


def arabizi_to_arabic(normalised: str) -> str:
    """A rough Arabic-script spelling of arabizi ("bghit nmchi" → "بغيت نمشي").

    Short vowels are dropped, as Arabic script does, except at the start of a word. It is not a
    transliteration a reader would accept, but its letters meet those of the Arabic-script
    examples, so that "fin kayn test" learns from "فين كاين التيست" too.
    """
    words = []
    for word in _LATIN_WORD.findall(normalised):
        if word.isdigit():
            continue
        start = "ا" if word[0] in "aeiou" else ""
        for latin, arabic in _ARABIZI_DIGRAPHS:
            word = word.replace(latin, arabic)
        words.append(start + word.translate(_ARABIZI_LETTERS).replace("'", ""))
    return " ".join(w for w in words if w)


def classifier_text(text: str, lang: str) -> str:
    """What the intent classifier reads: the normalised text, and for arabizi its Arabic-script spelling too."""
    normalised = normalise(text)
    if lang == "ar" and arabic_share(text) < ARABIC_SCRIPT_SHARE:
        return normalised + " " + arabizi_to_arabic(normalised)
    return normalised
