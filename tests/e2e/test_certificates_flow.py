"""Certificates and reports in the browser (the production build).

The demo's released exam gets its certificates, and the ZIP jobs run, from this process
(the app here has no worker; the task would do the same).
The demo student opens their result: the certificate card shows the code, "Download"
saves the PDF (its text names the student, the exam and the score), the verification
link opens the public page with the same facts; a forged code's page shows nothing. The
history page's report for parents downloads as a PDF. The owner makes the exam's
certificates ZIP from the results tab (progress, then the download: one PDF per taker),
and the demo teacher makes their class's reports ZIP from the group page.

With MOCKEXAM_SCREENSHOTS=1 a certificate, a report's first page and the verify page are
saved under docs/screenshots/ (the README shows them).
"""

from __future__ import annotations

import io
import zipfile

import pytest
from playwright.sync_api import Browser, Page, expect
from pypdf import PdfReader
from sqlmodel import col, select

from mockexam.db import session_scope
from mockexam.models import BulkJob, Certificate, ExamSession, GroupMember, StudentGroup
from mockexam.services import bulk, certificates
from mockexam.services.demo import (
    DEMO_ADMIN_USERNAME,
    DEMO_GROUP,
    DEMO_STUDENT_TELEGRAM_ID,
    DEMO_TEACHER_USERNAME,
    demo_admin_password,
)
from tests.e2e.appserver import AppServer
from tests.e2e.test_admin_flow import SAVE, SCREENSHOT_DIR
from tests.e2e.test_miniapp import RELEASED_EXAM_ID, demo_session_id, student_id_of, wait_ready

WAIT = 30_000


@pytest.fixture
def issued(app_db: str) -> None:
    """The demo's released exam has its certificates, in the app's upload folder."""
    certificates.issue_for_exam(RELEASED_EXAM_ID)


def _desktop(browser: Browser) -> Page:
    context = browser.new_context(viewport={"width": 1440, "height": 900}, accept_downloads=True)
    context.set_default_timeout(WAIT)
    return context.new_page()


def _pdf_text(data: bytes) -> str:
    return "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(data)).pages)


def _sign_in(page: Page, base: str, username: str) -> None:
    page.goto(base + "/admin/login")
    page.fill("#username", username)
    page.fill("#password", demo_admin_password())
    page.click("#login-submit")
    expect(page.locator("#admin-name")).to_have_text(username, timeout=WAIT)


def test_a_student_downloads_and_verifies_their_certificate_and_report(
    app_server: AppServer, browser: Browser, issued: None, student_link
) -> None:
    student_id = student_id_of(DEMO_STUDENT_TELEGRAM_ID)
    session_id = demo_session_id(student_id)
    with session_scope(readonly=True) as db:
        row = db.exec(
            select(Certificate).where(
                Certificate.session_id == session_id, col(Certificate.superseded_at).is_(None)
            )
        ).one()
    shown = certificates.display_code(row.code)
    page = _desktop(browser)
    try:
        page.goto(student_link(DEMO_STUDENT_TELEGRAM_ID, f"/results/{session_id}"))
        wait_ready(page, "results-ready")
        expect(page.locator("#certificate-code")).to_have_text(shown, timeout=WAIT)
        # Inside Telegram the Mini App hands the link to Telegram's downloader.
        asked = _telegram_download(page, "#certificate-download")
        assert asked["file_name"] == f"certificate-{shown}.pdf"
        assert f"/api/certificate/{RELEASED_EXAM_ID}?t=" in asked["url"]
        fetched = page.request.get(asked["url"])
        assert fetched.ok and fetched.headers["content-type"] == "application/pdf"
        # In a plain browser (no Telegram) it is an ordinary download.
        data = _browser_download(page, "#certificate-download")
        assert data == fetched.body()
        text = _pdf_text(data)
        assert row.facts["student_name"] in text and row.facts["exam_title"] in text
        assert f"{row.facts['scaled_score']:.1f}".replace(".", ",") in text
        assert shown in text
        if SAVE:
            _save_first_page(data, "certificate.png")

        # The verification link: the public page, with the certificate's facts only.
        verify = page.locator("#certificate-verify").get_attribute("href")
        assert verify == f"{app_server.base_url}/verify/{shown}"
        page.goto(app_server.base_url + f"/verify/{shown}")
        expect(page.locator("#verify-valid")).to_be_visible(timeout=WAIT)
        expect(page.locator("#verify-name")).to_have_text(row.facts["student_name"])
        expect(page.locator("#verify-code")).to_have_text(shown)
        if SAVE:
            page.set_viewport_size({"width": 420, "height": 900})
            page.screenshot(path=str(SCREENSHOT_DIR / "verify.png"), full_page=True)
            page.set_viewport_size({"width": 1440, "height": 900})
        forged = shown[:-1] + ("0" if shown[-1] != "0" else "1")
        page.goto(app_server.base_url + f"/verify/{forged}")
        expect(page.locator("#verify-unknown")).to_be_visible(timeout=WAIT)
        assert row.facts["student_name"] not in page.content()

        # The history page: the parents' report.
        page.goto(student_link(DEMO_STUDENT_TELEGRAM_ID, "/history"))
        wait_ready(page, "history-ready")
        asked = _telegram_download(page, "#report-download")
        assert asked["url"].startswith(app_server.base_url + "/api/report?t=")
        report = _browser_download(page, "#report-download")
        assert report.startswith(b"%PDF")
        assert row.facts["exam_title"] in _pdf_text(report)
        if SAVE:
            _save_first_page(report, "report.png")
    finally:
        page.context.close()


