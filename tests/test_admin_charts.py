"""The admin figure builders: plain data in, the expected traces, axes and sizes out."""

from __future__ import annotations

import json
import math
import re

import numpy as np
import pytest

from mockexam import admin_charts as charts

CARTESIAN_TRACES = {"scatter", "bar", "heatmap"}  # what plotly.js-cartesian-dist-min draws


def _size(figure) -> int:
    return len(json.dumps(figure.to_plotly_json(), default=str))


def test_histogram_bins_on_multiples_of_the_width_and_keeps_every_value():
    values = [-4.9, -0.1, 0.0, 0.1, 0.24, 0.26, 3.99, float("nan")]
    hist = charts.histogram(values, width=0.25)
    assert hist.edges[0] == -5.0 and hist.edges[-1] == 4.0
    assert sum(hist.counts) == 7  # the NaN is left out, nothing else
    assert len(hist.edges) == len(hist.counts) + 1
    assert hist.counts[hist.edges.index(0.0)] == 3  # 0.0, 0.1, 0.24
    assert hist.centers[0] == pytest.approx(-4.875)


def test_histogram_clamps_values_outside_the_given_range_into_the_end_bins():
    hist = charts.histogram([-10, 0.5, 10], width=1, low=-2, high=2)
    assert hist.edges == (-2.0, -1.0, 0.0, 1.0, 2.0, 3.0)
    assert hist.counts[0] == 1 and hist.counts[-1] == 1 and sum(hist.counts) == 3


def test_histogram_of_nothing_is_one_empty_bin():
    hist = charts.histogram([], width=50)
    assert sum(hist.counts) == 0 and len(hist.counts) >= 1


def test_histogram_rejects_a_zero_width():
    with pytest.raises(ValueError, match="positive"):
        charts.histogram([1, 2], width=0)


def test_wright_map_puts_persons_and_items_on_one_logit_axis():
    persons = charts.histogram(np.random.default_rng(3).normal(0.5, 1, 500), width=0.5)
    figure = charts.wright_map_figure(
        persons=persons,
        item_labels=["1", "2", "36a"],
        item_betas=[-1.2, 0.4, 5.1],
        flagged=["2"],
    )
    bars, items = figure.data
    assert bars.type == "bar" and bars.orientation == "h"
    assert sum(bars.x) == 500
    assert items.type == "scatter" and list(items.text) == ["1", "2", "36a"]
    assert list(items.y) == [-1.2, 0.4, 5.1]
    assert items.marker.color[1] == charts.BAD and items.marker.color[0] == charts.ACCENT
    # One shared logit axis that reaches the hardest item.
    assert figure.layout.yaxis2.matches == "y" or figure.layout.yaxis.range == tuple(
        figure.layout.yaxis2.range
    )
    assert figure.layout.yaxis.range[1] > 5.1
    assert figure.layout.xaxis.autorange == "reversed"  # persons grow leftwards


def test_difficulty_facility_plots_percent_against_beta_and_skips_missing_values():
    figure = charts.difficulty_facility_figure(
        item_labels=["1", "2", "3"],
        betas=[-1.0, None, 2.0],
        facilities=[0.8, 0.5, 0.123456],
        flagged=["3"],
    )
    (points,) = figure.data
    assert list(points.x) == [80.0, 50.0, 12.3]
    assert list(points.y) == [-1.0, None, 2.0]
    assert points.marker.color == (charts.ACCENT, charts.ACCENT, charts.BAD)


def test_fit_figure_shades_the_band_and_enlarges_items_outside_it():
    figure = charts.fit_figure(
        item_labels=["1", "2", "3"],
        infit=[1.0, 1.45, 0.6],
        outfit=[0.9, None, 1.2],
        low=0.7,
        high=1.3,
    )
    infit, outfit = figure.data
    assert infit.name == "infit" and outfit.name == "outfit"
    assert list(infit.marker.size) == [7, 11, 11]
    assert list(outfit.y) == [0.9, None, 1.2]
    (band,) = figure.layout.shapes
    assert (band.y0, band.y1) == (0.7, 1.3)
    assert figure.layout.xaxis.type == "category"


def test_icc_draws_the_rasch_curve_through_one_half_at_beta_and_the_observed_groups():
    figure = charts.icc_figure(
        label="12",
        beta=0.8,
        group_thetas=[-1.5, 0.0, 1.5],
        group_proportions=[0.1, 0.35, 0.7],
        group_sizes=[40, 80, 40],
    )
    model, observed = figure.data
    xs, ys = np.array(model.x, dtype=float), np.array(model.y, dtype=float)
    assert np.interp(0.8, xs, ys) == pytest.approx(0.5, abs=0.01)
    assert bool(np.all(np.diff(ys) >= 0))
    assert list(observed.y) == [0.1, 0.35, 0.7]
    assert list(observed.customdata) == [40, 80, 40]
    assert observed.marker.size[1] > observed.marker.size[0]


