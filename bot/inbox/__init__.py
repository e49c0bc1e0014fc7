"""The inbox: every incoming update is stored before the platform is told it arrived.

A channel stores what it receives (`store`) and only then acknowledges it: the getUpdates offset
moves past it, the webhook answers 200. Workers (`worker.py`) handle the stored rows, several
people at once and one person's messages in order, and mark each done in the transaction that
puts its replies in the outbox (`replies.py`): a crash, a restart or a database outage delays an
answer, never drops it or sends it twice (DESIGN.md). A row that cannot be read, or whose
handling keeps failing, is set aside after a few tries, its text erased and the staff told.
"""