def test_the_owner_and_the_teacher_make_zips(
    app_server: AppServer, browser: Browser, issued: None
) -> None:
    with session_scope(readonly=True) as db:
        takers = len(
            db.exec(
                select(ExamSession.id).where(
                    ExamSession.exam_id == RELEASED_EXAM_ID,
                    col(ExamSession.submitted_at).is_not(None),
                )
            ).all()
        )
        group_id, members = db.exec(
            select(StudentGroup.id, GroupMember.student_id)
            .join(GroupMember, col(GroupMember.group_id) == StudentGroup.id)
            .where(StudentGroup.name == DEMO_GROUP)
        ).first() or (None, None)
        class_size = len(
            db.exec(select(GroupMember.student_id).where(GroupMember.group_id == group_id)).all()
        )
    assert group_id is not None and members is not None and class_size > 0
    owner = _desktop(browser)
    teacher = _desktop(browser)
    try:
        _sign_in(owner, app_server.base_url, DEMO_ADMIN_USERNAME)
        owner.goto(f"{app_server.base_url}/admin/exams/{RELEASED_EXAM_ID}")
        owner.click("#tab-results")
        owner.locator("#certificates-zip").click()
        # The first event of a page just opened: on a loaded machine (the whole suite on
        # two workers) its answer took longer than expect's default 5 s once.
        expect(owner.locator("#bulk-progress")).to_be_visible(timeout=30_000)
        _work_the_queue()  # the app here has no worker: this process is it
        expect(owner.locator("#bulk-download")).to_be_visible(timeout=60_000)
        with owner.expect_download() as download:
            owner.locator("#bulk-download").click()
        archive = zipfile.ZipFile(download.value.path())
        assert len(archive.namelist()) == takers
        assert all(n.endswith(".pdf") for n in archive.namelist())

        _sign_in(teacher, app_server.base_url, DEMO_TEACHER_USERNAME)
        teacher.goto(f"{app_server.base_url}/admin/groups/{group_id}")
        teacher.locator("#group-reports-zip").click()
        expect(teacher.locator("#bulk-progress")).to_be_visible(timeout=30_000)
        _work_the_queue()
        expect(teacher.locator("#bulk-download")).to_be_visible(timeout=60_000)
        with teacher.expect_download() as download:
            teacher.locator("#bulk-download").click()
        reports = zipfile.ZipFile(download.value.path())
        assert len(reports.namelist()) == class_size
    finally:
        owner.context.close()
        teacher.context.close()


def _work_the_queue() -> None:
    """Run the queued ZIP jobs, as the worker's task would."""
    with session_scope(readonly=True) as db:
        queued = db.exec(select(BulkJob.id).where(BulkJob.status == bulk.QUEUED)).all()
    assert queued
    for job_id in queued:
        assert bulk.run_job(job_id).status == bulk.DONE


def _telegram_download(page: Page, selector: str) -> dict:
    """Click `selector` with Telegram's downloader recorded instead of run; what it got."""
    page.evaluate(
        """() => { window.__asked = []; const tg = window.Telegram.WebApp;
        tg.downloadFile = (p) => window.__asked.push(p);
        tg.isVersionAtLeast = () => true; }"""
    )
    page.locator(selector).click()
    page.wait_for_function("() => window.__asked.length > 0")
    return page.evaluate("() => window.__asked[0]")


def _browser_download(page: Page, selector: str) -> bytes:
    """Click `selector` as a browser outside Telegram would (no Mini App API)."""
    page.evaluate("() => { window.Telegram = undefined; }")
    with page.expect_download() as download:
        page.locator(selector).click()
    return download.value.path().read_bytes()


def _save_first_page(pdf: bytes, name: str) -> None:
    import pypdfium2

    document = pypdfium2.PdfDocument(pdf)
    image = document[0].render(scale=1.4).to_pil()
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    image.save(SCREENSHOT_DIR / name)