def test_option_choice_bars_mark_the_key_and_blanks():
    figure = charts.option_choice_figure(
        label="7", options=["A", "B", "C", "D"], counts=[5, 20, 3, 2], correct="b", blank=10
    )
    (bars,) = figure.data
    assert list(bars.x) == ["A", "B", "C", "D", "blank"]
    assert list(bars.y) == [5, 20, 3, 2, 10]
    assert bars.marker.color[1] == charts.GOOD and bars.marker.color[4] == charts.NEUTRAL
    assert list(bars.text)[1] == "50%"


def test_score_distribution_with_mean_line():
    figure = charts.score_distribution_figure(
        scores=[0, 1, 2, 3], counts=[1, 4, 4, 1], mean=1.5, x_title="points"
    )
    (bars,) = figure.data
    assert list(bars.y) == [1, 4, 4, 1]
    assert figure.layout.shapes[0].x0 == 1.5


def test_user_growth_adds_a_running_total_on_a_second_axis():
    figure = charts.user_growth_figure(
        months=["2025-01", "2025-02", "2025-03"], new_students=[3, 0, 5]
    )
    bars, total = figure.data
    assert list(bars.y) == [3, 0, 5]
    assert list(total.y) == [3, 3, 8]
    assert total.yaxis == "y2"


def test_retention_heatmap_pads_months_that_have_not_come_yet():
    figure = charts.retention_heatmap_figure(
        cohorts=["2025-01", "2025-02"],
        cohort_sizes=[10, 4],
        shares=[[1.0, 0.5, 0.25], [1.0, 0.75]],
    )
    (heat,) = figure.data
    assert heat.type == "heatmap"
    assert [list(row) for row in heat.z] == [[1.0, 0.5, 0.25], [1.0, 0.75, None]]
    assert list(heat.x) == ["+0", "+1", "+2"]
    assert list(heat.y) == ["2025-01 (n=10)", "2025-02 (n=4)"]
    assert heat.text[1][2] == "" and heat.text[0][1] == "50%"


def test_elo_distribution_marks_the_starting_rating():
    ratings = charts.histogram([1100, 1190, 1210, 1400], width=100)
    figure = charts.elo_distribution_figure(ratings=ratings)
    (bars,) = figure.data
    assert sum(bars.y) == 4
    assert figure.layout.shapes[0].x0 == 1200


def test_participation_groups_started_and_submitted():
    figure = charts.participation_figure(
        exam_titles=["Week 1", "Week 2"], participants=[10, 12], submitted=[9, 12]
    )
    started, submitted = figure.data
    assert list(started.y) == [10, 12] and list(submitted.y) == [9, 12]
    assert figure.layout.barmode == "group"


def test_scale_progress_joins_the_linked_exams_and_leaves_the_others_hollow():
    figure = charts.scale_progress_figure(
        exam_titles=["W1", "W2", "W3", "W4"],
        means=[48.0, 52.5, 61.0, 55.25],
        on_common_scale=[True, True, False, True],
    )
    linked, alone = figure.data
    assert list(linked.x) == ["W1", "W2", "W4"] and list(linked.y) == [48.0, 52.5, 55.2]
    assert linked.mode == "lines+markers"
    assert list(alone.x) == ["W3"] and alone.mode == "markers"
    assert alone.marker.symbol == "circle-open"
    assert list(figure.layout.xaxis.categoryarray) == ["W1", "W2", "W3", "W4"]
    (only,) = charts.scale_progress_figure(
        exam_titles=["W1"], means=[50.0], on_common_scale=[False]
    ).data
    assert only.marker.symbol == "circle-open"


@pytest.mark.parametrize(
    ("builder", "kwargs"),
    [
        (
            charts.scale_progress_figure,
            {"exam_titles": ["a"], "means": [1.0], "on_common_scale": [True, False]},
        ),
        (charts.difficulty_facility_figure, {"item_labels": ["1"], "betas": [], "facilities": [1]}),
        (charts.fit_figure, {"item_labels": ["1", "2"], "infit": [1], "outfit": [1, 1]}),
        (
            charts.option_choice_figure,
            {"label": "1", "options": ["A"], "counts": [], "correct": "A"},
        ),
        (charts.participation_figure, {"exam_titles": ["a"], "participants": [1, 2]}),
    ],
)
def test_builders_reject_mismatched_columns(builder, kwargs):
    with pytest.raises(ValueError, match="same length"):
        builder(**kwargs)


