"""an index on admin sign-in attempts per (address, username)

The sign-in throttle (services/admin_auth.py, issue 20 item 5) reads the
failures of one address for one username and whether that address signed in to
it before, on every attempt; with only the per-username index a distributed
attack on one account makes each read scan that account's whole history.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06 16:40:00
"""
from typing import Sequence, Union

from alembic import op


revision: str = "0008"
down_revision: Union[str, None] = "0007"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_index(
        "ix_loginattempt_client_username_at",
        "adminloginattempt",
        ["client", "username", "attempted_at"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_loginattempt_client_username_at", table_name="adminloginattempt")
