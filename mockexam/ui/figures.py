"""Reflex's serializer for Plotly figures, with the shared defaults' JSON made once.

Every tab's connect (hydrate) serializes the whole app's state tree — admin
chart states included — and compares each var with its default, so each figure
var's default went through `plotly.io.to_json` twice per connect: the largest
part of a connect in a py-spy profile of 5,000 students connecting in one
minute (bench/load_bench.py). The defaults are shared figures that nothing
changes in place (`mockexam.charts.share`); their JSON is made once. Any other
figure is serialized as Reflex does.
"""

from __future__ import annotations

from typing import Any

import plotly.graph_objects as go
import reflex as rx
from reflex_base.utils.serializers import serialize_figure as reflex_serialize_figure

from mockexam.charts import shared_json


@rx.serializer(overwrite=True)
def serialize_figure(figure: go.Figure) -> dict[str, Any]:
    """A shared default's JSON made once (`mockexam.charts.share`), else Reflex's own."""
    cached = shared_json(figure)
    return cached if cached is not None else reflex_serialize_figure(figure)
