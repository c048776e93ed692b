"""Plotly figure builders for the admin panel: plain data in, `go.Figure` out.

Nothing here reads the database or knows Reflex: the pages hand over
aggregates (histogram counts, one value per item, one row per cohort) and
get a figure back. Figures are drawn for a desktop browser in the radix
light/dark themes: transparent background, a neutral grey for text and grid,
no default template (it would add ~6 kB to every figure in the state), values
rounded so the JSON stays small. Plotly cannot read CSS variables, so colours
are plain values.

Every figure here is drawn by `plotly.js-cartesian-dist-min` (scatter, bar,
heatmap): the admin pages use `rx.plotly.cartesian`.

Every builder takes the reader's `lang` (uz, ru, en; the state passes its
`self._lang()`): titles, axis names, legends and hover texts are worded in it.
Hover texts name a count as "label: n" so that no word has to agree with the
number (Plotly cannot choose a Russian plural form).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from mockexam.charts import share
from mockexam.ui.i18n import pick

NEUTRAL = "#8b8d98"
GRID = "rgba(139, 141, 152, 0.22)"
ACCENT = "#3e63dd"  # radix indigo 9
ACCENT_SOFT = "rgba(62, 99, 221, 0.55)"
GOOD = "#30a46c"  # radix green 9
BAD = "#e5484d"  # radix red 9
WARN = "#f76b15"  # radix orange 9
BAND = "rgba(48, 164, 108, 0.12)"
TRANSPARENT = "rgba(0, 0, 0, 0)"
HEIGHT = 360
LOGIT_RANGE = (-4.0, 4.0)

# What admin pages pass as rx.plotly's `config`: a small mode bar (download as PNG, reset).
ADMIN_PLOT_CONFIG: dict[str, Any] = {
    "displaylogo": False,
    "responsive": True,
    "scrollZoom": False,
    "modeBarButtonsToRemove": [
        "select2d",
        "lasso2d",
        "autoScale2d",
        "toggleSpikelines",
        "hoverClosestCartesian",
        "hoverCompareCartesian",
    ],
}


@dataclass(frozen=True)
class Histogram:
    """Counts per bin: `edges` has one more entry than `counts`."""

    edges: tuple[float, ...]
    counts: tuple[int, ...]

    @property
    def centers(self) -> list[float]:
        return [(a + b) / 2 for a, b in zip(self.edges[:-1], self.edges[1:], strict=True)]

    @property
    def widths(self) -> list[float]:
        return [b - a for a, b in zip(self.edges[:-1], self.edges[1:], strict=True)]


def histogram(
    values: Sequence[float] | np.ndarray,
    *,
    width: float,
    low: float | None = None,
    high: float | None = None,
) -> Histogram:
    """Bin `values` into bins `width` wide (aligned on multiples of `width`), NaNs ignored.

    Values outside [low, high] are clamped into the end bins, so nothing is
    dropped silently.
    """
    if width <= 0:
        raise ValueError("width must be positive")
    data = np.asarray(values, dtype=float)
    data = data[np.isfinite(data)]
    if low is None:
        low = float(data.min()) if data.size else 0.0
    if high is None:
        high = float(data.max()) if data.size else width
    start = math.floor(low / width) * width
    stop = max(math.ceil(high / width) * width, start + width)
    if stop <= high:
        stop += width
    n = max(1, round((stop - start) / width))
    edges = np.round(start + width * np.arange(n + 1), 6)
    counts, _ = np.histogram(np.clip(data, edges[0], edges[-1]), bins=edges)
    return Histogram(edges=tuple(float(e) for e in edges), counts=tuple(int(c) for c in counts))


def _axis(**extra: Any) -> dict[str, Any]:
    axis: dict[str, Any] = {
        "showgrid": True,
        "gridcolor": GRID,
        "zeroline": False,
        "showline": False,
        "tickfont": {"size": 11, "color": NEUTRAL},
        "title": {"font": {"size": 12, "color": NEUTRAL}},
        "automargin": True,
    }
    axis.update(extra)
    return axis


def _layout(height: int, *, title: str | None = None, legend: bool = False) -> dict[str, Any]:
    layout: dict[str, Any] = {
        "template": "none",
        "height": height,
        "autosize": True,
        "margin": {"l": 56, "r": 20, "t": 40 if title else 16, "b": 48, "pad": 4},
        "paper_bgcolor": TRANSPARENT,
        "plot_bgcolor": TRANSPARENT,
        "font": {"color": NEUTRAL, "size": 12, "family": "system-ui, -apple-system, sans-serif"},
        "showlegend": legend,
        "hovermode": "closest",
        "hoverlabel": {"font": {"size": 12}},
        "xaxis": _axis(),
        "yaxis": _axis(),
        "bargap": 0.08,
    }
    if title:
        layout["title"] = {"text": title, "x": 0, "xanchor": "left", "font": {"size": 14}}
    if legend:
        layout["legend"] = {"orientation": "h", "x": 0, "y": 1.02, "yanchor": "bottom"}
    return layout


def _decimal(value: float, lang: str, digits: int = 1) -> str:
    """`value` with `digits` decimals and the language's separator (1,5 in uz/ru)."""
    text = f"{value:.{digits}f}"
    return text.replace(".", ",") if lang in ("uz", "ru") else text


