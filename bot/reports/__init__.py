"""Reports for the organisation's funders: who the permanence reached, what they asked, who needed a person.

Counted from the database alone (statistics and handovers, bot/storage/reports.py), never from
message text; small counts shown as "<5"; labels in the report's language (labels.py).
"""
