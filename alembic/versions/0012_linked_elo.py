"""Elo on the linked scale: the exam's own rating and the scale's Elo anchor

Issue 23: an exam on the item bank's scale is rated from its items' linked difficulty,
not from its cohort's mean. `exam.elo_rating` keeps the rating the exam played at;
`exam.elo_anchor` the Elo of θ = 0 on the linked scale (set by the scale's origin,
carried by every exam linked to it).

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07 05:40:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("exam", schema=None) as batch_op:
        batch_op.add_column(sa.Column("elo_rating", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("elo_anchor", sa.Float(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("exam", schema=None) as batch_op:
        batch_op.drop_column("elo_anchor")
        batch_op.drop_column("elo_rating")
