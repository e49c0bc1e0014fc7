"""The FAQ a bot has when none can be read: no answers, only the number to call in an emergency.

Goes with nlu/safety_only.py. The number is Europe's single emergency number, free from any phone,
for police, ambulance and fire: a fact of the law, not of the organisation, so it lives in code
and cannot be broken by an edit of the FAQ's files.
"""

from bot.faq.model import Fact, Faq

EMERGENCY_NUMBER = Fact(
    name="emergency_number",
    value={"*": "112"},
    source="police.be/5998/fr/contact/numeros-durgence (content brief S55): 112, free, police, ambulance and fire, everywhere in Europe",
    to_check=False,
)


def emergency_faq() -> Faq:
    return Faq(topics=(), entries={}, facts={EMERGENCY_NUMBER.name: EMERGENCY_NUMBER})
