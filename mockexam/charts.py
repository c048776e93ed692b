"""Plotly figure builders: plain data in, `go.Figure` out (no database, no Reflex).

Figures are drawn for a phone inside Telegram, in light and dark themes
alike: transparent background, a grey that reads on both for text and grid,
no mode bar, no zoom (a finger scrolling the page must not pan the chart).
Plotly cannot read CSS variables, so colours are plain values here.
"""

from __future__ import annotations

import functools
import json
import math
from collections.abc import Sequence
from typing import Any

import plotly.graph_objects as go
import plotly.io as pio

# A grey with enough contrast on Telegram's white and its dark blue-black.
NEUTRAL = "#8e8e93"
GRID = "rgba(142, 142, 147, 0.22)"
# Telegram's link blue: visible on both themes.
LINE = "#3390ec"
TRANSPARENT = "rgba(0, 0, 0, 0)"
CHART_HEIGHT = 220
MAX_TICKS = 6  # date labels on the x axis of a phone-wide chart

# What the page passes as rx.plotly's `config`: no mode bar, no scroll zoom, resizes.
PLOT_CONFIG: dict[str, Any] = {
    "displayModeBar": False,
    "scrollZoom": False,
    "responsive": True,
    "doubleClick": False,
    "showTips": False,
}


def _base_layout(height: int) -> dict[str, Any]:
    axis = {
        "showgrid": True,
        "gridcolor": GRID,
        "zeroline": False,
        "showline": False,
        "fixedrange": True,
        "tickfont": {"size": 11, "color": NEUTRAL},
    }
    return {
        "template": "none",  # not plotly's 6 kB default template
        "height": height,
        "autosize": True,
        "margin": {"l": 40, "r": 14, "t": 22, "b": 30, "pad": 4},
        "paper_bgcolor": TRANSPARENT,
        "plot_bgcolor": TRANSPARENT,
        "font": {"color": NEUTRAL, "size": 11, "family": "system-ui, -apple-system, sans-serif"},
        "showlegend": False,
        "dragmode": False,
        "hovermode": "closest",
        "hoverlabel": {"font": {"size": 12}},
        "xaxis": dict(axis),
        "yaxis": dict(axis),
    }


# Shared, never-changed figures (the state vars' defaults) and their JSON, made once.
_SHARED: dict[int, tuple[go.Figure, dict[str, Any]]] = {}


def share(figure: go.Figure) -> go.Figure:
    """Register `figure` as a shared default that nothing changes in place; its JSON
    (what the state sends) is made now, once (`shared_json`)."""
    _SHARED[id(figure)] = (figure, json.loads(str(pio.to_json(figure))))
    return figure


def shared_json(figure: Any) -> dict[str, Any] | None:
    """The JSON form of a figure registered with `share`, else None."""
    found = _SHARED.get(id(figure))
    return found[1] if found is not None and found[0] is figure else None


@functools.cache
def shared_blank_figure(height: int = CHART_HEIGHT) -> go.Figure:
    """The one blank figure a state var starts from, shared, never changed in place.

    Reflex deep-copies a plain default into every state instance, and every
    tab's connect reads them all and serializes them (the whole app's state
    tree, admin states included): a Figure's deep copy re-validates it (about
    1 ms) and its JSON is another. The states assign new figures, so one shared
    default with its JSON made once (`share`) is safe.
    """
    return share(blank_figure(height))


def blank_figure(height: int = CHART_HEIGHT) -> go.Figure:
    """An empty figure with the common layout (a state var's default)."""
    return go.Figure(layout=_base_layout(height))


