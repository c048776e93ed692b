"""Scale and copying of a released exam `/admin/exams/<id>/integrity`.

Two cards. **Scale**: how the exam was put on the item bank's scale at release
(services/linking.py) — defined it, linked through N common items (the shift in
logits and in scaled points, ± its SE), or not linked and why — with the common items
used and the ones dropped for drifting, each with its displacement. **Copying**: the
pairs of students whose agreement is improbable for independent work
(services/copying.py), most improbable first, with the evidence a person weighs:
agreements against the number expected, the identical wrong answers and where, both
sessions' times, and whether they answered from the same device. Evidence, never a
verdict: nothing is done to the students.

Admins and owners only (the default capability, MANAGE): a pair names two students.
"""

from __future__ import annotations

from typing import TypedDict

import reflex as rx

from mockexam.admin.auth import ADMIN_ROOT, FAILED, AdminState
from mockexam.admin.components import USER_CONTENT, confirm_dialog, header_row
from mockexam.admin.exam_form import local_text
from mockexam.admin.i18n import t
from mockexam.admin.layout import admin_page, card, error_callout, success_callout
from mockexam.api import EXPORT_ROOT
from mockexam.models import LinkStatus
from mockexam.scoring.grades import POINTS_PER_LOGIT
from mockexam.services import copying, linking
from mockexam.services.exam_results import ExportFile
from mockexam.services.transactions import in_session
from mockexam.ui.backend import BACKEND_ORIGIN

INTEGRITY_ROUTE = f"{ADMIN_ROOT}/exams/[exam_id]/integrity"


class DropView(TypedDict):
    code: str
    displacement: str
    reanchored: bool


class PairView(TypedDict):
    name_a: str
    name_b: str
    times_a: str
    times_b: str
    agreements: str
    identical_wrong: int
    wrong_items: str
    p_value: str
    same_device: bool


def _signed(value: float, digits: int = 2) -> str:
    return f"{value:+.{digits}f}".replace("-", "−")


def _times(side: copying.Side) -> str:
    end = local_text(side.submitted_at) if side.submitted_at else "—"
    return f"{local_text(side.started_at)} → {end}"


def _pair_view(p: copying.PairEvidence) -> PairView:
    shown = ", ".join(f"{label}: {value}" for label, value in p.wrong_items[:12])
    if len(p.wrong_items) > 12:
        shown += f" … (+{len(p.wrong_items) - 12})"
    return {
        "name_a": p.a.name,
        "name_b": p.b.name,
        "times_a": _times(p.a),
        "times_b": _times(p.b),
        "agreements": f"{p.matches} / {p.expected:.1f}",
        "identical_wrong": p.identical_wrong,
        "wrong_items": shown,
        "p_value": f"{p.p_value:.1e}",
        "same_device": p.same_device,
    }


class IntegrityState(AdminState):
    exam_id: int = 0
    title: str = ""
    released: bool = False
    link_status: str = ""
    shift: str = ""
    shift_points: str = ""
    common: int = 0
    used: list[str] = []
    dropped: list[DropView] = []
    added: int = 0
    reanchored: list[str] = []
    elo_rating: str = ""
    elo_from_paper: bool = False
    pairs: list[PairView] = []
    loaded: bool = False
    error: str = ""
    notice: str = ""

    def _forget(self) -> None:
        self.reset()

    @rx.event
    async def load(self):
        if await self._require_admin() is None:
            return
        exam_id = self._route_id()
        if exam_id is None:
            self._forget()
            return
        self.error = ""
        if exam_id != self.exam_id:
            self.notice = ""
        result = await self._service(
            in_session(lambda db: copying.exam_integrity(db, exam_id), readonly=True)
        )
        if result is FAILED:
            return
        exam = result
        if exam is None:
            self._forget()
            self.error = self._text(
                "Bunday imtihon yo‘q.", "Такого экзамена нет.", "This exam does not exist."
            )
            return
        report = exam.link_report or {}
        self.exam_id, self.title = exam_id, exam.title
        self.reanchored = [str(c) for c in report.get("reanchored", [])]
        self.elo_rating = "" if exam.elo_rating is None else f"{exam.elo_rating:.0f}"
        self.elo_from_paper = exam.elo_from_paper
        self.released = exam.released
        self.link_status = exam.link_status or ""
        if exam.link_shift is not None:
            se = f" ± {exam.link_shift_se:.2f}" if exam.link_shift_se is not None else ""
            self.shift = f"{_signed(exam.link_shift)}{se}"
            self.shift_points = _signed(exam.link_shift * POINTS_PER_LOGIT, 1)
        else:
            self.shift = self.shift_points = ""
        self.common = int(report.get("common", 0))
        self.used = list(report.get("used", []))
        displacement = report.get("displacement", {})
        self.dropped = [
            {
                "code": c,
                "displacement": _signed(float(displacement.get(c, 0.0))),
                "reanchored": c in self.reanchored,
            }
            for c in report.get("dropped", [])
        ]
        self.added = int(report.get("added", 0))
        self.pairs = [_pair_view(p) for p in exam.pairs]
        self.loaded = True

    @rx.event
    async def reanchor(self, code: str):
        """Make this exam's linked difficulty of `code` the bank's (a changed item)."""
        admin_id = await self._require_admin()
        if admin_id is None or not self.exam_id or not isinstance(code, str):
            return None
        self.error = self.notice = ""
        exam_id, wanted = self.exam_id, [code[:40]]
        result = await self._service(
            in_session(lambda db: linking.reanchor(db, exam_id, wanted, admin_id=admin_id))
        )
        if result is FAILED:
            return None
        self.notice = self._text(
            f"{code}: endi bu imtihondagi qiyinligi bankda. Keyingi imtihonlar shu "
            "qiymat orqali bog‘lanadi; e’lon qilingan natijalar o‘zgarmaydi.",
            f"{code}: теперь в банке трудность из этого экзамена. Следующие экзамены "
            "связываются через неё; опубликованные результаты не меняются.",
            f"{code}: the bank now holds this exam's difficulty for it. Later exams link "
            "through it; released results do not change.",
        )
        return IntegrityState.load


