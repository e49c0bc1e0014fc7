"""reports: per-period person hashes and context on events, handover waits and outcomes, unanswered questions

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

PERSON_COLUMNS = ("person_month", "person_period", "person_quarter", "person_year")


def upgrade() -> None:
    with op.batch_alter_table("events") as events:
        for name in PERSON_COLUMNS:
            events.add_column(sa.Column(name, sa.String(16)))
        events.add_column(sa.Column("first_contact", sa.Boolean(), nullable=False, server_default=sa.false()))
        events.add_column(sa.Column("in_hours", sa.Boolean()))
        events.add_column(sa.Column("source", sa.String(32)))
    op.create_table(
        "report_salts",
        sa.Column("bucket", sa.String(16), primary_key=True),
        sa.Column("value", sa.String(64), nullable=False),
    )
    with op.batch_alter_table("handover_requests") as requests:
        requests.add_column(sa.Column("first_reply_at", sa.DateTime(timezone=True)))
        requests.add_column(sa.Column("in_hours", sa.Boolean()))
        requests.add_column(sa.Column("outcome", sa.String(32)))
    op.create_table(
        "handover_records",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, index=True),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("language", sa.String(8)),
        sa.Column("reason", sa.String(64), nullable=False),
        sa.Column("in_hours", sa.Boolean()),
        sa.Column("first_reply_at", sa.DateTime(timezone=True)),
        sa.Column("outcome", sa.String(32)),
    )
    op.create_table(
        "unanswered",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False, index=True),
        sa.Column("language", sa.String(8)),
        sa.Column("intent", sa.String(64)),
        sa.Column("confidence", sa.Float(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("unanswered")
    op.drop_table("handover_records")
    with op.batch_alter_table("handover_requests") as requests:
        for name in ("outcome", "in_hours", "first_reply_at"):
            requests.drop_column(name)
    op.drop_table("report_salts")
    with op.batch_alter_table("events") as events:
        for name in ("source", "in_hours", "first_contact", *PERSON_COLUMNS):
            events.drop_column(name)
