"""The public verification page of a certificate, `/verify/<code>` (the QR code's link).

Anyone with the code may open it: it shows what the certificate says — the name, the
exam and its date, the official result, the scaled score ± SE, the grade, the
percentile, the sections of a block test, the notes — and nothing more (no student id,
no Telegram account, no answers). A superseded code says it was replaced and when,
and shows none of its old facts; an unknown or malformed code says so. The page opens
in the certificate's language and can be switched. The facts come from the stored
certificate (services/certificates.verify), never from the URL beyond the code.
"""

from __future__ import annotations

import logging
from datetime import date
from typing import Any, TypedDict

import reflex as rx
from sqlalchemy.exc import SQLAlchemyError

from mockexam.certificates.labels import format_decimal, format_long_date, format_score_points
from mockexam.localtime import to_local
from mockexam.services import certificates
from mockexam.ui import theme
from mockexam.ui.document_language import document_language
from mockexam.ui.i18n import LANGUAGE_CODES, known_language, make_tr, pick
from mockexam.ui.layout import mobile_page, section_card

logger = logging.getLogger(__name__)

VERIFY_ROUTE = "/verify/[code]"


class SectionRow(TypedDict):
    name: str
    score: str


class VerifyState(rx.State):
    """One code's verification, read on every visit."""

    lang: str = "uz"
    status: str = ""  # valid, superseded, unknown ("" while loading)
    failed: bool = False
    code: str = ""
    name: str = ""
    exam_title: str = ""
    exam_date: str = ""
    official: str = ""
    official_is_points: bool = False
    points: str = ""  # "34 / 55 ball" ("" when the certificate has no points)
    scaled: str = ""
    grade: str = ""
    percentile: str = ""
    linked: bool = False
    provisional: bool = False
    sections: list[SectionRow] = []
    issued: str = ""
    superseded: str = ""

    _found: certificates.Verification | None = None

    @rx.event
    async def load(self):
        """Read the code in the URL (lenient: case, dashes, O for 0) and show what it says."""
        typed = self.router.page.params.get("code", "")
        try:
            found = await rx.run_in_thread(lambda: certificates.verify(typed))
        except SQLAlchemyError:
            logger.exception("verification of a certificate code failed in the database")
            self.failed, self.status = True, ""
            return
        self.failed = False
        self._found = found
        if found.status == certificates.VALID:
            self.lang = known_language(found.lang)
        self._show()

    @rx.event
    def choose_language(self, lang: str | list[str]):
        """Read the page in another language (the facts stay as the certificate has them)."""
        if isinstance(lang, str) and lang in LANGUAGE_CODES:
            self.lang = lang
            self._show()

    def _show(self) -> None:
        found, lang = self._found, self.lang
        self.status = found.status if found is not None else certificates.UNKNOWN
        self.code = found.code if found is not None else ""
        facts: dict[str, Any] = (found.facts or {}) if found is not None else {}
        self.issued = _day(found.issued_at, lang) if found and found.issued_at else ""
        self.superseded = _day(found.superseded_at, lang) if found and found.superseded_at else ""
        if not facts:
            self.name = self.exam_title = self.exam_date = ""
            self.official = self.scaled = self.grade = self.percentile = self.points = ""
            self.sections = []
            self.linked = self.provisional = self.official_is_points = False
            return
        self.name = facts.get("student_name", "")
        self.exam_title = facts.get("exam_title", "")
        self.exam_date = format_long_date(date.fromisoformat(facts["exam_date"]), lang)
        self.provisional = bool(facts.get("is_provisional"))
        self.linked = bool(facts.get("on_linked_scale"))
        scaled = format_decimal(facts["scaled_score"], lang)
        se = facts.get("scaled_score_se")
        self.scaled = scaled if se is None else f"{scaled} ± {format_decimal(se, lang)}"
        self.official_is_points = facts.get("official_kind") == "points"
        self.points = _points_text(facts.get("points"), facts.get("max_points"), lang)
        self.official = self.points if self.official_is_points and self.points else self.scaled
        self.grade = facts.get("grade") or ""
        percentile = facts.get("percentile")
        self.percentile = (
            ""
            if percentile is None
            else pick(
                lang,
                f"ishtirokchilarning {percentile:.0f}% idan yuqori",
                f"выше, чем у {percentile:.0f}% участников",
                f"higher than {percentile:.0f}% of takers",
            )
        )
        self.sections = [
            {
                "name": s["name"],
                "score": f"{format_score_points(s['points'], lang)} / "
                f"{format_score_points(s['max_points'], lang)}",
            }
            for s in facts.get("sections", [])
        ]