_STATUS_TEXT = {
    LinkStatus.ORIGIN: (
        "Bu imtihon shkalani belgiladi: keyingi imtihonlar uning savollari orqali bog‘lanadi.",
        "Этот экзамен задал шкалу: следующие связываются через его задания.",
        "This exam defined the scale: later exams link through its items.",
    ),
    LinkStatus.LINKED: (
        "Umumiy savollar orqali bank shkalasiga bog‘langan: ballar boshqa haftalar bilan "
        "solishtiriladi.",
        "Связан со шкалой банка через общие задания: баллы сравнимы с другими неделями.",
        "Linked to the bank's scale through common items: scores compare with other weeks.",
    ),
    LinkStatus.NOT_LINKED: (
        "Bog‘lanmagan: barqaror umumiy savollar 5 tadan kam. Ballar faqat shu imtihon "
        "ichida solishtiriladi.",
        "Не связан: устойчивых общих заданий меньше 5. Баллы сравнимы только внутри экзамена.",
        "Not linked: fewer than 5 stable common items. Scores compare within this exam only.",
    ),
    LinkStatus.NO_CODES: (
        "Savollarda bank kodlari yo‘q: imtihon o‘z shkalasida (kalit sahifasida kodlar qo‘shing).",
        "У заданий нет кодов банка: экзамен на своей шкале (коды — на вкладке ключа).",
        "The items have no bank codes: the exam is on its own scale (add codes on the key tab).",
    ),
}


