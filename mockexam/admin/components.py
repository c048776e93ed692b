"""Small pieces several admin pages share: paging, search, sortable headers, charts.

Pure component builders and one paging rule; no state lives here (every admin
state, and so every handler and its `_require_admin()` check, stays on its page).
"""

from __future__ import annotations

from typing import Any

import plotly.graph_objects as go
import reflex as rx

from mockexam import admin_charts as charts
from mockexam.admin.i18n import t


def step_offset(offset: int, step: int, *, page_size: int, total: int) -> int | None:
    """The offset one page forward (+1) or back (−1), or None past either end (or a bad step)."""
    if step not in (-1, 1):
        return None
    new = offset + step * page_size
    return new if 0 <= new < max(total, 1) else None


def pager_buttons(
    state: Any,
    page_size: int,
    prev_label: str | rx.Var[str] | None = None,
    next_label: str | rx.Var[str] | None = None,
    *,
    prev_id: str | None = None,
    next_id: str | None = None,
) -> tuple[rx.Component, rx.Component]:
    """The previous and next buttons of a paged table.

    `state` is the page's state class: its `offset` and `total` vars and its
    `page(step)` handler (step −1 or +1).
    """
    prev_props: dict[str, Any] = {"id": prev_id} if prev_id is not None else {}
    next_props: dict[str, Any] = {"id": next_id} if next_id is not None else {}
    previous = rx.button(
        rx.icon("chevron-left", size=16),
        *((prev_label,) if prev_label is not None else ()),
        variant="soft",
        disabled=state.offset == 0,
        on_click=state.page(-1),
        **prev_props,
    )
    following = rx.button(
        *((next_label,) if next_label is not None else ()),
        rx.icon("chevron-right", size=16),
        variant="soft",
        disabled=state.offset + page_size >= state.total,
        on_click=state.page(1),
        **next_props,
    )
    return previous, following


def search_form(*, on_submit: Any, input_id: str, max_length: int, width: str) -> rx.Component:
    """A name / @username / Telegram id search box with its button (the field is `search`)."""
    return rx.form(
        rx.hstack(
            rx.input(
                name="search",
                placeholder=t(
                    "Ism, @username yoki Telegram id",
                    "Имя, @username или Telegram id",
                    "Name, @username or Telegram id",
                ),
                max_length=max_length,
                width=width,
                id=input_id,
            ),
            rx.button(t("Qidirish", "Найти", "Search"), type="submit", variant="soft"),
            spacing="2",
        ),
        on_submit=on_submit,
        reset_on_submit=False,
    )


def sort_header(
    label: str | rx.Var[str], column: str | None, *, state: Any, id_prefix: str
) -> rx.Component:
    """A column header; with a `column`, clicking sorts by it and an arrow shows the order.

    `state` is the page's state class: its `sort` and `descending` vars and its
    `sort_by(column)` handler. The header's id is `id_prefix + column`.
    """
    if column is None:
        return rx.table.column_header_cell(label)
    arrow = rx.cond(
        state.sort == column,
        rx.icon(rx.cond(state.descending, "arrow-down", "arrow-up"), size=14),
        rx.icon("arrow-up-down", size=14, color="var(--gray-8)"),
    )
    return rx.table.column_header_cell(
        rx.hstack(label, arrow, spacing="1", align="center"),
        on_click=state.sort_by(column),
        cursor="pointer",
        id=f"{id_prefix}{column}",
    )


def header_row(*labels: str | rx.Var[str]) -> rx.Component:
    """A table header of plain (not sortable) column titles."""
    return rx.table.header(rx.table.row(*(rx.table.column_header_cell(label) for label in labels)))


def plot(figure: rx.Var, plot_id: str, height: int = charts.HEIGHT) -> rx.Component:
    """A Plotly figure at full width and a fixed height (the admin chart cards)."""
    return rx.box(
        rx.plotly.cartesian(
            data=figure,
            config=charts.ADMIN_PLOT_CONFIG,
            use_resize_handler=True,
            template=go.layout.Template(),
            style={"width": "100%", "height": f"{height}px"},
            id=plot_id,
        ),
        width="100%",
        min_height=f"{height}px",
        class_name="admin-plot",
    )


NAME_MAX_WIDTH = "18rem"
# Marks what people wrote (names, exam titles, usernames): not translated, so a check of
# the rendered page's language skips it.
USER_CONTENT = {"data-user-content": "true"}


def name_cell(name: Any, username: Any) -> rx.Component:
    """A student's name and @username in a table cell: one line each, cut with an ellipsis
    at NAME_MAX_WIDTH, the whole text on hover (title).

    A 128-character name without a space would otherwise push the other columns out of
    view (issue 20, item 10).
    """
    clipped = {
        "max_width": NAME_MAX_WIDTH,
        "overflow": "hidden",
        "text_overflow": "ellipsis",
        "white_space": "nowrap",
    }
    return rx.vstack(
        rx.text(name, weight="medium", title=name, class_name="student-name", **clipped),
        rx.text(username, size="1", color="var(--gray-10)", title=username, **clipped),
        spacing="0",
        min_width="0",
        custom_attrs=USER_CONTENT,
    )


def confirm_dialog(
    trigger: rx.Component,
    title: Any,
    description: Any,
    confirm: rx.Component,
) -> rx.Component:
    """`trigger` opens a dialog asking to confirm: `title`, `description`, Cancel and the
    `confirm` button (its on_click does the thing)."""
    return rx.alert_dialog.root(
        rx.alert_dialog.trigger(trigger),
        rx.alert_dialog.content(
            rx.alert_dialog.title(title),
            rx.alert_dialog.description(description),
            rx.hstack(
                rx.alert_dialog.cancel(
                    rx.button(
                        t("Bekor qilish", "Отмена", "Cancel"), variant="soft", color_scheme="gray"
                    )
                ),
                rx.alert_dialog.action(confirm),
                spacing="3",
                justify="end",
                margin_top="1rem",
            ),
        ),
    )
