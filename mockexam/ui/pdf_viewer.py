"""The exam's question paper: a phone-first PDF viewer (pdf.js, bundled from npm).

One page at a time, fit to the width of the viewer, with previous/next page,
zoom out / fit / zoom in buttons and a two-finger pinch. A `url` starting with
"/" is fetched from the Reflex backend (another port in dev), any other URL
as it is (it must allow the app's origin: pdf.js fetches it). The React side
is `assets/pdf_viewer.jsx`.
"""

from __future__ import annotations

from typing import TypedDict

import reflex as rx

PDFJS = "pdfjs-dist@4.10.38"


class PdfLabels(TypedDict, total=False):
    """The viewer's words, in the student's language (English by default)."""

    loading: str
    error: str
    page: str
    zoomIn: str
    zoomOut: str
    fit: str
    prev: str
    next: str


LABEL_KEYS: tuple[str, ...] = tuple(PdfLabels.__annotations__)


class PdfViewer(rx.Component):
    """A PDF on a canvas with page and zoom controls.

    Props:
        url: the PDF; "/path" is resolved against the Reflex backend.
            "" shows the loading state.
        labels: {loading, error, page, zoomIn, zoomOut, fit, prev, next}.
        height: CSS height of the scrolling page box (default "70dvh").
    """

    library = "$/public/pdf_viewer.jsx"
    tag = "PdfViewer"
    lib_dependencies: list[str] = [PDFJS]  # noqa: RUF012 (Reflex field)

    url: rx.Var[str]
    labels: rx.Var[dict[str, str]]
    height: rx.Var[str]


def pdf_viewer(
    url: str | rx.Var[str],
    labels: PdfLabels | dict[str, str] | rx.Var[dict[str, str]] | None = None,
    height: str | rx.Var[str] = "70dvh",
    **props: object,
) -> rx.Component:
    """The question paper viewer; `labels` keys are listed in `PdfLabels`."""
    if isinstance(labels, dict):
        unknown = set(labels) - set(LABEL_KEYS)
        if unknown:
            raise ValueError(f"unknown PDF viewer labels: {sorted(unknown)}")
    return PdfViewer.create(
        url=url, labels={} if labels is None else labels, height=height, **props
    )
