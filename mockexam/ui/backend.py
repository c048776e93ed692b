"""Where the Reflex backend answers, as a client-side Var (for links and images it serves).

In dev the backend runs on another port than the page (cookies still go
along: they ignore ports); in production it is the page's own origin.
"""

from __future__ import annotations

import reflex as rx
from reflex.constants import Dirs
from reflex.utils.imports import ImportVar
from reflex.vars import VarData

BACKEND_ORIGIN: rx.Var[str] = rx.Var(
    _js_expr="getBackendURL(env.PING).origin",
    _var_data=VarData(
        imports={
            f"$/{Dirs.STATE_PATH}": [ImportVar(tag="getBackendURL")],
            "$/env.json": [ImportVar(tag="env", is_default=True)],
        }
    ),
).to(str)
