"""handover queue: states and staff topics, conversation during a handover, outbox, announcements

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users") as users:
        users.add_column(sa.Column("blocked_reason", sa.String(200)))
    with op.batch_alter_table("handover_requests") as requests:
        requests.add_column(sa.Column("claimed_at", sa.DateTime(timezone=True)))
        requests.add_column(sa.Column("staff_alias", sa.String(64)))
        requests.add_column(sa.Column("staff_thread_id", sa.BigInteger()))
        requests.create_index("ix_handover_requests_status", ["status"])
        requests.create_index("ix_handover_requests_staff_thread_id", ["staff_thread_id"])
    op.create_table(
        "handover_messages",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("request_id", sa.Integer(), sa.ForeignKey("handover_requests.id", ondelete="CASCADE"), nullable=False, index=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("author", sa.String(16), nullable=False),
        sa.Column("staff_alias", sa.String(64)),
        sa.Column("text", sa.Text()),
    )
    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id", ondelete="CASCADE"), index=True),
        sa.Column("request_id", sa.Integer(), sa.ForeignKey("handover_requests.id", ondelete="CASCADE")),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("address", sa.String(128), nullable=False),
        sa.Column("body", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False, index=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False, index=True),
        sa.Column("claimed_by", sa.String(32)),
        sa.Column("claimed_until", sa.DateTime(timezone=True)),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True)),
        sa.Column("platform_message_id", sa.String(128), index=True),
        sa.Column("error", sa.String(64)),
    )
    op.create_table(
        "announcements",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("kind", "at"),
    )


def downgrade() -> None:
    op.drop_table("announcements")
    op.drop_table("outbox")
    op.drop_table("handover_messages")
    with op.batch_alter_table("handover_requests") as requests:
        requests.drop_index("ix_handover_requests_staff_thread_id")
        requests.drop_index("ix_handover_requests_status")
        requests.drop_column("staff_thread_id")
        requests.drop_column("staff_alias")
        requests.drop_column("claimed_at")
    with op.batch_alter_table("users") as users:
        users.drop_column("blocked_reason")
