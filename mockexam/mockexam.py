"""The Reflex app: builds `rx.App` and registers every page, nothing else.

Each page lives in its own module (state + components); this file is the one
list of routes.
"""

import reflex as rx

# Loaded now, not by the first event with a dict argument (Reflex's event processor
# imports it then to check for rx.Model): it imports alembic, 50 ms of the GIL on an
# idle worker; under `make run-scale` that first event is the first submit, at the very
# start of the closing burst (the "setup plugin alembic…" lines in the load bench's
# backend log, 30 s before the window's end). Imported here, it is also frozen out of
# the garbage collector's walks with the rest of the app (mockexam/runtime.py).
import reflex.model
from reflex_components_core.core.banner import connection_pulser

from mockexam.admin import admins as admin_admins
from mockexam.admin import analysis as admin_analysis
from mockexam.admin import analytics as admin_analytics
from mockexam.admin import audit as admin_audit
from mockexam.admin import broadcasts as admin_broadcasts
from mockexam.admin import exam_new as admin_exam_new
from mockexam.admin import exam_page as admin_exam
from mockexam.admin import exams as admin_exams
from mockexam.admin import groups as admin_groups
from mockexam.admin import integrity as admin_integrity
from mockexam.admin import login as admin_login
from mockexam.admin import students as admin_students
from mockexam.admin.auth import ADMIN_ROOT, LANGUAGE_COOKIE, LOGIN_ROUTE
from mockexam.admin.practice_bank import page as admin_practice_bank
from mockexam.api import SheetSaves, api
from mockexam.config import settings
from mockexam.fresh_hydrate import install as install_fresh_hydrate
from mockexam.runtime import tune_runtime, watch_stalls
from mockexam.socket_rooms import install as install_socket_rooms
from mockexam.student.achievements import (
    ACHIEVEMENTS_ON_LOAD,
    ACHIEVEMENTS_ROUTE,
    achievements_page,
)
from mockexam.student.dashboard import DASHBOARD_ON_LOAD, dashboard_page
from mockexam.student.exam import EXAM_ON_LOAD, EXAM_ROUTE, exam_page
from mockexam.student.history import HISTORY_ON_LOAD, HISTORY_ROUTE, history_page
from mockexam.student.home import HomeState, home_page
from mockexam.student.leaderboard import LEADERBOARD_ON_LOAD, LEADERBOARD_ROUTE, leaderboard_page
from mockexam.student.practice import PRACTICE_ON_LOAD, PRACTICE_ROUTE, practice_page
from mockexam.student.practice_session import (
    PRACTICE_SESSION_ON_LOAD,
    PRACTICE_SESSION_ROUTE,
    practice_session_page,
)
from mockexam.student.results import RESULTS_ON_LOAD, RESULTS_ROUTE, results_page
from mockexam.student.shell import APP_ROOT
from mockexam.student.verify import VERIFY_ON_LOAD, VERIFY_ROUTE, verify_page
from mockexam.ui import figures as _figures  # noqa: F401  (the figure serializer)
from mockexam.ui.document_language import document_language_script
from mockexam.ui.theme import APP_STYLE

# A tab's disconnect leaves its own Socket.IO rooms instead of walking every tab's
# (mockexam/socket_rooms.py: O(N) per disconnect, O(N²) at an exam's end).
install_socket_rooms()
# A new tab's hydrate builds only the states it sends (Reflex's Redis state manager:
# the scale-out mode's lobby); mockexam/fresh_hydrate.py says why it is Reflex's own result.
install_fresh_hydrate()

# The radix theme is set in rxconfig.py (RadixThemesPlugin), as Reflex 0.10 wants.
app = rx.App(
    style=APP_STYLE,
    api_transformer=api,
    # <html lang> right before the first paint: the Mini App's language, the panel's.
    head_components=[
        document_language_script(
            student_root=APP_ROOT,
            admin_root=ADMIN_ROOT,
            admin_cookie=LANGUAGE_COOKIE,
            admin_default=settings.admin_default_language,
        )
    ],
)


def scale_app() -> SheetSaves:
    """The backend as `make run-scale` serves it (Granian's factory): Reflex's ASGI app,
    with the answer sheet's saves answered before Reflex's middleware (mockexam.api)."""
    return SheetSaves(app())


# Each backend worker, once up: the app frozen out of the garbage collector's walks
# (its full collections paused every event 100+ ms), thresholds raised (runtime.py).
app.register_lifespan_task(tune_runtime)
app.register_lifespan_task(watch_stalls)
# Reflex's default overlay toasts "Cannot connect to server: <websocket URL>" in
# English over every page. The exam sheet has its own translated banner (answers
# are kept and re-sent); elsewhere a small pulsing dot is enough. The fragment
# matters: Reflex wraps the app in this component, and a bare fixed-position
# pulser as the wrapper stops every page from scrolling.
app.app_wraps[(5, "Overlay")] = lambda stateful: (
    rx.fragment(connection_pulser()) if stateful else None
)