def _students(lang: str) -> str:
    return pick(lang, "o‘quvchilar", "ученики", "students")


def _round(values: Sequence[float | None] | np.ndarray, digits: int = 3) -> list[float | None]:
    out: list[float | None] = []
    for v in values:
        if v is None or not math.isfinite(float(v)):
            out.append(None)
        else:
            out.append(round(float(v), digits))
    return out


def _check_lengths(**columns: Sequence[Any]) -> int:
    lengths = {name: len(values) for name, values in columns.items()}
    if len(set(lengths.values())) > 1:
        names = ", ".join(lengths)
        raise ValueError(f"{names} must have the same length (got {lengths})")
    return next(iter(lengths.values()), 0)


@functools.cache
def shared_blank_admin_figure() -> go.Figure:
    """The one blank figure every admin chart var starts from (a state var's default).

    Built once and shared by every state instance instead of being deep-copied
    into each: Reflex reads every var's default when a tab connects (for the
    admin states of each student's tab too), and a Figure's deep copy
    re-validates all of it (about 1 ms; twelve figure vars made most of a
    connection's cost). Never changed in place: the states assign new figures.
    """
    return share(blank_admin_figure())


def blank_admin_figure(height: int = HEIGHT, message: str = "") -> go.Figure:
    """An empty figure with the common layout, optionally with a centred note."""
    layout = _layout(height)
    layout["xaxis"].update(visible=False)
    layout["yaxis"].update(visible=False)
    if message:
        layout["annotations"] = [
            {
                "text": message,
                "showarrow": False,
                "xref": "paper",
                "yref": "paper",
                "x": 0.5,
                "y": 0.5,
                "font": {"size": 13, "color": NEUTRAL},
            }
        ]
    return go.Figure(layout=layout)


