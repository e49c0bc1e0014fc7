"""Handing conversations to the staff: the queue's rules, the permanence schedule, the staff side."""