def _points_text(points: float | None, most: float | None, lang: str) -> str:
    if points is None:
        return ""
    got = format_score_points(points, lang)
    if most is None:
        return got
    top = format_score_points(most, lang)
    return pick(lang, f"{got} / {top} ball", f"{got} из {top} баллов", f"{got} of {top} points")


def _day(moment: Any, lang: str) -> str:
    return format_long_date(to_local(moment).date(), lang)


tr = make_tr(VerifyState.lang)


def _row(label: rx.Var[str], value: rx.Var | str, row_id: str) -> rx.Component:
    return rx.hstack(
        rx.text(label, color=theme.HINT, size="2"),
        rx.spacer(),
        rx.text(value, weight="bold", size="3", id=row_id, text_align="right"),
        width="100%",
        align="baseline",
    )


def _languages() -> rx.Component:
    return rx.segmented_control.root(
        *(rx.segmented_control.item(code.upper(), value=code) for code in LANGUAGE_CODES),
        value=VerifyState.lang,
        on_change=VerifyState.choose_language,
        size="1",
        id="verify-language",
    )


def _valid() -> rx.Component:
    return section_card(
        rx.vstack(
            rx.callout(
                tr(
                    "Sertifikat haqiqiy: quyidagilar unda yozilgan.",
                    "Сертификат подлинный: ниже — то, что в нём написано.",
                    "This certificate is genuine: below is what it says.",
                ),
                icon="badge_check",
                color_scheme="green",
                width="100%",
                id="verify-valid",
            ),
            rx.heading(VerifyState.name, size="6", id="verify-name"),
            rx.text(VerifyState.exam_title, weight="medium", id="verify-exam"),
            rx.text(VerifyState.exam_date, color=theme.HINT, size="2", id="verify-date"),
            rx.divider(),
            _row(
                tr("Rasmiy natija", "Официальный результат", "Official result"),
                VerifyState.official,
                "verify-official",
            ),
            rx.cond(
                VerifyState.official_is_points,
                _row(
                    tr("Shkala bali", "Шкальный балл", "Scaled score"),
                    VerifyState.scaled,
                    "verify-scaled",
                ),
                rx.cond(
                    VerifyState.points != "",
                    _row(tr("Ball", "Баллы", "Points"), VerifyState.points, "verify-points"),
                ),
            ),
            rx.cond(
                VerifyState.grade != "",
                _row(tr("Baho", "Оценка", "Grade"), VerifyState.grade, "verify-grade"),
            ),
            rx.cond(
                VerifyState.percentile != "",
                _row(
                    tr("Persentil", "Процентиль", "Percentile"),
                    VerifyState.percentile,
                    "verify-percentile",
                ),
            ),
            rx.cond(
                VerifyState.sections.length() > 0,
                rx.vstack(
                    rx.foreach(
                        VerifyState.sections,
                        lambda s: rx.hstack(
                            rx.text(s["name"], size="2"),
                            rx.spacer(),
                            rx.text(s["score"], size="2", weight="medium"),
                            width="100%",
                            class_name="verify-section",
                        ),
                    ),
                    width="100%",
                    spacing="1",
                ),
            ),
            rx.cond(
                VerifyState.linked,
                rx.text(
                    tr(
                        "Shkala bali bog‘langan shkalada: boshqa bog‘langan imtihonlar bilan "
                        "solishtiriladi.",
                        "Шкальный балл на связанной шкале: сравним с другими связанными "
                        "экзаменами.",
                        "The scaled score is on the linked scale: it compares with other "
                        "linked exams.",
                    ),
                    size="1",
                    color=theme.HINT,
                    id="verify-linked",
                ),
            ),
            rx.cond(
                VerifyState.provisional,
                rx.text(
                    tr(
                        "Dastlabki natija: ishtirokchilar kalibrlash uchun kam edi, ball — "
                        "to‘g‘ri javoblar foizi.",
                        "Предварительный результат: участников было мало для калибровки, "
                        "балл — процент верных ответов.",
                        "Provisional result: too few took the exam to calibrate it; the score "
                        "is the percentage of points.",
                    ),
                    size="1",
                    color=theme.HINT,
                    id="verify-provisional",
                ),
            ),
            rx.divider(),
            rx.text(
                tr("Berilgan: ", "Выдан: ", "Issued: "),
                VerifyState.issued,
                " · ",
                tr("kod ", "код ", "code "),
                rx.code(VerifyState.code, id="verify-code"),
                size="1",
                color=theme.HINT,
            ),
            spacing="3",
            width="100%",
            align="start",
        )
    )