# ---------------------------------------------------------------------------
# Item analysis
# ---------------------------------------------------------------------------
def wright_map_figure(
    *,
    persons: Histogram,
    item_labels: Sequence[str],
    item_betas: Sequence[float],
    flagged: Sequence[str] = (),
    height: int = 520,
    lang: str = "en",
) -> go.Figure:
    """Persons and items on one logit axis: a sideways histogram of θ beside the item βs.

    Left panel: number of persons per θ bin (bars growing leftwards, as in
    the classic map). Right panel: one marker per item at its difficulty,
    labelled, spread sideways so labels do not overlap; flagged items red.
    """
    _check_lengths(item_labels=item_labels, item_betas=item_betas)
    flagged_set = set(flagged)
    fig = make_subplots(
        rows=1,
        cols=2,
        shared_yaxes=True,
        column_widths=[0.42, 0.58],
        horizontal_spacing=0.02,
        subplot_titles=(
            pick(lang, "Ishtirokchilar (θ)", "Участники (θ)", "Persons (θ)"),
            pick(lang, "Savollar (β)", "Вопросы (β)", "Items (β)"),
        ),
    )
    fig.add_trace(
        go.Bar(
            x=list(persons.counts),
            y=_round(persons.centers),
            width=[w * 0.92 for w in persons.widths],
            orientation="h",
            name=pick(lang, "ishtirokchilar", "участники", "persons"),
            marker={"color": ACCENT_SOFT},
            hovertemplate=pick(
                lang,
                "θ %{y:.2f} · ishtirokchilar: %{x}",
                "θ %{y:.2f} · участники: %{x}",
                "θ %{y:.2f} · persons: %{x}",
            )
            + "<extra></extra>",
        ),
        row=1,
        col=1,
    )
    # Items sorted by difficulty; column k cycles so neighbours sit side by side.
    order = sorted(range(len(item_betas)), key=lambda i: item_betas[i])
    columns = 6
    xs = [0.0] * len(order)
    for rank, i in enumerate(order):
        xs[i] = float(rank % columns)
    colours = [BAD if label in flagged_set else ACCENT for label in item_labels]
    fig.add_trace(
        go.Scatter(
            x=xs,
            y=_round(item_betas),
            mode="markers+text",
            text=list(item_labels),
            textposition="middle right",
            textfont={"size": 10, "color": NEUTRAL},
            marker={"color": colours, "size": 8, "symbol": "diamond"},
            name=pick(lang, "savollar", "вопросы", "items"),
            customdata=list(item_labels),
            hovertemplate=pick(
                lang,
                "%{customdata}-savol: β %{y:.2f}",
                "вопрос %{customdata}: β %{y:.2f}",
                "item %{customdata}: β %{y:.2f}",
            )
            + "<extra></extra>",
            cliponaxis=False,
        ),
        row=1,
        col=2,
    )
    finite = [b for b in item_betas if b is not None and math.isfinite(b)]
    low = min([LOGIT_RANGE[0], *finite, persons.edges[0]])
    high = max([LOGIT_RANGE[1], *finite, persons.edges[-1]])
    layout = _layout(height)
    fig.update_layout(
        {k: v for k, v in layout.items() if k not in ("xaxis", "yaxis")},
    )
    fig.update_xaxes(
        _axis(
            title={"text": pick(lang, "ishtirokchilar", "участники", "persons")},
            autorange="reversed",
        ),
        row=1,
        col=1,
    )
    fig.update_xaxes(
        _axis(showgrid=False, showticklabels=False, range=[-0.5, columns + 0.5]), row=1, col=2
    )
    fig.update_yaxes(
        _axis(
            title={"text": pick(lang, "logitlar", "логиты", "logits")},
            range=[low - 0.25, high + 0.25],
        ),
        row=1,
        col=1,
    )
    fig.update_yaxes(_axis(range=[low - 0.25, high + 0.25]), row=1, col=2)
    fig.add_hline(y=0, line={"color": GRID, "width": 1, "dash": "dot"})
    for annotation in fig.layout.annotations:
        annotation.font = {"size": 12, "color": NEUTRAL}
    return fig


def difficulty_facility_figure(
    *,
    item_labels: Sequence[str],
    betas: Sequence[float | None],
    facilities: Sequence[float | None],
    flagged: Sequence[str] = (),
    height: int = HEIGHT,
    lang: str = "en",
) -> go.Figure:
    """Each item's difficulty (β, logits) against its facility (% correct); flagged items red."""
    _check_lengths(item_labels=item_labels, betas=betas, facilities=facilities)
    flagged_set = set(flagged)
    pct = [None if f is None else f * 100 for f in facilities]
    fig = go.Figure(
        go.Scatter(
            x=_round(pct, 1),
            y=_round(betas),
            mode="markers+text",
            text=list(item_labels),
            textposition="top center",
            textfont={"size": 9, "color": NEUTRAL},
            marker={
                "size": 9,
                "color": [BAD if lb in flagged_set else ACCENT for lb in item_labels],
                "line": {"width": 0},
            },
            customdata=list(item_labels),
            hovertemplate=pick(
                lang,
                "%{customdata}-savol<br>yechilganlik %{x:.1f}%<br>β %{y:.2f}",
                "вопрос %{customdata}<br>решаемость %{x:.1f}%<br>β %{y:.2f}",
                "item %{customdata}<br>facility %{x:.1f}%<br>β %{y:.2f}",
            )
            + "<extra></extra>",
            name=pick(lang, "savollar", "вопросы", "items"),
        ),
        layout=_layout(height),
    )
    fig.update_xaxes(
        title={
            "text": pick(
                lang,
                "yechilganlik (to‘g‘ri javoblar, %)",
                "решаемость (% верных ответов)",
                "facility (% correct)",
            )
        },
        range=[-3, 103],
    )
    fig.update_yaxes(
        title={
            "text": pick(
                lang, "qiyinlik β (logitlarda)", "трудность β (в логитах)", "difficulty β (logits)"
            )
        }
    )
    return fig


