"""An exam for chosen groups: only their members start it, others see whom it is for, and
the announcements reach only the audience (and never the public channel)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from mockexam.db import session_scope, utcnow
from mockexam.errors import NotFoundError, PermissionDeniedError, ValidationError
from mockexam.models import AuditLog, Exam, ExamAudienceKind, ExamSession
from mockexam.services import groups
from mockexam.services.broadcasts import notify_exam_open, notify_new_exam
from mockexam.services.exam_room import RoomPhase, get_exam_room, start_exam
from tests.factories import make_exam, make_student


@pytest.fixture
def world(db_url):
    with session_scope() as db:
        exam = make_exam(db, title="Group mock", start=utcnow() - timedelta(minutes=5))
        later = make_exam(db, title="Later", start=utcnow() + timedelta(days=3))
        a = groups.create_group(db, name="Matematika 9-A", actor_id=None)
        b = groups.create_group(db, name="Fizika 10", actor_id=None)
        member = make_student(db, first_name="In")
        outsider = make_student(db, first_name="Out")
        starter = make_student(db, first_name="Early")
        groups.add_member(db, a.id, member.id, actor_id=None)
        ids = {
            "exam": exam.id,
            "later": later.id,
            "a": a.id,
            "b": b.id,
            "member": member.id,
            "outsider": outsider.id,
            "starter": starter.id,
        }
    start_exam(student_id=ids["starter"], exam_id=ids["exam"])  # before the audience is set
    with session_scope() as db:
        groups.set_exam_audience(db, ids["exam"], [ids["a"], ids["b"]], actor_id=None)
        groups.set_exam_audience(db, ids["later"], [ids["a"]], actor_id=None)
    return ids


def test_only_the_audience_starts_the_exam_and_others_see_whom_it_is_for(world):
    room = get_exam_room(student_id=world["outsider"], exam_id=world["exam"])
    assert room.phase == RoomPhase.NOT_FOR_YOU
    assert room.audience == ["Fizika 10", "Matematika 9-A"]
    assert room.items == [] and room.sections == [] and room.pdf_path is None
    with pytest.raises(PermissionDeniedError) as err:
        start_exam(student_id=world["outsider"], exam_id=world["exam"])
    assert "for the groups «Fizika 10», «Matematika 9-A» only" in err.value.text("en")
    assert "только для групп" in err.value.text("ru")
    assert get_exam_room(student_id=world["member"], exam_id=world["exam"]).phase == RoomPhase.OPEN
    assert start_exam(student_id=world["member"], exam_id=world["exam"]).phase == (
        RoomPhase.IN_PROGRESS
    )
    # whoever started before the audience changed keeps their session
    early = get_exam_room(student_id=world["starter"], exam_id=world["exam"])
    assert early.phase == RoomPhase.IN_PROGRESS
    with session_scope(readonly=True) as db:
        sessions = db.exec(select(ExamSession.student_id)).all()
    assert sorted(sessions) == sorted([world["member"], world["starter"]])


def test_back_to_everyone_opens_it_to_all(world):
    with session_scope() as db:
        assert groups.set_exam_audience(db, world["exam"], None, actor_id=None) == []
        assert groups.exam_audience(db, world["exam"]) == (ExamAudienceKind.EVERYONE, [])
    assert start_exam(student_id=world["outsider"], exam_id=world["exam"]).phase == (
        RoomPhase.IN_PROGRESS
    )
    with session_scope(readonly=True) as db:
        actions = db.exec(select(AuditLog.details).where(AuditLog.action == "exam.audience")).all()
    assert [d["audience"] for d in actions] == ["groups", "groups", "everyone"]


@pytest.mark.parametrize("bad", [[], [999_999], "archived"])
def test_an_audience_needs_live_groups_and_a_bad_one_changes_nothing(world, bad):
    with session_scope() as db:
        if bad == "archived":
            groups.set_archived(db, world["b"], True, actor_id=None)
            bad = [world["b"]]
    with session_scope() as db, pytest.raises(ValidationError) as err:
        groups.set_exam_audience(db, world["later"], bad, actor_id=None)
    assert "at least one live group" in err.value.text("en")
    with session_scope(readonly=True) as db:
        assert groups.exam_audience(db, world["later"]) == (ExamAudienceKind.GROUPS, [world["a"]])
        with pytest.raises(NotFoundError):
            groups.exam_audience(db, 999_999)


def test_announcements_reach_only_the_audience_and_skip_the_channel(world, monkeypatch):
    from mockexam.config import settings

    monkeypatch.setattr(settings, "telegram_channel_id", "@centre_channel")
    with session_scope() as db:
        new = notify_new_exam(db, world["later"])
        opened = notify_exam_open(db, world["exam"])
    assert (new.total, new.channel_post) == (1, False)
    assert opened.total == 1
    with session_scope() as db:
        groups.set_exam_audience(db, world["later"], None, actor_id=None)
        everyone = notify_new_exam(db, world["later"], now=utcnow())
    assert everyone.created is False  # the same announcement is not made twice


def test_the_home_screen_offers_a_group_exam_to_its_members_only(world):
    from mockexam.services.dashboard import get_dashboard

    def card_title(student: str) -> str | None:
        card = get_dashboard(student_id=world[student]).exam
        return card.title if card is not None else None

    assert card_title("member") == "Group mock"
    assert card_title("starter") == "Group mock"  # started before the audience changed
    assert card_title("outsider") is None  # both exams are for groups without them
    with session_scope() as db:
        groups.set_exam_audience(db, world["later"], None, actor_id=None)
    assert card_title("outsider") == "Later"


def test_exams_for_different_groups_may_share_their_time_and_no_one_else(db_url):
    """A centre's classes may sit their own mocks on the same morning; an exam for everyone,
    or two for a shared group, still may not overlap (the refusal changes nothing)."""
    from mockexam.errors import ScheduleConflictError
    from mockexam.services.exams import publish_exam

    start = utcnow() + timedelta(days=5)
    with session_scope() as db:
        a = groups.create_group(db, name="Matematika 9-A", actor_id=None).id
        b = groups.create_group(db, name="Fizika 10", actor_id=None).id
        maths = make_exam(db, title="Maths for A", start=start)
        groups.set_exam_audience(db, maths.id, [a], actor_id=None)
        physics = make_exam(db, title="Physics for B", start=start, publish=False)
        groups.set_exam_audience(db, physics.id, [b], actor_id=None)
        publish_exam(db, physics.id)  # for B only, beside A's: fine
        both = make_exam(db, title="For A and B", start=start, publish=False)
        groups.set_exam_audience(db, both.id, [a, b], actor_id=None)
        everyone = make_exam(db, title="For everyone", start=start, publish=False)
        ids = {"maths": maths.id, "physics": physics.id, "both": both.id, "all": everyone.id}
    for draft in ("both", "all"):
        with pytest.raises(ScheduleConflictError) as err, session_scope() as db:
            publish_exam(db, ids[draft])
        assert "unless both are for groups only and no group is in both" in err.value.text("en")
    # A published exam's audience may not turn to a group that sits another exam then.
    with pytest.raises(ScheduleConflictError), session_scope() as db:
        groups.set_exam_audience(db, ids["physics"], [a, b], actor_id=None)
    with pytest.raises(ScheduleConflictError), session_scope() as db:
        groups.set_exam_audience(db, ids["physics"], None, actor_id=None)
    with session_scope(readonly=True) as db:
        assert groups.exam_audience(db, ids["physics"]) == (ExamAudienceKind.GROUPS, [b])
        statuses = {k: db.get(Exam, v).status for k, v in ids.items()}
    assert statuses == {
        "maths": "published",
        "physics": "published",
        "both": "draft",
        "all": "draft",
    }
