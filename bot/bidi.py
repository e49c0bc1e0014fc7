"""Bidirectional isolation for Arabic text.

Inside right-to-left text, a Latin name, a phone number or a URL is reordered by the phone's
bidi algorithm: "0800 32 123" can come out as "123 32 0800". Wrapping each left-to-right run
in FIRST STRONG ISOLATE ... POP DIRECTIONAL ISOLATE keeps it whole and readable.
"""

import re

FSI = "\u2068"
PDI = "\u2069"

# A run starts with a Latin letter, a digit or '+', and goes on through Latin letters, digits and
# the punctuation that lives inside names, numbers, e-mails and links.
_LTR_RUN = re.compile(
    r"[A-Za-z0-9\u00C0-\u024F+]"
    r"(?:[A-Za-z0-9\u00C0-\u024F@&%/:.,'’\-_+=?#~()\[\]€]|\s(?=[A-Za-z0-9\u00C0-\u024F(+€]))*"
)


def isolate_ltr(text: str) -> str:
    """Wrap every left-to-right run of `text` in FSI/PDI; idempotent."""
    if FSI in text:
        return text
    return _LTR_RUN.sub(lambda m: _wrap(m.group(0)), text)


def _wrap(run: str) -> str:
    core = run
    while core and (core[-1] in ".,:;?" or _unbalanced_close(core)):
        core = core[:-1]
    return f"{FSI}{core}{PDI}{run[len(core):]}"


def _unbalanced_close(run: str) -> bool:
    """A closing bracket that belongs to the Arabic sentence around the run, not to the run."""
    return (run[-1] == ")" and run.count(")") > run.count("(")) or (
        run[-1] == "]" and run.count("]") > run.count("[")
    )