def fit_figure(
    *,
    item_labels: Sequence[str],
    infit: Sequence[float | None],
    outfit: Sequence[float | None],
    low: float = 0.7,
    high: float = 1.3,
    height: int = HEIGHT,
    lang: str = "en",
) -> go.Figure:
    """Infit and outfit mean-squares per item, with the acceptable band [low, high] shaded."""
    _check_lengths(item_labels=item_labels, infit=infit, outfit=outfit)
    labels = list(item_labels)
    item = pick(lang, "%{x}-savol", "вопрос %{x}", "item %{x}")
    fig = go.Figure(layout=_layout(height, legend=True))
    fig.add_hrect(y0=low, y1=high, fillcolor=BAND, line_width=0, layer="below")
    for name, values, colour, symbol in (
        ("infit", infit, ACCENT, "circle"),
        ("outfit", outfit, WARN, "diamond"),
    ):
        outside = [v is not None and not low <= v <= high for v in values]
        fig.add_trace(
            go.Scatter(
                x=labels,
                y=_round(values),
                mode="markers",
                name=name,
                marker={
                    "color": colour,
                    "symbol": symbol,
                    "size": [11 if o else 7 for o in outside],
                    "line": {"color": [BAD if o else colour for o in outside], "width": 1.5},
                },
                hovertemplate=f"{item}: {name} %{{y:.2f}}<extra></extra>",
            )
        )
    finite = [v for v in (*infit, *outfit) if v is not None and math.isfinite(v)]
    top = max([high + 0.2, *finite]) + 0.1
    fig.update_xaxes(
        type="category", title={"text": pick(lang, "savol", "вопрос", "item")}, tickangle=-60
    )
    fig.update_yaxes(
        title={"text": pick(lang, "o‘rtacha kvadrat", "средний квадрат", "mean-square")},
        range=[0, top],
    )
    return fig


def icc_figure(
    *,
    label: str,
    beta: float,
    group_thetas: Sequence[float],
    group_proportions: Sequence[float],
    group_sizes: Sequence[int],
    theta_range: tuple[float, float] = LOGIT_RANGE,
    height: int = HEIGHT,
    lang: str = "en",
) -> go.Figure:
    """Item characteristic curve: the Rasch model P(θ) = 1 / (1 + e^−(θ−β)) and what was observed.

    Observed points are the proportion correct among persons grouped by
    ability (mean θ of the group on x, group size in the hover and marker size).
    """
    _check_lengths(
        group_thetas=group_thetas, group_proportions=group_proportions, group_sizes=group_sizes
    )
    low = min(theta_range[0], *group_thetas) if group_thetas else theta_range[0]
    high = max(theta_range[1], *group_thetas) if group_thetas else theta_range[1]
    grid = np.linspace(low, high, 81)
    model = 1.0 / (1.0 + np.exp(-(grid - beta)))
    fig = go.Figure(layout=_layout(height, legend=True))
    fig.add_trace(
        go.Scatter(
            x=_round(grid, 2),
            y=_round(model),
            mode="lines",
            name=pick(lang, "Rasch modeli", "модель Раша", "Rasch model"),
            line={"color": ACCENT, "width": 2.5},
            hovertemplate="θ %{x:.2f}: P %{y:.2f}<extra></extra>",
        )
    )
    biggest = max(group_sizes, default=1) or 1
    fig.add_trace(
        go.Scatter(
            x=_round(group_thetas, 2),
            y=_round(group_proportions),
            mode="markers",
            name=pick(lang, "kuzatilgan", "наблюдаемые", "observed"),
            marker={
                "color": WARN,
                "size": [8 + 10 * math.sqrt(n / biggest) for n in group_sizes],
                "line": {"color": "white", "width": 1},
            },
            customdata=list(group_sizes),
            hovertemplate=pick(
                lang,
                "θ ≈ %{x:.2f}: %{y:.0%} to‘g‘ri (n = %{customdata})",
                "θ ≈ %{x:.2f}: %{y:.0%} верно (n = %{customdata})",
                "θ ≈ %{x:.2f}: %{y:.0%} correct (n = %{customdata})",
            )
            + "<extra></extra>",
        )
    )
    fig.add_vline(x=beta, line={"color": NEUTRAL, "width": 1, "dash": "dot"})
    fig.update_xaxes(
        title={
            "text": pick(
                lang,
                "qobiliyat θ (logitlarda)",
                "способность θ (в логитах)",
                "ability θ (logits)",
            )
        },
        range=[low - 0.1, high + 0.1],
    )
    fig.update_yaxes(
        title={
            "text": pick(
                lang,
                f"P(to‘g‘ri), {label}-savol",
                f"P(верно), вопрос {label}",
                f"P(correct), item {label}",
            )
        },
        range=[-0.03, 1.03],
    )
    return fig


