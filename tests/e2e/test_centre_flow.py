"""A centre runs a class, end to end in the browser (the production build).

The owner creates a group and a teacher's account and makes the teacher the group's;
an open exam is set for that group only. A student opens the group's invite (the Mini
App's `startapp` link) and joins, takes the exam and hands it in; another student sees
that the exam is not for them. The teacher signs in, lands on their groups (the
demo's other class is not there), opens the class: the exam, who took it, the class's
mean against everyone's, and downloads the results of the class only. Another class's
page gives the teacher nothing.

With MOCKEXAM_SCREENSHOTS=1 the demo teacher's groups page and a group's results card (the
demo class on a released exam) are saved as docs/screenshots/admin-teacher-groups.png and
admin-teacher-group.png (the README shows them).
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

from playwright.sync_api import Browser, Page, expect
from sqlalchemy import delete
from sqlmodel import col, select

from mockexam.db import session_scope
from mockexam.models import ExamSession, GroupMember, Student, StudentGroup
from mockexam.services.demo import (
    DEMO_ADMIN_USERNAME,
    DEMO_GROUP,
    DEMO_TEACHER_USERNAME,
    demo_admin_password,
)
from tests.e2e.appserver import AppServer
from tests.e2e.test_admin_flow import SAVE, SCREENSHOT_DIR, shot
from tests.e2e.test_exam_flow import (
    answer,
    create_open_exam,
    exam_link,
    retire_exam,
    start_exam_in_browser,
    wait_for,
)
from tests.e2e.test_miniapp import student_id_of

GROUP = "Fizika 11-B"
TEACHER = "fatima"
TEACHER_PASSWORD = "fatima-first-pass-42"
JOINER = 6_200_000_001  # opens the invite and takes the exam
OUTSIDER = 6_200_000_002  # not in the group


def _desktop_page(browser: Browser) -> Page:
    context = browser.new_context(viewport={"width": 1440, "height": 900}, accept_downloads=True)
    context.set_default_timeout(20_000)
    return context.new_page()


def _sign_in(page: Page, base: str, username: str, password: str) -> None:
    page.goto(base + "/admin/login")
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("#login-submit")
    expect(page.locator("#admin-name")).to_have_text(username)


def test_a_centre_runs_a_class_and_its_teacher_sees_only_it(
    app_server: AppServer, browser: Browser, app_db: str, student_link, tmp_path: Path
) -> None:
    base = app_server.base_url
    exam_id, _end = create_open_exam(app_server, title="Class mock", seconds_open=900)
    owner = _desktop_page(browser)
    phone = _desktop_page(browser)
    other = _desktop_page(browser)
    teacher = _desktop_page(browser)
    try:
        # --- the owner: a group, a teacher, the exam for the group only -------------
        _sign_in(owner, base, DEMO_ADMIN_USERNAME, demo_admin_password())
        owner.locator("#nav-groups").click()
        owner.fill("#new-group-name", GROUP)
        owner.click("#new-group-submit")
        expect(owner.locator("#groups-notice")).to_contain_text(GROUP)
        owner.locator("#nav-admins").click()
        owner.fill("#new-account-username", TEACHER)
        owner.fill("#new-account-password", TEACHER_PASSWORD)
        owner.click("#new-account-submit")  # the form's role: teacher
        expect(owner.locator("#admins-table")).to_contain_text(TEACHER)

        owner.locator("#nav-groups").click()
        owner.locator("#groups-table .group-row a", has_text=GROUP).click()
        expect(owner).to_have_url(re.compile(r"/admin/groups/\d+$"))
        group_id = int(owner.url.rsplit("/", 1)[1])
        owner.locator(".teacher-choice", has_text=TEACHER).click()
        expect(owner.locator(".teacher-choice", has_text=TEACHER).locator("svg")).to_have_count(1)
        code = owner.locator("#invite-param").inner_text().strip()
        assert re.fullmatch(r"g_[a-z0-9]{10}", code), code

        owner.goto(f"{base}/admin/exams/{exam_id}")
        owner.get_by_role("radio", name=re.compile("tanlangan guruhlar|Chosen groups")).click()
        owner.locator("label", has_text=GROUP).click()
        owner.click("#audience-save")
        expect(owner.locator("#audience-notice")).to_be_visible()

        # --- the students: one joins by the invite and takes it, one may not -------------
        phone.goto(student_link(JOINER, first_name="Jasur", start_param=code))
        expect(phone.locator("#group-notice")).to_contain_text(GROUP)
        phone.goto(exam_link(student_link, JOINER, exam_id))
        start_exam_in_browser(phone)
        answer(phone, "1", "B")
        answer(phone, "2", "C")
        expect(phone.locator("#answer-sheet")).to_have_attribute("data-pending", "0")
        phone.locator("#submit-exam").click()
        phone.locator("#submit-confirm").click()
        joiner = student_id_of(JOINER)
        wait_for(
            lambda: _submitted(joiner, exam_id),
            what="the joiner's session to be submitted",
        )
        other.goto(exam_link(student_link, OUTSIDER, exam_id))  # another student's phone
        expect(other.locator("#exam-not-for-you")).to_contain_text(GROUP)
        expect(other.locator("#start-exam")).to_have_count(0)

        # --- the teacher: their class only ------------------------------------------------
        _sign_in(teacher, base, TEACHER, TEACHER_PASSWORD)
        expect(teacher).to_have_url(re.compile(r"/admin/groups/?$"))  # the front page is theirs
        rows = teacher.locator("#groups-table .group-row")
        expect(rows).to_have_count(1)
        expect(rows.first).to_contain_text(GROUP)
        expect(rows.first).to_contain_text("Class mock")
        expect(rows.first).to_contain_text("1 / 1")
        expect(teacher.locator("#nav-exams")).to_have_count(0)

        rows.first.locator("a").click()
        expect(teacher.locator("#group-took")).to_have_text(re.compile(r"1\s*/\s*1"))
        expect(teacher.locator("#group-results-table .group-result-row")).to_have_count(1)
        expect(teacher.locator("#group-results-table")).to_contain_text("Jasur")
        expect(teacher.locator("#group-missed-none")).to_be_visible()
        expect(teacher.locator("#group-items-table .group-item-row")).not_to_have_count(0)
        expect(teacher.locator("#rotate-code")).to_have_count(0)  # managing is not theirs

        with teacher.expect_download() as download:
            teacher.locator("#group-export-csv").click()
        data = Path(download.value.path()).read_bytes().decode("utf-8-sig")
        exported = list(csv.reader(io.StringIO(data)))
        assert [int(r[exported[0].index("student_id")]) for r in exported[1:]] == [joiner]
        assert download.value.suggested_filename == f"exam-{exam_id}-group-{group_id}-results.csv"

        # Another class (the demo's) gives the teacher nothing.
        with session_scope(readonly=True) as db:
            demo_id = db.exec(select(StudentGroup.id).where(StudentGroup.name == DEMO_GROUP)).one()
        teacher.goto(f"{base}/admin/groups/{demo_id}")
        expect(teacher.locator("#group-error")).to_be_visible()
        expect(teacher.locator("#members-table")).to_have_count(0)
        expect(teacher.locator("#group-results-table")).to_have_count(0)
    finally:
        for page in (owner, phone, other, teacher):
            page.context.close()
        retire_exam(app_server, exam_id)
        _forget_students(JOINER, OUTSIDER)


def _forget_students(*telegram_ids: int) -> None:
    """Remove the students this test made (later tests count the demo's 300)."""
    with session_scope() as db:
        ids = list(db.exec(select(Student.id).where(col(Student.telegram_id).in_(telegram_ids))))
        if not ids:
            return
        db.execute(delete(ExamSession).where(col(ExamSession.student_id).in_(ids)))
        db.execute(delete(GroupMember).where(col(GroupMember.student_id).in_(ids)))
        db.execute(delete(Student).where(col(Student.id).in_(ids)))


def _submitted(student_id: int, exam_id: int) -> bool:
    with session_scope(readonly=True) as db:
        row = db.exec(
            select(ExamSession).where(
                ExamSession.student_id == student_id, ExamSession.exam_id == exam_id
            )
        ).first()
        return row is not None and row.submitted_at is not None


def test_the_demo_teacher_reads_their_class_on_a_released_exam(
    app_server: AppServer, browser: Browser, app_db: str
) -> None:
    """`make run`'s teacher: the demo class on the demo's released exam (a full report:
    means, the class's ranking, who missed it, the items where the class is behind)."""
    page = _desktop_page(browser)
    try:
        _sign_in(page, app_server.base_url, DEMO_TEACHER_USERNAME, demo_admin_password())
        row = page.locator("#groups-table .group-row")
        expect(row).to_have_count(1)
        expect(row.first).to_contain_text(DEMO_GROUP)
        shot(page, "teacher-groups")
        row.first.locator("a").click()
        page.locator("#group-exam-select").click()
        page.get_by_role("option", name=re.compile("Weekly mock #1")).click()
        expect(page.locator("#group-took")).to_have_text(re.compile(r"\d+\s*/\s*24"))
        expect(page.locator("#group-mean")).not_to_have_text("—")
        expect(page.locator("#everyone-mean")).not_to_have_text("—")
        expect(page.locator("#group-difference")).to_be_visible()
        expect(page.locator("#group-results-table .group-result-row")).not_to_have_count(0)
        expect(page.locator("#group-items-table .group-item-row")).to_have_count(55)
        if SAVE:  # the results card alone: the whole page is too tall for the README
            page.evaluate("() => document.activeElement && document.activeElement.blur()")
            page.locator("#group-results").screenshot(
                path=str(SCREENSHOT_DIR / "admin-teacher-group.png")
            )
    finally:
        page.context.close()