def _scale_card() -> rx.Component:
    return card(
        rx.heading(t("Shkala", "Шкала", "Scale"), size="4"),
        rx.match(
            IntegrityState.link_status,
            *(
                (
                    status.value,
                    rx.callout(
                        t(*words),
                        icon="info",
                        color_scheme="grass" if status == LinkStatus.LINKED else "gray",
                        id="link-status",
                        custom_attrs={"data-status": status.value},
                    ),
                )
                for status, words in _STATUS_TEXT.items()
            ),
            rx.text(
                t(
                    "Natijalar hali e’lon qilinmagan yoki dastlabki (kalibrlash uchun oz).",
                    "Результаты ещё не опубликованы или предварительные (мало участников).",
                    "Not released yet, or provisional (too few takers to calibrate).",
                ),
                color="var(--gray-11)",
                id="link-status",
            ),
        ),
        rx.cond(
            IntegrityState.link_status == LinkStatus.LINKED.value,
            rx.flex(
                rx.vstack(
                    rx.text(t("Siljish (logit)", "Сдвиг (логиты)", "Shift (logits)"), size="1"),
                    rx.text(IntegrityState.shift, size="5", weight="bold", id="link-shift"),
                    spacing="1",
                ),
                rx.vstack(
                    rx.text(t("Shkala ballida", "В баллах шкалы", "In scaled points"), size="1"),
                    rx.text(IntegrityState.shift_points, size="5", weight="bold"),
                    spacing="1",
                ),
                rx.vstack(
                    rx.text(t("Umumiy savollar", "Общие задания", "Common items"), size="1"),
                    rx.text(
                        IntegrityState.used.length(),
                        " / ",
                        IntegrityState.common,
                        size="5",
                        weight="bold",
                        id="link-used",
                    ),
                    spacing="1",
                ),
                spacing="6",
                wrap="wrap",
            ),
        ),
        rx.cond(
            IntegrityState.elo_rating != "",
            rx.text(
                t("Elo reytingi: ", "Рейтинг Elo варианта: ", "The paper's Elo rating: "),
                rx.text.strong(IntegrityState.elo_rating),
                " · ",
                rx.cond(
                    IntegrityState.elo_from_paper,
                    t(
                        "shkaladagi qiyinligidan (o‘quvchilar o‘sishi Elo’da ko‘rinadi)",
                        "по его трудности на шкале (рост учеников виден в Elo)",
                        "from its difficulty on the scale (the students' growth shows in Elo)",
                    ),
                    t(
                        "qatnashchilarining o‘rtachasidan",
                        "по среднему участников",
                        "from its takers' average",
                    ),
                ),
                size="2",
                id="link-elo",
            ),
        ),
        rx.cond(
            IntegrityState.added > 0,
            rx.text(
                t(
                    "Bankka qo‘shilgan savollar: ",
                    "Добавлено в банк заданий: ",
                    "Items added to the bank: ",
                ),
                IntegrityState.added,
                size="2",
                id="link-added",
            ),
        ),
        rx.cond(
            IntegrityState.used.length() > 0,
            rx.flex(
                rx.foreach(
                    IntegrityState.used,
                    lambda c: rx.badge(c, variant="surface", custom_attrs=USER_CONTENT),
                ),
                wrap="wrap",
                spacing="1",
            ),
        ),
        rx.cond(
            IntegrityState.dropped.length() > 0,
            rx.vstack(
                rx.text(
                    t(
                        "Chiqarilgan (o‘zgargan yoki oshkor bo‘lgan bo‘lishi mumkin): siljishdan "
                        "0,5 logitdan ko‘proq farq qiladi.",
                        "Исключены (возможно, изменены или утекли): отклоняются от сдвига "
                        "больше чем на 0,5 логита.",
                        "Dropped (changed or leaked, perhaps): more than 0.5 logits away from "
                        "the shift.",
                    ),
                    size="2",
                ),
                rx.vstack(rx.foreach(IntegrityState.dropped, _dropped_row), spacing="1"),
                rx.text(
                    t(
                        "Savol o‘zgartirilgan bo‘lsa, uni shu imtihonda qayta bog‘lang: "
                        "keyingi imtihonlar uning yangi qiyinligi orqali bog‘lanadi.",
                        "Если задание изменили, перепривяжите его на этом экзамене: "
                        "следующие экзамены будут связываться через его новую трудность.",
                        "If the item was changed, re-anchor it on this exam: later exams "
                        "then link through its new difficulty.",
                    ),
                    size="1",
                    color="var(--gray-11)",
                ),
                spacing="2",
            ),
        ),
    )


def _dropped_row(d: rx.Var[DropView]) -> rx.Component:
    return rx.hstack(
        rx.badge(
            d["code"],
            " ",
            d["displacement"],
            color_scheme="amber",
            class_name="link-dropped",
            custom_attrs=USER_CONTENT,
        ),
        rx.cond(
            d["reanchored"],
            rx.badge(
                rx.icon("anchor", size=12),
                t("qayta bog‘langan", "перепривязано", "re-anchored"),
                color_scheme="grass",
                variant="soft",
                class_name="link-reanchored",
            ),
            _reanchor_button(d["code"]),
        ),
        align="center",
        spacing="2",
    )


def _reanchor_button(code: rx.Var[str]) -> rx.Component:
    label = t("Qayta bog‘lash", "Перепривязать", "Re-anchor")
    return confirm_dialog(
        rx.button(
            rx.icon("anchor", size=12), label, size="1", variant="soft", class_name="reanchor-open"
        ),
        rx.fragment(label, ": ", rx.text.span(code, custom_attrs=USER_CONTENT)),
        t(
            "Bank bu savolning qiyinligini shu imtihondan oladi. Keyingi imtihonlar "
            "shu qiymat orqali bog‘lanadi. E’lon qilingan natijalar (bu va boshqa "
            "imtihonlarniki) o‘zgarmaydi.",
            "Банк возьмёт трудность этого задания из этого экзамена. Следующие "
            "экзамены будут связываться через неё. Опубликованные результаты (этого "
            "и других экзаменов) не изменятся.",
            "The bank takes this item's difficulty from this exam. Exams linked "
            "after it use that value. Released results (this exam's and others') do "
            "not change.",
        ),
        rx.button(label, on_click=IntegrityState.reanchor(code), class_name="reanchor-confirm"),
    )