def option_choice_figure(
    *,
    label: str,
    options: Sequence[str],
    counts: Sequence[int],
    correct: str | None,
    blank: int = 0,
    height: int = HEIGHT,
    lang: str = "en",
) -> go.Figure:
    """How often each option of a multiple-choice item was chosen; the key green, blanks grey."""
    _check_lengths(options=options, counts=counts)
    names = [*options, pick(lang, "bo‘sh", "пусто", "blank")] if blank else list(options)
    values = [int(c) for c in counts] + ([int(blank)] if blank else [])
    key = (correct or "").strip().upper()
    colours = [GOOD if name.upper() == key else ACCENT_SOFT for name in options]
    colours += [NEUTRAL] if blank else []
    total = sum(values) or 1
    fig = go.Figure(
        go.Bar(
            x=names,
            y=values,
            marker={"color": colours},
            text=[f"{v / total:.0%}" for v in values],
            textposition="outside",
            cliponaxis=False,
            hovertemplate=f"%{{x}} · {_students(lang)}: %{{y}}<extra></extra>",
            name=pick(lang, "tanlovlar", "выбор", "choices"),
        ),
        layout=_layout(height),
    )
    shown_key = key or "—"
    fig.update_xaxes(
        type="category",
        title={
            "text": pick(
                lang,
                f"{label}-savol (kalit {shown_key})",
                f"вопрос {label} (ключ {shown_key})",
                f"item {label} (key {shown_key})",
            )
        },
    )
    fig.update_yaxes(title={"text": _students(lang)}, rangemode="tozero")
    return fig


# ---------------------------------------------------------------------------
# Analytics
# ---------------------------------------------------------------------------
def score_distribution_figure(
    *,
    scores: Sequence[float],
    counts: Sequence[int],
    x_title: str | None = None,
    mean: float | None = None,
    height: int = HEIGHT,
    lang: str = "en",
) -> go.Figure:
    """Number of students per score (a bar per score value or bin centre); `x_title`
    (already in `lang`) names the score, "points" by default."""
    _check_lengths(scores=scores, counts=counts)
    x_title = x_title if x_title is not None else pick(lang, "ball", "баллы", "points")
    fig = go.Figure(
        go.Bar(
            x=_round(scores, 2),
            y=[int(c) for c in counts],
            marker={"color": ACCENT},
            hovertemplate=f"{x_title} %{{x}} · {_students(lang)}: %{{y}}<extra></extra>",
            name=_students(lang),
        ),
        layout=_layout(height),
    )
    if mean is not None and math.isfinite(mean):
        fig.add_vline(
            x=round(mean, 2),
            line={"color": WARN, "width": 2, "dash": "dash"},
            annotation_text=pick(lang, "o‘rtacha {}", "среднее {}", "mean {}").format(
                _decimal(mean, lang)
            ),
            annotation_position="top right",
            annotation_font={"color": WARN, "size": 11},
        )
    fig.update_xaxes(title={"text": x_title})
    fig.update_yaxes(title={"text": _students(lang)}, rangemode="tozero")
    return fig


