"""The audit log: rows written with the change, and read back a page at a time."""

from __future__ import annotations

from mockexam.models import AuditLog
from mockexam.services import audit
from mockexam.services.admins import create_admin


def _log(db) -> tuple[int, int]:
    """Alice creates and edits exams 1 and 2, Bob signs in; one anonymous failed sign-in."""
    alice = create_admin(db, username="alice", password="correct horse battery").id
    bob = create_admin(db, username="bob", password="correct horse battery").id
    rows = [
        (alice, "exam.create", "exam", 1, {"title": "Week 1"}),
        (alice, "exam.edit", "exam", 1, {"title": "Week 1 (fixed)"}),
        (alice, "exam.create", "exam", 2, {"title": "Week 2"}),
        (alice, "key.import", "exam", 2, {"items": 55}),
        (bob, "admin.login", "admin", bob, {"client": "203.0.113.7"}),
        (None, "admin.login_failed", "admin", None, {"username": "mallory"}),
        (bob, "exam_x.odd", "exam", 3, {}),  # "_" in a prefix is not a wildcard
    ]
    for admin_id, action, entity, entity_id, details in rows:
        audit.record(
            db,
            admin_id=admin_id,
            action=action,
            entity=entity,
            entity_id=entity_id,
            details=details,
        )
    db.commit()
    return alice, bob


def test_record_adds_the_row_in_the_callers_transaction(db):
    audit.record(db, admin_id=None, action="exam.delete", entity="exam", entity_id=7)
    db.rollback()  # the change failed: its audit row goes with it
    assert audit.list_entries(db).total == 0
    row = audit.record(db, admin_id=None, action="exam.delete", entity="exam", entity_id=7)
    db.commit()
    assert isinstance(row, AuditLog)
    assert [e.entry_id for e in audit.list_entries(db).entries] == [row.id]


def test_list_entries_newest_first_with_who_and_what(db):
    _alice, bob = _log(db)

    page = audit.list_entries(db)

    assert page.total == 7
    assert [e.action for e in page.entries] == [
        "exam_x.odd",
        "admin.login_failed",
        "admin.login",
        "key.import",
        "exam.create",
        "exam.edit",
        "exam.create",
    ]
    newest_login = page.entries[2]
    assert (newest_login.admin, newest_login.entity, newest_login.entity_id) == (
        "bob",
        "admin",
        bob,
    )
    assert newest_login.details == {"client": "203.0.113.7"}
    assert page.entries[1].admin == "—"
    assert page.entries[0].created_at is not None
    ids = [e.entry_id for e in page.entries]
    assert ids == sorted(ids, reverse=True)


def test_list_entries_pages(db):
    _log(db)

    first = audit.list_entries(db, limit=3)
    second = audit.list_entries(db, limit=3, offset=3)
    last = audit.list_entries(db, limit=3, offset=6)
    beyond = audit.list_entries(db, limit=3, offset=30)

    seen = [e.entry_id for page in (first, second, last) for e in page.entries]
    assert len(seen) == len(set(seen)) == 7
    assert [len(p.entries) for p in (first, second, last, beyond)] == [3, 3, 1, 0]
    assert {p.total for p in (first, second, last, beyond)} == {7}


def test_list_entries_filters_by_action_prefix_exam_and_admin(db):
    alice, bob = _log(db)

    exam_actions = audit.list_entries(db, action_prefix="exam.")
    sign_ins = audit.list_entries(db, action_prefix="admin.")
    about_exam_2 = audit.list_entries(db, exam_id=2)
    edits_of_exam_1 = audit.list_entries(db, exam_id=1, action_prefix="exam.edit")
    by_bob = audit.list_entries(db, admin_id=bob)
    wildcard = audit.list_entries(db, action_prefix="%")

    assert [e.action for e in exam_actions.entries] == ["exam.create", "exam.edit", "exam.create"]
    assert exam_actions.total == 3
    assert {e.action for e in sign_ins.entries} == {"admin.login", "admin.login_failed"}
    assert [e.action for e in about_exam_2.entries] == ["key.import", "exam.create"]
    assert [e.details for e in edits_of_exam_1.entries] == [{"title": "Week 1 (fixed)"}]
    assert {e.action for e in by_bob.entries} == {"admin.login", "exam_x.odd"}
    assert by_bob.total == 2
    assert wildcard.entries == [] and wildcard.total == 0
    assert audit.list_entries(db, admin_id=alice, action_prefix="admin.").total == 0


def test_list_entries_clamps_the_page_size(db):
    _log(db)
    assert len(audit.list_entries(db, limit=0).entries) == 1
    assert len(audit.list_entries(db, limit=10_000, offset=-5).entries) == 7


def test_moments_in_details_are_stored_as_iso_utc_with_z(db):
    from datetime import datetime, timedelta, timezone

    tashkent = timezone(timedelta(hours=5))
    audit.record(
        db,
        admin_id=None,
        action="exam.edit",
        entity="exam",
        entity_id=1,
        details={
            "window_start": datetime(2026, 11, 22, 14, 0, tzinfo=tashkent),
            "nested": {"at": [datetime(2026, 11, 22, 9, 0, 5)]},  # naive = UTC
            "title": "2026-11-22",
        },
    )
    db.commit()
    (entry,) = audit.list_entries(db).entries
    assert entry.details == {
        "window_start": "2026-11-22T09:00:00Z",
        "nested": {"at": ["2026-11-22T09:00:05Z"]},
        "title": "2026-11-22",
    }
