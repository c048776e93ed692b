"""A custom answer-sheet layout in the phone browser (issue 21): five options, weighted points.

An exam on a two-section custom layout (3 multiple-choice items with A–E at 2.5
points, then 2 free-response items at 0.5) opens in the Mini App: the lobby's rule
lines follow the sections, the sheet shows each section's heading and points, all
five option buttons of an item fit the 390 px phone screen, and a tap on E is saved.
"""

from __future__ import annotations

from datetime import timedelta

from playwright.sync_api import Page, expect
from sqlmodel import func, select

from mockexam.db import session_scope, utcnow
from mockexam.models import Exam, ExamStatus
from mockexam.scoring.layout import Layout, Section
from mockexam.services import exams as exam_service
from mockexam.services.demo import DEMO_STUDENT_TELEGRAM_ID
from tests.e2e.appserver import AppServer
from tests.e2e.test_exam_flow import (
    _aware,
    retire_exam,
    start_exam_in_browser,
    stored_answers,
    wait_for,
)
from tests.e2e.test_miniapp import ConsoleErrors, student_id_of
from tests.factories import key_text

TAKER = DEMO_STUDENT_TELEGRAM_ID + 275  # a demo student no other browser test uses

FIVE_OPTIONS = Layout(
    template="custom",
    official_score="points",
    sections=(
        Section("s1", {"uz": "Beshta variant", "en": "Five options"}, "math", "mcq", 3,
                ("A", "B", "C", "D", "E"), (), 2.5),
        Section("s2", {"uz": "Ochiq javob", "en": "Free response"}, "math", "free", 2, (), (),
                0.5),
    ),
)  # fmt: skip


def _open_exam(app_server: AppServer) -> int:
    """The layout's exam, keyed and published, open from now for two minutes."""
    now = utcnow()
    with app_server.database(), session_scope() as db:
        latest_end = db.exec(
            select(func.max(Exam.window_end)).where(
                Exam.status != ExamStatus.DRAFT, Exam.window_end <= now
            )
        ).one()
        start = now - timedelta(seconds=30)
        if latest_end is not None:
            start = max(start, _aware(latest_end) + timedelta(seconds=1))
        exam = exam_service.create_exam(
            db,
            title="E2E five options",
            window_start=start,
            window_end=now + timedelta(minutes=2),
            duration_minutes=30,
            layout=FIVE_OPTIONS,
        )
        exam_service.import_answer_key(db, exam.id, key_text(FIVE_OPTIONS))
        exam_service.publish_exam(db, exam.id, now=start)
        assert exam.id is not None
        return exam.id


def test_a_five_option_weighted_sheet_fits_the_phone_and_saves_e(
    app_server: AppServer, phone_page: Page, student_link, app_db: str
) -> None:
    exam_id = _open_exam(app_server)
    try:
        errors = ConsoleErrors(phone_page)
        phone_page.goto(student_link(TAKER, f"/exam/{exam_id}", language="en"))
        rules = phone_page.locator("#exam-rules")
        expect(rules).to_contain_text("1–3: one option (A–E).")
        expect(rules).to_contain_text("4–5: type the answer.")
        start_exam_in_browser(phone_page)

        expect(phone_page.locator("#section-title-0")).to_have_text("Five options")
        expect(phone_page.locator("#section-note-0")).to_have_text("1–3 · 2.5 points each")
        expect(phone_page.locator("#section-note-1")).to_have_text("4–5 · 0.5 points each")
        width = phone_page.evaluate("window.innerWidth")
        for letter in "ABCDE":
            box = phone_page.locator(f"#q-2-{letter}").bounding_box()
            assert box is not None and box["width"] >= 36 and box["x"] + box["width"] <= width
        # The five buttons share one row.
        tops = {round(phone_page.locator(f"#q-2-{x}").bounding_box()["y"]) for x in "AE"}
        assert len(tops) == 1

        phone_page.locator("#q-2-E").click()
        expect(phone_page.locator("#q-2-E")).to_have_attribute("aria-pressed", "true")
        expect(phone_page.locator("#status-2")).to_have_attribute("data-status", "saved")
        student_id = student_id_of(TAKER)
        stored = wait_for(
            lambda: stored_answers(student_id, exam_id).get("2"), what="the E answer stored"
        )
        assert stored == ("E", False)
        errors.assert_none()
    finally:
        retire_exam(app_server, exam_id)