def _superseded() -> rx.Component:
    return section_card(
        rx.callout(
            rx.vstack(
                rx.text(
                    tr(
                        "Bu sertifikat almashtirilgan",
                        "Этот сертификат заменён",
                        "This certificate was replaced",
                    ),
                    weight="bold",
                ),
                rx.text(
                    tr(
                        "Natija qayta hisoblangani uchun ",
                        "Результат пересчитан, и ",
                        "The result was recalculated, and a new certificate was issued on ",
                    ),
                    VerifyState.superseded,
                    tr(
                        " yangi sertifikat berildi. Egasidan amaldagi sertifikatni so‘rang.",
                        " выдан новый сертификат. Попросите у владельца действующий.",
                        ". Ask its holder for the current one.",
                    ),
                ),
                rx.text(tr("Kod: ", "Код: ", "Code: "), rx.code(VerifyState.code), size="1"),
                spacing="1",
            ),
            icon="triangle_alert",
            color_scheme="amber",
            id="verify-superseded",
        )
    )


def _unknown() -> rx.Component:
    return section_card(
        rx.callout(
            rx.vstack(
                rx.text(
                    tr("Bunday sertifikat yo‘q", "Такого сертификата нет", "No such certificate"),
                    weight="bold",
                ),
                rx.text(
                    tr(
                        "Sertifikatdagi kodni tekshiring: 10 ta harf va raqam, masalan "
                        "K7Q2M-9XDPA.",
                        "Проверьте код на сертификате: 10 букв и цифр, например K7Q2M-9XDPA.",
                        "Check the code on the certificate: 10 letters and digits, like "
                        "K7Q2M-9XDPA.",
                    )
                ),
                spacing="1",
            ),
            icon="circle_x",
            color_scheme="red",
            id="verify-unknown",
        )
    )


def verify_page() -> rx.Component:
    return mobile_page(
        # <html lang>: the page's language once the code is read (the certificate's).
        document_language(rx.cond(VerifyState.status != "", VerifyState.lang, "")),
        rx.hstack(
            rx.vstack(
                rx.text("mockexam", weight="bold", color=theme.ACCENT, size="2"),
                rx.heading(
                    tr("Sertifikatni tekshirish", "Проверка сертификата", "Certificate check"),
                    size="5",
                ),
                spacing="0",
            ),
            rx.spacer(),
            _languages(),
            width="100%",
            align="center",
        ),
        rx.cond(
            VerifyState.failed,
            section_card(
                rx.text(
                    tr(
                        "Hozir tekshirib bo‘lmadi: birozdan keyin qayta urinib ko‘ring.",
                        "Сейчас проверить не удалось: попробуйте чуть позже.",
                        "The check is unavailable right now: try again shortly.",
                    ),
                    id="verify-failed",
                )
            ),
            rx.match(
                VerifyState.status,
                (certificates.VALID, _valid()),
                (certificates.SUPERSEDED, _superseded()),
                (certificates.UNKNOWN, _unknown()),
                rx.center(rx.spinner(size="3"), width="100%", padding="2rem"),
            ),
        ),
    )


VERIFY_ON_LOAD = [VerifyState.load]
