"""Certificates, progress reports and share cards: plain facts in, PDF or PNG bytes out.

No database, no Reflex, no Huey, no Telegram: the services build the facts
(`CertificateFacts`, `ProgressReport`), store the bytes and serve them; this
package only draws. Text is in the reader's language (`labels.py`) with the
embedded Noto fonts from assets/fonts/ (`fonts.py`).

Why reportlab, and not the fpdf2 that the demo paper uses: the same test page
with four embedded TTF faces took 116 ms in fpdf2 2.8.9 (it re-parses and
re-subsets each font through fontTools for every document) and 11 ms in
reportlab 5.1.0, which parses a font once per process; the bulk ZIP of 2,000
certificates has a 60 s budget on two cores (bench/certificate_bench.py).
"""

from mockexam.certificates.certificate import render_certificate
from mockexam.certificates.facts import (
    CertificateFacts,
    EloPoint,
    ProgressReport,
    ReportExam,
    SectionScore,
    TopicStrength,
)
from mockexam.certificates.report import render_report
from mockexam.certificates.share_card import render_share_card

__all__ = [
    "CertificateFacts",
    "EloPoint",
    "ProgressReport",
    "ReportExam",
    "SectionScore",
    "TopicStrength",
    "render_certificate",
    "render_report",
    "render_share_card",
]