def _pair_row(p: rx.Var[PairView]) -> rx.Component:
    return rx.table.row(
        rx.table.cell(
            rx.vstack(
                rx.text(p["name_a"], weight="medium", custom_attrs=USER_CONTENT),
                rx.text(p["times_a"], size="1", color="var(--gray-11)"),
                rx.text(p["name_b"], weight="medium", custom_attrs=USER_CONTENT),
                rx.text(p["times_b"], size="1", color="var(--gray-11)"),
                spacing="0",
            )
        ),
        rx.table.cell(p["agreements"], white_space="nowrap"),
        rx.table.cell(
            rx.vstack(
                rx.text(p["identical_wrong"], weight="bold"),
                rx.text(p["wrong_items"], size="1", custom_attrs=USER_CONTENT),
                spacing="0",
            )
        ),
        rx.table.cell(rx.code(p["p_value"])),
        rx.table.cell(
            rx.cond(
                p["same_device"],
                rx.badge(t("bir qurilma", "одно устройство", "same device"), color_scheme="red"),
                rx.text("—", color="var(--gray-9)"),
            )
        ),
        class_name="copying-pair",
    )


def _copying_download() -> rx.Component:
    return rx.el.a(
        rx.button(
            rx.icon("download", size=14),
            t("Juftliklar (CSV)", "Пары (CSV)", "Pairs (CSV)"),
            size="1",
            variant="soft",
        ),
        href=BACKEND_ORIGIN
        + f"{EXPORT_ROOT}/"
        + IntegrityState.exam_id.to_string()
        + f"/export/{ExportFile.COPYING_CSV.value}",
        download=True,
        reload_document=True,
        id="copying-export",
    )


def _copying_card() -> rx.Component:
    return card(
        rx.hstack(
            rx.heading(t("Ko‘chirish belgilari", "Признаки списывания", "Copying"), size="4"),
            rx.spacer(),
            rx.cond(IntegrityState.pairs.length() > 0, _copying_download()),
            width="100%",
            align="center",
        ),
        rx.text(
            t(
                "Mustaqil ishlaganda ehtimoli juda kam bo‘lgan darajada bir xil javob bergan "
                "juftliklar (barcha juftliklar bo‘yicha tasodifiy xato ehtimoli 10⁻⁶). Bu — "
                "odam ko‘rib chiqishi uchun dalil, avtomatik jazo emas.",
                "Пары, чьи ответы совпадают настолько, что при самостоятельной работе это "
                "почти невероятно (вероятность ложной пары по всем парам 10⁻⁶). Это "
                "доказательства для человека, а не автоматическое наказание.",
                "Pairs whose answers agree more than independent work makes believable (the "
                "chance of any honest pair here: 10⁻⁶). Evidence for a person to weigh, never "
                "an automatic penalty.",
            ),
            size="2",
            color="var(--gray-11)",
        ),
        rx.cond(
            IntegrityState.pairs.length() > 0,
            rx.table.root(
                header_row(
                    t(
                        "O‘quvchilar (boshlash → topshirish)",
                        "Ученики (начало → сдача)",
                        "Students (start → submit)",
                    ),
                    t("Mos / kutilgan", "Совпало / ожидалось", "Agree / expected"),
                    t("Bir xil xato javoblar", "Одинаковые ошибки", "Same wrong answers"),
                    "p",
                    t("Qurilma", "Устройство", "Device"),
                ),
                rx.table.body(rx.foreach(IntegrityState.pairs, _pair_row)),
                size="1",
                variant="surface",
                width="100%",
                id="copying-table",
            ),
            rx.text(
                t(
                    "Shubhali juftlik topilmadi.",
                    "Подозрительных пар не найдено.",
                    "No pair stands out.",
                ),
                color="var(--gray-11)",
                id="copying-none",
            ),
        ),
    )


def integrity_page() -> rx.Component:
    return admin_page(
        error_callout(IntegrityState.error, callout_id="integrity-error"),
        success_callout(IntegrityState.notice, callout_id="integrity-notice"),
        rx.cond(
            IntegrityState.loaded,
            rx.vstack(_scale_card(), _copying_card(), spacing="4", width="100%"),
            rx.cond(IntegrityState.error == "", rx.spinner(size="3")),
        ),
        active="exams",
        title=rx.cond(
            IntegrityState.title != "",
            t("Shkala va ko‘chirish · ", "Шкала и списывание · ", "Scale and copying · ")
            + IntegrityState.title,
            t("Shkala va ko‘chirish", "Шкала и списывание", "Scale and copying"),
        ),
        actions=rx.link(
            rx.button(
                rx.icon("chevron-left", size=16), t("Imtihon", "Экзамен", "Exam"), variant="soft"
            ),
            href=f"{ADMIN_ROOT}/exams/" + IntegrityState.exam_id.to_string(),
        ),
    )


INTEGRITY_ON_LOAD = [AdminState.check_session, IntegrityState.load]