app.add_page(
    home_page,
    route="/",
    title="mockexam",
    description="Weekly timed mock exams in Telegram",
    on_load=HomeState.load,
)

app.add_page(dashboard_page, route="/app", title="mockexam", on_load=DASHBOARD_ON_LOAD)
app.add_page(
    verify_page, route=VERIFY_ROUTE, title="mockexam · certificate", on_load=VERIFY_ON_LOAD
)
app.add_page(exam_page, route=EXAM_ROUTE, title="mockexam · exam", on_load=EXAM_ON_LOAD)
app.add_page(results_page, route=RESULTS_ROUTE, title="mockexam · results", on_load=RESULTS_ON_LOAD)
app.add_page(history_page, route=HISTORY_ROUTE, title="mockexam · history", on_load=HISTORY_ON_LOAD)
app.add_page(
    achievements_page,
    route=ACHIEVEMENTS_ROUTE,
    title="mockexam · achievements",
    on_load=ACHIEVEMENTS_ON_LOAD,
)
app.add_page(
    leaderboard_page,
    route=LEADERBOARD_ROUTE,
    title="mockexam · leaderboard",
    on_load=LEADERBOARD_ON_LOAD,
)
app.add_page(
    practice_page, route=PRACTICE_ROUTE, title="mockexam · practice", on_load=PRACTICE_ON_LOAD
)
app.add_page(
    practice_session_page,
    route=PRACTICE_SESSION_ROUTE,
    title="mockexam · practice",
    on_load=PRACTICE_SESSION_ON_LOAD,
)

# --- Admin panel (desktop, English) ------------------------------------------
app.add_page(
    admin_login.login_page,
    route=LOGIN_ROUTE,
    title="Admin · sign in",
    on_load=admin_login.LOGIN_ON_LOAD,
)
app.add_page(
    admin_exams.exams_page,
    route=ADMIN_ROOT,
    title="Admin · exams",
    on_load=admin_exams.EXAMS_ON_LOAD,
)
app.add_page(
    admin_exam_new.new_exam_page,
    route=admin_exam_new.NEW_EXAM_ROUTE,
    title="Admin · new exam",
    on_load=admin_exam_new.NEW_EXAM_ON_LOAD,
)
app.add_page(
    admin_exam.exam_page,
    route=admin_exam.EXAM_ROUTE,
    title="Admin · exam",
    on_load=admin_exam.EXAM_ON_LOAD,
)
app.add_page(
    admin_broadcasts.broadcasts_page,
    route=admin_broadcasts.BROADCASTS_ROUTE,
    title="Admin · broadcasts",
    on_load=admin_broadcasts.BROADCASTS_ON_LOAD,
)
app.add_page(
    admin_audit.audit_page,
    route=admin_audit.AUDIT_ROUTE,
    title="Admin · audit log",
    on_load=admin_audit.AUDIT_ON_LOAD,
)
app.add_page(
    admin_admins.admins_page,
    route=admin_admins.ADMINS_ROUTE,
    title="Admin · admins",
    on_load=admin_admins.ADMINS_ON_LOAD,
)
app.add_page(
    admin_analysis.analysis_page,
    route=admin_analysis.ANALYSIS_ROUTE,
    title="Admin · item analysis",
    on_load=admin_analysis.ANALYSIS_ON_LOAD,
)
app.add_page(
    admin_integrity.integrity_page,
    route=admin_integrity.INTEGRITY_ROUTE,
    title="Admin · scale and copying",
    on_load=admin_integrity.INTEGRITY_ON_LOAD,
)
app.add_page(
    admin_analytics.analytics_page,
    route=admin_analytics.ANALYTICS_ROUTE,
    title="Admin · analytics",
    on_load=admin_analytics.ANALYTICS_ON_LOAD,
)
app.add_page(
    admin_students.students_page,
    route=admin_students.STUDENTS_ROUTE,
    title="Admin · students",
    on_load=admin_students.STUDENTS_ON_LOAD,
)
app.add_page(
    admin_groups.groups_page,
    route=admin_groups.GROUPS_ROUTE,
    title="Admin · groups",
    on_load=admin_groups.GROUPS_ON_LOAD,
)
app.add_page(
    admin_groups.group_page,
    route=admin_groups.GROUP_ROUTE,
    title="Admin · group",
    on_load=admin_groups.GROUP_ON_LOAD,
)
app.add_page(
    admin_practice_bank.practice_bank_page,
    route=admin_practice_bank.PRACTICE_BANK_ROUTE,
    title="Admin · practice bank",
    on_load=admin_practice_bank.PRACTICE_BANK_ON_LOAD,
)