def user_growth_figure(
    *,
    months: Sequence[str],
    new_students: Sequence[int],
    cumulative: Sequence[int] | None = None,
    height: int = HEIGHT,
    lang: str = "en",
) -> go.Figure:
    """New students per month (bars) and the running total (line, right axis)."""
    _check_lengths(months=months, new_students=new_students)
    running = (
        list(cumulative) if cumulative is not None else np.cumsum(new_students).astype(int).tolist()
    )
    _check_lengths(months=months, cumulative=running)
    fig = make_subplots(specs=[[{"secondary_y": True}]])
    fig.add_trace(
        go.Bar(
            x=list(months),
            y=[int(v) for v in new_students],
            name=pick(lang, "yangi o‘quvchilar", "новые ученики", "new students"),
            marker={"color": ACCENT_SOFT},
            hovertemplate=pick(lang, "%{x} · yangi: %{y}", "%{x} · новых: %{y}", "%{x}: %{y} new")
            + "<extra></extra>",
        ),
        secondary_y=False,
    )
    fig.add_trace(
        go.Scatter(
            x=list(months),
            y=[int(v) for v in running],
            name=pick(lang, "jami", "всего", "total"),
            mode="lines+markers",
            line={"color": ACCENT, "width": 2},
            hovertemplate=pick(
                lang, "%{x} · jami: %{y}", "%{x} · всего: %{y}", "%{x}: %{y} in total"
            )
            + "<extra></extra>",
        ),
        secondary_y=True,
    )
    layout = _layout(height, legend=True)
    fig.update_layout({k: v for k, v in layout.items() if k not in ("xaxis", "yaxis")})
    fig.update_xaxes(_axis(type="category", title={"text": pick(lang, "oy", "месяц", "month")}))
    fig.update_yaxes(
        _axis(title={"text": pick(lang, "yangi", "новые", "new")}, rangemode="tozero"),
        secondary_y=False,
    )
    fig.update_yaxes(
        _axis(
            title={"text": pick(lang, "jami", "всего", "total")}, rangemode="tozero", showgrid=False
        ),
        secondary_y=True,
    )
    return fig


def retention_heatmap_figure(
    *,
    cohorts: Sequence[str],
    cohort_sizes: Sequence[int],
    shares: Sequence[Sequence[float | None]],
    height: int | None = None,
    lang: str = "en",
) -> go.Figure:
    """Share of each cohort month's new students who took an exam k months later.

    `shares[i][k]` is the share (0–1) of cohort i active in its month + k
    (k = 0 is the cohort's own month); None where that month has not come yet.
    """
    _check_lengths(cohorts=cohorts, cohort_sizes=cohort_sizes, shares=shares)
    width = max((len(row) for row in shares), default=0)
    z: list[list[float | None]] = [
        [*_round(list(row), 4), *([None] * (width - len(row)))] for row in shares
    ]
    text = [["" if v is None else f"{v:.0%}" for v in row] for row in z]
    y_labels = [f"{c} (n={n})" for c, n in zip(cohorts, cohort_sizes, strict=True)]
    fig = go.Figure(
        go.Heatmap(
            z=z,
            x=[f"+{k}" for k in range(width)],
            y=y_labels,
            text=text,
            texttemplate="%{text}",
            textfont={"size": 11},
            colorscale=[[0.0, "rgba(62, 99, 221, 0.06)"], [1.0, ACCENT]],
            zmin=0,
            zmax=1,
            xgap=2,
            ygap=2,
            hoverongaps=False,
            colorbar={"tickformat": ".0%", "thickness": 12, "outlinewidth": 0},
            hovertemplate=pick(
                lang,
                "%{y}, %{x} oy: %{z:.0%}",
                "%{y}, месяц %{x}: %{z:.0%}",
                "%{y}, month %{x}: %{z:.0%}",
            )
            + "<extra></extra>",
        ),
        layout=_layout(height or max(220, 60 + 30 * len(cohorts))),
    )
    fig.update_xaxes(
        title={
            "text": pick(
                lang,
                "qo‘shilgandan keyingi oylar",
                "месяцы после регистрации",
                "months after joining",
            )
        },
        showgrid=False,
        side="top",
        type="category",
    )
    fig.update_yaxes(autorange="reversed", showgrid=False, type="category")
    return fig


def elo_distribution_figure(
    *,
    ratings: Histogram,
    start_rating: float = 1200.0,
    height: int = HEIGHT,
    lang: str = "en",
) -> go.Figure:
    """Students per Elo band, with the starting rating marked."""
    fig = go.Figure(
        go.Bar(
            x=_round(ratings.centers, 1),
            y=list(ratings.counts),
            width=[w * 0.95 for w in ratings.widths],
            marker={"color": ACCENT},
            customdata=[
                f"{a:.0f}–{b:.0f}"
                for a, b in zip(ratings.edges[:-1], ratings.edges[1:], strict=True)
            ],
            hovertemplate=f"Elo %{{customdata}} · {_students(lang)}: %{{y}}<extra></extra>",
            name=_students(lang),
        ),
        layout=_layout(height),
    )
    fig.add_vline(
        x=start_rating,
        line={"color": NEUTRAL, "width": 1, "dash": "dot"},
        annotation_text=pick(lang, "boshlang‘ich", "начальный", "start"),
        annotation_font={"size": 11, "color": NEUTRAL},
    )
    fig.update_xaxes(title={"text": pick(lang, "Elo reytingi", "рейтинг Elo", "Elo rating")})
    fig.update_yaxes(title={"text": _students(lang)}, rangemode="tozero")
    return fig


