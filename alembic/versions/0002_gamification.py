"""gamification: seeded achievements, leaderboard columns and indexes

Seeds the achievement catalogue (SPEC §5) as data, and adds what the
leaderboard's hot queries need: indexes on the rating (top rated, most
active), a maintained 30-day Elo gain with its index (most improved), and
each board's precomputed ranks and size, refreshed at every release.

The achievement list is deliberately a copy, not an import: a migration must
keep meaning what it meant when it was written, whatever the app code
becomes. tests/gamification/test_catalogue.py checks that this copy and
mockexam.gamification.achievements.ACHIEVEMENTS agree.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 09:00:00
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel


revision: str = "0002"
down_revision: Union[str, None] = "0001"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


# (code, kind, name, description, icon (Lucide, Reflex spelling), threshold, sort_order)
ACHIEVEMENTS = [
    ("score_25", "milestone", "First steps", "Score 25 or more on the 0–100 scale in an exam.", "footprints", 25.0, 10),
    ("score_50", "milestone", "Halfway", "Score 50 or more on the 0–100 scale in an exam.", "target", 50.0, 20),
    ("score_60", "milestone", "Solid ground", "Score 60 or more on the 0–100 scale in an exam.", "star", 60.0, 30),
    ("score_70", "milestone", "Strong result", "Score 70 or more on the 0–100 scale in an exam.", "award", 70.0, 40),
    ("score_80", "milestone", "Excellent", "Score 80 or more on the 0–100 scale in an exam.", "medal", 80.0, 50),
    ("score_90", "milestone", "Outstanding", "Score 90 or more on the 0–100 scale in an exam.", "trophy", 90.0, 60),
    ("score_95", "milestone", "Top of the scale", "Score 95 or more on the 0–100 scale in an exam.", "crown", 95.0, 70),
    ("streak_3", "streak", "On a roll", "Take 3 exams in a row without missing one.", "flame", 3.0, 80),
    ("streak_5", "streak", "Committed", "Take 5 exams in a row without missing one.", "zap", 5.0, 90),
    ("streak_10", "streak", "Unstoppable", "Take 10 exams in a row without missing one.", "rocket", 10.0, 100),
    ("exams_1", "exams", "First exam", "Complete your first mock exam.", "book_open", 1.0, 110),
    ("exams_5", "exams", "Regular", "Complete 5 mock exams.", "book_open_check", 5.0, 120),
    ("exams_10", "exams", "Dedicated", "Complete 10 mock exams.", "library", 10.0, 130),
    ("exams_25", "exams", "Veteran", "Complete 25 mock exams.", "graduation_cap", 25.0, 140),
    ("improve_10", "improvement", "Big step up", "Beat your previous exam's scaled score by 10 points or more.", "trending_up", 10.0, 150),
    ("improve_20", "improvement", "Leap forward", "Beat your previous exam's scaled score by 20 points or more.", "chevrons_up", 20.0, 160),
]

_RANK_COLUMNS = ("rank_rated", "rank_active", "rank_improved", "rated_total", "improved_total")

_achievement = sa.table(
    "achievement",
    sa.column("id", sa.Integer()),
    sa.column("code", sa.String()),
    sa.column("kind", sa.String()),
    sa.column("name", sa.String()),
    sa.column("description", sa.String()),
    sa.column("icon", sa.String()),
    sa.column("threshold", sa.Float()),
    sa.column("sort_order", sa.Integer()),
)
_award = sa.table(
    "achievementaward",
    sa.column("achievement_id", sa.Integer()),
)


def upgrade() -> None:
    with op.batch_alter_table("studentrating", schema=None) as batch_op:
        batch_op.add_column(sa.Column("recent_gain", sa.Float(), nullable=True))
        batch_op.add_column(
            sa.Column("recent_since", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True)
        )
        for column in _RANK_COLUMNS:
            batch_op.add_column(sa.Column(column, sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_studentrating_elo"), ["elo"], unique=False)
        batch_op.create_index("ix_rating_activity", ["exams_rated", "elo"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_studentrating_recent_gain"), ["recent_gain"], unique=False
        )

    op.bulk_insert(
        _achievement,
        [
            {
                "code": code,
                "kind": kind,
                "name": name,
                "description": description,
                "icon": icon,
                "threshold": threshold,
                "sort_order": sort_order,
            }
            for code, kind, name, description, icon, threshold, sort_order in ACHIEVEMENTS
        ],
    )


def downgrade() -> None:
    codes = [row[0] for row in ACHIEVEMENTS]
    seeded = sa.select(_achievement.c.id).where(_achievement.c.code.in_(codes))
    # Awards point at the seeded rows: they go with them.
    op.execute(_award.delete().where(_award.c.achievement_id.in_(seeded)))
    op.execute(_achievement.delete().where(_achievement.c.code.in_(codes)))

    with op.batch_alter_table("studentrating", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_studentrating_recent_gain"))
        batch_op.drop_index("ix_rating_activity")
        batch_op.drop_index(batch_op.f("ix_studentrating_elo"))
        for column in reversed(_RANK_COLUMNS):
            batch_op.drop_column(column)
        batch_op.drop_column("recent_since")
        batch_op.drop_column("recent_gain")
