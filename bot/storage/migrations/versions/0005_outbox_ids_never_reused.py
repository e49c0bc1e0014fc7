"""outbox ids are never reused on SQLite: the sent journal (bot/storage/journal.py) names rows by id

SQLite gives a new row the highest id + 1, so once the newest reply is sent and deleted the next
one gets its id again, and a journal line written for the first would be read as the second's
after a crash. AUTOINCREMENT takes ids from a counter that only grows, as PostgreSQL's sequence
already does (nothing changes there).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-07
"""

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    with op.batch_alter_table("outbox", recreate="always", table_kwargs={"sqlite_autoincrement": True}):
        pass


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    with op.batch_alter_table("outbox", recreate="always", table_kwargs={"sqlite_autoincrement": False}):
        pass