def participation_figure(
    *,
    exam_titles: Sequence[str],
    participants: Sequence[int],
    submitted: Sequence[int] | None = None,
    height: int = HEIGHT,
    lang: str = "en",
) -> go.Figure:
    """Students who started each exam (and of them, who submitted), oldest exam first."""
    _check_lengths(exam_titles=exam_titles, participants=participants)
    titles = list(exam_titles)
    fig = go.Figure(layout=_layout(height, legend=submitted is not None))
    fig.add_trace(
        go.Bar(
            x=titles,
            y=[int(v) for v in participants],
            name=pick(lang, "boshlaganlar", "начали", "started"),
            marker={"color": ACCENT_SOFT},
            hovertemplate=pick(
                lang, "%{x} · boshlaganlar: %{y}", "%{x} · начали: %{y}", "%{x}: %{y} started"
            )
            + "<extra></extra>",
        )
    )
    if submitted is not None:
        _check_lengths(exam_titles=exam_titles, submitted=submitted)
        fig.add_trace(
            go.Bar(
                x=titles,
                y=[int(v) for v in submitted],
                name=pick(lang, "topshirganlar", "сдали", "submitted"),
                marker={"color": ACCENT},
                hovertemplate=pick(
                    lang, "%{x} · topshirganlar: %{y}", "%{x} · сдали: %{y}", "%{x}: %{y} submitted"
                )
                + "<extra></extra>",
            )
        )
        fig.update_layout(barmode="group")
    fig.update_xaxes(type="category", title={"text": pick(lang, "imtihon", "экзамен", "exam")})
    fig.update_yaxes(title={"text": _students(lang)}, rangemode="tozero")
    return fig


def scale_progress_figure(
    *,
    exam_titles: Sequence[str],
    means: Sequence[float],
    on_common_scale: Sequence[bool],
    height: int = HEIGHT,
    lang: str = "en",
) -> go.Figure:
    """The mean scaled score of each released exam, oldest first (issue 23).

    Exams on the item bank's linked scale are joined by a line: their means compare, so
    the line is the cohort's growth, not the papers' difficulty. An exam on its own
    scale is a hollow grey point off the line (its mean says how that paper went, not
    whether the students grew).
    """
    _check_lengths(exam_titles=exam_titles, means=means, on_common_scale=on_common_scale)
    titles = list(exam_titles)
    linked = [k for k, on in enumerate(on_common_scale) if on]
    alone = [k for k, on in enumerate(on_common_scale) if not on]
    fig = go.Figure(layout=_layout(height, legend=bool(linked) and bool(alone)))
    if linked:
        fig.add_trace(
            go.Scatter(
                x=[titles[k] for k in linked],
                y=_round([means[k] for k in linked], 1),
                mode="lines+markers",
                name=pick(lang, "umumiy shkalada", "на общей шкале", "on the common scale"),
                line={"color": ACCENT, "width": 2.5},
                marker={"color": ACCENT, "size": 8},
                hovertemplate="%{x}: %{y:.1f}<extra></extra>",
            )
        )
    if alone:
        fig.add_trace(
            go.Scatter(
                x=[titles[k] for k in alone],
                y=_round([means[k] for k in alone], 1),
                mode="markers",
                name=pick(lang, "o‘z shkalasida", "на своей шкале", "on its own scale"),
                marker={
                    "color": NEUTRAL,
                    "size": 9,
                    "symbol": "circle-open",
                    "line": {"width": 2, "color": NEUTRAL},
                },
                hovertemplate="%{x}: %{y:.1f}<extra></extra>",
            )
        )
    fig.update_xaxes(
        type="category",
        categoryorder="array",
        categoryarray=titles,
        title={"text": pick(lang, "imtihon", "экзамен", "exam")},
    )
    fig.update_yaxes(
        title={"text": pick(lang, "o‘rtacha shkala bali", "средний шкальный балл", "mean scaled")},
        range=[0, 100],
    )
    return fig
