"""The Reflex app: builds `rx.App` and registers every page, nothing else.

Each page lives in its own module (state + components); this file is the one
list of routes.
"""

import reflex as rx

from mockexam.api import api
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
from mockexam.student.results import RESULTS_ON_LOAD, RESULTS_ROUTE, results_page
from mockexam.ui.theme import APP_STYLE

# The radix theme is set in rxconfig.py (RadixThemesPlugin), as Reflex 0.10 wants.
app = rx.App(style=APP_STYLE, api_transformer=api)

app.add_page(
    home_page,
    route="/",
    title="mockexam",
    description="Weekly timed mock exams in Telegram",
    on_load=HomeState.load,
)

app.add_page(dashboard_page, route="/app", title="mockexam", on_load=DASHBOARD_ON_LOAD)
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
