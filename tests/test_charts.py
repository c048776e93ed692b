"""The Plotly figure builders: plain data in, the expected traces and layout out."""

from __future__ import annotations

import json

import pytest

from mockexam.charts import CHART_HEIGHT, LINE, MAX_TICKS, blank_figure, elo_trend_figure


def test_elo_trend_figure_draws_the_start_then_one_point_per_exam():
    figure = elo_trend_figure(
        start_elo=1200,
        elos=[1224.6, 1211.2, 1250.0],
        tick_labels=["01.03", "08.03", "15.03"],
        hover_titles=["Week 1", "Week 2", "Week 3"],
        start_label="Start",
    )
    line, latest = figure.data
    assert line.type == "scatter" and line.mode == "lines+markers"
    assert list(line.x) == [0, 1, 2, 3]
    assert list(line.y) == [1200.0, 1224.6, 1211.2, 1250.0]
    assert list(line.customdata) == ["Start", "Week 1", "Week 2", "Week 3"]
    assert line.line.color == LINE
    assert list(latest.x) == [3] and list(latest.y) == [1250.0]
    assert list(latest.text) == ["1250"]
    assert list(figure.layout.xaxis.ticktext) == ["01.03", "08.03", "15.03"]
    assert list(figure.layout.xaxis.tickvals) == [1, 2, 3]


def test_elo_trend_figure_is_phone_and_theme_friendly():
    figure = elo_trend_figure(
        start_elo=1200, elos=[1180], tick_labels=["01.03"], hover_titles=["Week 1"]
    )
    layout = figure.layout
    assert layout.height == CHART_HEIGHT
    assert layout.paper_bgcolor == layout.plot_bgcolor == "rgba(0, 0, 0, 0)"
    assert layout.showlegend is False and layout.dragmode is False
    assert layout.xaxis.fixedrange and layout.yaxis.fixedrange
    low, high = layout.yaxis.range
    assert low < 1180 and high > 1200
    # No 6 kB default template travels with every page state.
    assert len(json.dumps(figure.to_plotly_json(), default=str)) < 3000


def test_elo_trend_figure_thins_date_labels_but_keeps_the_latest():
    n = 20
    figure = elo_trend_figure(
        start_elo=1200,
        elos=[1200 + k for k in range(n)],
        tick_labels=[f"d{k}" for k in range(n)],
        hover_titles=[f"Week {k}" for k in range(n)],
    )
    ticks = list(figure.layout.xaxis.tickvals)
    assert len(ticks) <= MAX_TICKS and ticks[-1] == n
    assert list(figure.layout.xaxis.ticktext)[-1] == f"d{n - 1}"


def test_elo_trend_figure_rejects_mismatched_inputs():
    with pytest.raises(ValueError, match="same length"):
        elo_trend_figure(start_elo=1200, elos=[1210], tick_labels=[], hover_titles=["x"])


def test_blank_figure_has_no_traces():
    figure = blank_figure()
    assert figure.data == () and figure.layout.height == CHART_HEIGHT


def test_topic_breakdown_figure_stacks_the_share_right_over_the_rest():
    from mockexam.charts import topic_breakdown_figure

    figure = topic_breakdown_figure(topics=["Algebra", "Geometry"], correct=[1, 0], totals=[2, 1])
    right, rest = figure.data
    assert list(right.y) == ["Algebra", "Geometry"] and right.orientation == "h"
    assert list(right.x) == [50.0, 0.0] and list(rest.x) == [50.0, 100.0]
    assert list(right.text) == ["1/2", ""] and list(rest.text) == ["", "0/1"]
    assert list(right.customdata) == ["1/2", "0/1"]
    assert figure.layout.barmode == "stack"
    assert figure.layout.yaxis.autorange == "reversed"
    assert list(figure.layout.xaxis.range) == [0, 100]
    with pytest.raises(ValueError):
        topic_breakdown_figure(topics=["A"], correct=[2], totals=[1])
    with pytest.raises(ValueError):
        topic_breakdown_figure(topics=["A", "B"], correct=[1], totals=[1])


def test_shared_default_figures_serialize_once_and_as_reflex_would(monkeypatch):
    import plotly.io as pio
    from reflex_base.utils.serializers import serialize, serialize_figure

    from mockexam import admin_charts, charts
    from mockexam.student.history import HistoryState
    from mockexam.student.practice_session import PracticeSessionState
    from mockexam.ui import figures  # registers the serializer

    shared = [
        charts.shared_blank_figure(),
        charts.shared_blank_figure(80),
        admin_charts.shared_blank_admin_figure(),
    ]
    expected = [serialize_figure(f) for f in shared]  # Reflex's own, through to_json
    fresh = elo_trend_figure(
        start_elo=1500, elos=[1510.0], tick_labels=["Mar 1"], hover_titles=["Mock 1"]
    )
    fresh_expected = serialize_figure(fresh)

    def no_json(*_args, **_kwargs):
        raise AssertionError("a shared default went through to_json again")

    monkeypatch.setattr(pio, "to_json", no_json)
    assert [serialize(f) for f in shared] == expected
    assert [figures.serialize_figure(f) for f in shared] == expected
    with pytest.raises(AssertionError, match="to_json again"):
        serialize(fresh)  # any other figure is serialized as Reflex does
    monkeypatch.undo()
    assert serialize(fresh) == fresh_expected
    assert charts.shared_json(blank_figure()) is None  # equal, but not the shared one
    # The states' figure defaults are the shared figures.
    defaults = {
        "history": HistoryState.get_fields()["elo_figure"].default_value(),
        "practice": PracticeSessionState.get_fields()["topic_figure"].default_value(),
    }
    assert all(charts.shared_json(f) is not None for f in defaults.values()), defaults


def test_elo_trend_draws_exams_off_the_linked_scale_hollow():
    figure = elo_trend_figure(
        start_elo=1200,
        elos=[1210, 1190, 1230],
        tick_labels=["1 Dec", "8 Dec", "15 Dec"],
        hover_titles=["A", "B", "C"],
        own_scale=[True, False, False],
    )
    line = figure.data[0]
    assert list(line.marker.symbol) == ["circle", "circle-open", "circle", "circle"]
    plain = elo_trend_figure(start_elo=1200, elos=[1210], tick_labels=["1 Dec"], hover_titles=["A"])
    assert list(plain.data[0].marker.symbol) == ["circle", "circle"]
    with pytest.raises(ValueError, match="own_scale"):
        elo_trend_figure(
            start_elo=1200, elos=[1210], tick_labels=["x"], hover_titles=["A"], own_scale=[]
        )