def test_every_admin_figure_is_cartesian_small_and_template_free():
    rng = np.random.default_rng(5)
    labels = [str(n) for n in range(1, 56)]
    betas = rng.normal(0, 1, 55).tolist()
    figures = [
        charts.wright_map_figure(
            persons=charts.histogram(rng.normal(0, 1, 100_000), width=0.25),
            item_labels=labels,
            item_betas=betas,
        ),
        charts.difficulty_facility_figure(
            item_labels=labels, betas=betas, facilities=rng.random(55).tolist()
        ),
        charts.fit_figure(
            item_labels=labels, infit=rng.random(55).tolist(), outfit=rng.random(55).tolist()
        ),
        charts.icc_figure(
            label="1",
            beta=0,
            group_thetas=[-1, 1],
            group_proportions=[0.3, 0.7],
            group_sizes=[5, 5],
        ),
        charts.score_distribution_figure(scores=list(range(56)), counts=[3] * 56),
        charts.retention_heatmap_figure(
            cohorts=[f"2025-{m:02d}" for m in range(1, 13)],
            cohort_sizes=[10] * 12,
            shares=[[0.5] * (12 - m) for m in range(12)],
        ),
        charts.blank_admin_figure(message="No data yet"),
    ]
    for figure in figures:
        assert {trace.type for trace in figure.data} <= CARTESIAN_TRACES
        assert (
            len(json.dumps(figure.layout.template.to_plotly_json())) < 100
        )  # "none", not plotly's
        assert figure.layout.paper_bgcolor == charts.TRANSPARENT
        assert _size(figure) < 20_000
        json_text = json.dumps(figure.to_plotly_json(), default=str)
        assert "NaN" not in json_text and not math.isnan(figure.layout.height)


def _figure_texts(figure) -> list[str]:
    """Every word a reader sees: titles, axis names, legend names, annotations, hovers."""
    layout = figure.layout
    texts = [a.text for a in layout.annotations or ()]
    for name in dir(layout):
        if name.startswith(("xaxis", "yaxis")) and getattr(layout, name) is not None:
            axis = getattr(layout, name)
            if axis.title and axis.title.text:
                texts.append(axis.title.text)
    for trace in figure.data:
        texts += [trace.name or "", getattr(trace, "hovertemplate", None) or ""]
    return [t for t in texts if t]


@pytest.mark.parametrize("lang", ["ru", "uz"])
def test_every_admin_figure_speaks_the_readers_language(lang):
    rng = np.random.default_rng(7)
    labels = ["1", "2", "3"]
    figures = [
        charts.wright_map_figure(
            persons=charts.histogram(rng.normal(0, 1, 50), width=0.5),
            item_labels=labels,
            item_betas=[-1.0, 0.0, 1.0],
            lang=lang,
        ),
        charts.difficulty_facility_figure(
            item_labels=labels, betas=[0, 1, 2], facilities=[0.2, 0.5, 0.9], lang=lang
        ),
        charts.fit_figure(item_labels=labels, infit=[1, 1, 1], outfit=[1, 1, 1], lang=lang),
        charts.icc_figure(
            label="7",
            beta=0,
            group_thetas=[-1, 1],
            group_proportions=[0.3, 0.7],
            group_sizes=[5, 5],
            lang=lang,
        ),
        charts.option_choice_figure(
            label="7", options=["A", "B"], counts=[1, 2], correct="A", blank=1, lang=lang
        ),
        charts.score_distribution_figure(scores=[1, 2], counts=[3, 4], mean=1.5, lang=lang),
        charts.user_growth_figure(months=["2025-01"], new_students=[3], lang=lang),
        charts.retention_heatmap_figure(
            cohorts=["2025-01"], cohort_sizes=[3], shares=[[1.0]], lang=lang
        ),
        charts.elo_distribution_figure(
            ratings=charts.histogram([1200, 1300], width=100), lang=lang
        ),
        charts.participation_figure(
            exam_titles=["Week 1"], participants=[3], submitted=[2], lang=lang
        ),
    ]
    english = re.compile(
        r"\b(students?|persons?|items?|facility|difficulty|ability|logits|correct|mean|month|"
        r"months|new|total|started|submitted|exam|blank|key|observed|start|points)\b"
    )
    for figure in figures:
        texts = _figure_texts(figure)
        assert texts
        for text in texts:
            assert not english.search(text), text
        if lang == "ru":
            assert any(re.search("[а-я]", text) for text in texts)
    score = charts.score_distribution_figure(scores=[1], counts=[1], mean=1.25, lang=lang)
    assert score.layout.annotations[0].text.endswith("1,2")  # the decimal comma