def elo_trend_figure(
    *,
    start_elo: float,
    elos: Sequence[float],
    tick_labels: Sequence[str],
    hover_titles: Sequence[str],
    start_label: str = "Start",
    own_scale: Sequence[bool] | None = None,
    height: int = CHART_HEIGHT,
) -> go.Figure:
    """The student's Elo rating: the starting value, then the rating after each exam.

    `elos`, `tick_labels` (short dates) and `hover_titles` (exam titles) run
    oldest first, one per released exam. Exams are evenly spaced on the x axis
    (one step each, whatever the calendar gap), position 0 is the start. Two
    traces: the line through every point, and the latest point with its value.
    `own_scale` marks the exams rated on their own rather than on the item bank's
    linked scale: their points are drawn hollow (the chart's note says why).
    """
    if not len(elos) == len(tick_labels) == len(hover_titles):
        raise ValueError("elos, tick_labels and hover_titles must have the same length")
    if own_scale is not None and len(own_scale) != len(elos):
        raise ValueError("own_scale must have one flag per exam")
    hollow = [False, *(own_scale or [False] * len(elos))]
    xs = list(range(len(elos) + 1))
    ys = [round(float(start_elo), 1), *(round(float(e), 1) for e in elos)]
    titles = [start_label, *hover_titles]
    line = go.Scatter(
        x=xs,
        y=ys,
        mode="lines+markers",
        name="elo",
        line={"color": LINE, "width": 2.5, "shape": "spline", "smoothing": 0.6},
        marker={
            "color": LINE,
            "size": [8 if h else 7 for h in hollow],
            "line": {"color": LINE, "width": 2},
            "symbol": ["circle-open" if h else "circle" for h in hollow],
        },
        customdata=titles,
        hovertemplate="%{customdata}<br><b>%{y:.0f}</b><extra></extra>",
        cliponaxis=False,
    )
    latest = go.Scatter(
        x=[xs[-1]],
        y=[ys[-1]],
        mode="markers+text",
        name="latest",
        marker={"color": LINE, "size": 11, "line": {"color": "white", "width": 2}},
        text=[f"{ys[-1]:.0f}"],
        textposition="top center",
        textfont={"color": LINE, "size": 12},
        hoverinfo="skip",
        cliponaxis=False,
    )
    low, high = min(ys), max(ys)
    pad = max(10.0, (high - low) * 0.25)
    layout = _base_layout(height)
    step = max(1, math.ceil(len(elos) / MAX_TICKS))
    shown = xs[-1:0:-step][::-1]  # every step-th exam, always the latest
    layout["xaxis"].update(
        tickmode="array",
        tickvals=shown,
        ticktext=[tick_labels[x - 1] for x in shown],
        range=[-0.35, xs[-1] + 0.35],
        showgrid=False,
    )
    layout["yaxis"].update(range=[low - pad, high + pad], nticks=4, tickformat=".0f")
    return go.Figure(data=[line, latest], layout=layout)


RIGHT = "#34c759"  # a green that reads on Telegram's light and dark backgrounds
WRONG = "rgba(142, 142, 147, 0.35)"


def topic_breakdown_figure(
    *, topics: Sequence[str], correct: Sequence[int], totals: Sequence[int], bar_height: int = 34
) -> go.Figure:
    """Right answers per topic as horizontal bars: the share right in green over the rest.

    One row per topic (first at the top), each bar 0–100 %, labelled "right/total".
    """
    if not len(topics) == len(correct) == len(totals):
        raise ValueError("topics, correct and totals must have the same length")
    if any(t <= 0 or c < 0 or c > t for c, t in zip(correct, totals, strict=True)):
        raise ValueError("every topic needs 0 ≤ right ≤ total and total > 0")
    share = [round(100 * c / t, 1) for c, t in zip(correct, totals, strict=True)]
    labels = [f"{c}/{t}" for c, t in zip(correct, totals, strict=True)]
    # The "right/total" label sits inside whichever part is longer.
    on_right = [label if s >= 50 else "" for label, s in zip(labels, share, strict=True)]
    on_rest = [label if s < 50 else "" for label, s in zip(labels, share, strict=True)]
    right = go.Bar(
        y=list(topics),
        x=share,
        orientation="h",
        name="right",
        marker={"color": RIGHT},
        text=on_right,
        textposition="inside",
        insidetextanchor="end",
        textfont={"color": "white", "size": 12},
        customdata=labels,
        hovertemplate="%{y}: %{customdata}<extra></extra>",
    )
    rest = go.Bar(
        y=list(topics),
        x=[round(100 - s, 1) for s in share],
        orientation="h",
        name="rest",
        marker={"color": WRONG},
        text=on_rest,
        textposition="inside",
        insidetextanchor="end",
        textfont={"color": NEUTRAL, "size": 12},
        hoverinfo="skip",
    )
    height = 12 + bar_height * max(1, len(topics))
    layout = _base_layout(height)
    layout.update(barmode="stack", bargap=0.35, margin={"l": 8, "r": 8, "t": 4, "b": 4, "pad": 4})
    # The bars carry their "right/total" labels: no axis numbers needed.
    layout["xaxis"].update(range=[0, 100], showticklabels=False, showgrid=False)
    layout["yaxis"].update(
        autorange="reversed", showgrid=False, automargin=True, tickfont={"size": 12}
    )
    return go.Figure(data=[right, rest], layout=layout)
