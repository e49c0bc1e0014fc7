"""What staff write in the staff group, and who the staff are."""

from dataclasses import dataclass


@dataclass(frozen=True)
class StaffMessage:
    """Something a staff member wrote in the staff group."""

    staff_id: int
    thread_id: int | None
    text: str
    edited: bool = False
    delivery_id: str | None = None
    """The platform's id for this delivery: a message delivered twice is acted on once."""
    replies_to_colleague: bool = False
    """It answers a message of the team's (a reply to a human, not to the bot): talk between
    colleagues, which must never reach the person."""


def parse_staff_ids(value: str) -> dict[int, str]:
    """'111:Sam,222:Lou' → {111: 'Sam', 222: 'Lou'}; raises ValueError with a readable reason."""
    staff: dict[int, str] = {}
    for pair in filter(None, (p.strip() for p in value.split(","))):
        account, _, alias = pair.partition(":")
        if not account.strip().lstrip("-").isdigit() or not alias.strip():
            raise ValueError(f"'{pair}' is not telegram_id:alias (e.g. 111:Sam)")
        staff[int(account)] = alias.strip()
    return staff
