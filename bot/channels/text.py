"""Long texts in pieces a platform takes: shared by the channels whose messages have a length limit."""


def split(text: str, limit: int) -> list[str]:
    """Consecutive slices of at most `limit` characters, cut after a line break, else after a space, else anywhere.

    Consecutive, so that what was not sent yet is the concatenation of the slices left.
    """
    slices = []
    while len(text) > limit:
        window = text[:limit]
        cut = window.rfind("\n") + 1 or window.rfind(" ") + 1 or limit
        slices.append(text[:cut])
        text = text[cut:]
    slices.append(text)
    return slices
