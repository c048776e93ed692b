"""The Reflex app: builds `rx.App` and registers every page, nothing else.

Each page lives in its own module (state + components); this file is the one
list of routes.
"""

import reflex as rx

from mockexam.student.home import HomeState, home_page
from mockexam.ui.theme import APP_STYLE

# The radix theme is set in rxconfig.py (RadixThemesPlugin), as Reflex 0.10 wants.
app = rx.App(style=APP_STYLE)

app.add_page(
    home_page,
    route="/",
    title="mockexam",
    description="Weekly timed mock exams in Telegram",
    on_load=HomeState.load,
)
