"""The words, numbers and dates of the certificates, reports and share cards, per language.

Every printed word lives in `LABELS` (one `Labels` per language), so a
translation is checked in one place and a missing one fails at import (the
dataclass has no defaults). Uzbek is the Latin alphabet with U+2018 for o‘ and
g‘, as in the rest of the product. Numbers follow the language: a decimal
comma and a no-break space between thousands in Uzbek and Russian ("1 534,5"),
a point and a comma in English ("1,534.5").
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from mockexam.errors import ValidationError, msg
from mockexam.scoring.points import format_points

NBSP = "\u00a0"
PDF_LANGUAGE_TAGS = {"uz": "uz-Latn", "ru": "ru", "en": "en"}
"""The document language a PDF declares (screen readers read it with these rules)."""


@dataclass(frozen=True)
class Labels:
    """The printed words of one language."""

    # certificate
    certificate_title: str
    awarded_to: str
    for_exam: str
    official_score: str
    points: str
    scaled_score: str
    scale_range: str
    points_out_of: str  # "{max}"
    provisional_caption: str
    standard_error: str
    grade: str
    percentile: str
    percentile_caption: str  # "{p}"
    linked_note: str
    provisional_note: str
    sections: str
    verify_title: str
    verify_code: str
    verify_caption: str
    method_note: str
    # progress report
    report_title: str
    student: str
    period: str
    issued_on: str
    exams_taken: str
    latest_score: str
    change: str
    rating: str
    exams: str
    date: str
    exam: str
    own_scale_note: str
    provisional_row_note: str
    no_exams: str
    elo_trend: str
    no_elo: str
    strengths: str
    topic: str
    correct: str
    no_strengths: str
    achievements: str
    no_achievements: str
    page: str  # "{n} / {total}"
    # share card
    share_heading: str
    share_verify: str
    # dates
    months: tuple[str, ...]  # the form after a day number (Russian genitive)
    short_months: tuple[str, ...]


LABELS: dict[str, Labels] = {
    "uz": Labels(
        certificate_title="Natija sertifikati",
        awarded_to="Sertifikat egasi",
        for_exam="quyidagi imtihondagi natijasi uchun",
        official_score="Rasmiy natija",
        points="Ball",
        scaled_score="Shkala bali",
        scale_range="0–100 shkalada",
        points_out_of="{max} balldan",
        provisional_caption="to‘g‘ri javoblar foizi (dastlabki)",
        standard_error="±\u00a0standart xato",
        grade="Baho",
        percentile="Persentil",
        percentile_caption="ishtirokchilarning {p}% idan yuqori",
        linked_note=(
            "Shkala bali bog‘langan shkalada: boshqa bog‘langan sinov imtihonlari "
            "natijalari bilan solishtirish mumkin."
        ),
        provisional_note=(
            "Dastlabki natija: imtihonni kalibrlash uchun ishtirokchilar yetarli emas, "
            "shuning uchun shkala bali to‘g‘ri javoblar foizi va standart xatosiz."
        ),
        sections="Bo‘limlar bo‘yicha ballar",
        verify_title="Sertifikatni tekshirish",
        verify_code="Kod",
        verify_caption="QR kodni skanerlang yoki havolani oching",
        method_note="Shkala ballari Rasch modeli bo‘yicha hisoblangan.",
        report_title="O‘zlashtirish hisoboti",
        student="O‘quvchi",
        period="Davr",
        issued_on="Tuzilgan sana",
        exams_taken="Topshirilgan imtihonlar",
        latest_score="So‘nggi shkala bali",
        change="Davr davomidagi o‘zgarish",
        rating="Reyting (Elo)",
        exams="Imtihonlar",
        date="Sana",
        exam="Imtihon",
        own_scale_note=(
            "Imtihonning o‘z shkalasida (bog‘lanmagan): boshqa imtihonlar bilan "
            "ehtiyotkorlik bilan solishtiring."
        ),
        provisional_row_note="Dastlabki natija: ishtirokchilar kam, standart xatosiz.",
        no_exams="Bu davrda imtihonlar yo‘q.",
        elo_trend="Reyting dinamikasi (Elo)",
        no_elo="Reyting hali hisoblanmagan.",
        strengths="Mavzular bo‘yicha natijalar",
        topic="Mavzu",
        correct="To‘g‘ri javoblar",
        no_strengths="Mavzular bo‘yicha ma’lumot yo‘q.",
        achievements="Yutuqlar",
        no_achievements="Hali yutuqlar yo‘q.",
        page="{n} / {total}",
        share_heading="Mening natijam",
        share_verify="Tekshirish",
        months=(
            "yanvar",
            "fevral",
            "mart",
            "aprel",
            "may",
            "iyun",
            "iyul",
            "avgust",
            "sentabr",
            "oktabr",
            "noyabr",
            "dekabr",
        ),
        short_months=(
            "yan",
            "fev",
            "mar",
            "apr",
            "may",
            "iyn",
            "iyl",
            "avg",
            "sen",
            "okt",
            "noy",
            "dek",
        ),
    ),
    "ru": Labels(
        certificate_title="Сертификат о результате",
        awarded_to="Сертификат выдан",
        for_exam="за результат экзамена",
        official_score="Официальный результат",
        points="Баллы",
        scaled_score="Шкальный балл",
        scale_range="по шкале 0–100",
        points_out_of="баллов из {max}",
        provisional_caption="процент верных ответов (предварительно)",
        standard_error="±\u00a0стандартная ошибка",
        grade="Оценка",
        percentile="Процентиль",
        percentile_caption="выше, чем у {p}% участников",
        linked_note=(
            "Шкальный балл на связанной шкале: его можно сравнивать с результатами "
            "других связанных пробных экзаменов."
        ),
        provisional_note=(
            "Предварительный результат: участников слишком мало для калибровки, поэтому "
            "шкальный балл — это процент верных ответов, без стандартной ошибки."
        ),
        sections="Баллы по разделам",
        verify_title="Проверка сертификата",
        verify_code="Код",
        verify_caption="Отсканируйте QR-код или откройте ссылку",
        method_note="Шкальные баллы рассчитаны по модели Раша.",
        report_title="Отчёт об успеваемости",
        student="Учащийся",
        period="Период",
        issued_on="Дата отчёта",
        exams_taken="Экзаменов сдано",
        latest_score="Последний шкальный балл",
        change="Изменение за период",
        rating="Рейтинг (Эло)",
        exams="Экзамены",
        date="Дата",
        exam="Экзамен",
        own_scale_note=(
            "На собственной шкале экзамена (без связывания): сравнивайте с другими "
            "экзаменами осторожно."
        ),
        provisional_row_note="Предварительный результат: мало участников, без стандартной ошибки.",
        no_exams="За этот период экзаменов нет.",
        elo_trend="Динамика рейтинга (Эло)",
        no_elo="Рейтинг ещё не рассчитан.",
        strengths="Результаты по темам",
        topic="Тема",
        correct="Верных ответов",
        no_strengths="Данных по темам пока нет.",
        achievements="Достижения",
        no_achievements="Достижений пока нет.",
        page="{n} / {total}",
        share_heading="Мой результат",
        share_verify="Проверка",
        months=(
            "января",
            "февраля",
            "марта",
            "апреля",
            "мая",
            "июня",
            "июля",
            "августа",
            "сентября",
            "октября",
            "ноября",
            "декабря",
        ),
        short_months=(
            "янв",
            "фев",
            "мар",
            "апр",
            "мая",
            "июн",
            "июл",
            "авг",
            "сен",
            "окт",
            "ноя",
            "дек",
        ),
    ),
    "en": Labels(
        certificate_title="Certificate of result",
        awarded_to="Awarded to",
        for_exam="for the result in the exam",
        official_score="Official score",
        points="Points",
        scaled_score="Scaled score",
        scale_range="on a 0–100 scale",
        points_out_of="points out of {max}",
        provisional_caption="percentage correct (provisional)",
        standard_error="±\u00a0standard error",
        grade="Grade",
        percentile="Percentile",
        percentile_caption="above {p}% of participants",
        linked_note=(
            "The scaled score is on the linked scale: it can be compared with the "
            "results of other linked mock exams."
        ),
        provisional_note=(
            "Provisional result: too few participants to calibrate the exam, so the "
            "scaled score is the percentage correct and has no standard error."
        ),
        sections="Section scores",
        verify_title="Verify this certificate",
        verify_code="Code",
        verify_caption="Scan the QR code or open the link",
        method_note="Scaled scores are estimated with the Rasch model.",
        report_title="Progress report",
        student="Student",
        period="Period",
        issued_on="Issued on",
        exams_taken="Exams taken",
        latest_score="Latest scaled score",
        change="Change over the period",
        rating="Rating (Elo)",
        exams="Exams",
        date="Date",
        exam="Exam",
        own_scale_note=(
            "On the exam's own scale (not linked): compare with other exams with care."
        ),
        provisional_row_note="Provisional: too few participants, no standard error.",
        no_exams="No exams in this period.",
        elo_trend="Rating trend (Elo)",
        no_elo="No rating yet.",
        strengths="Results by topic",
        topic="Topic",
        correct="Correct answers",
        no_strengths="No topic results yet.",
        achievements="Achievements",
        no_achievements="No achievements yet.",
        page="{n} / {total}",
        share_heading="My result",
        share_verify="Verify",
        months=(
            "January",
            "February",
            "March",
            "April",
            "May",
            "June",
            "July",
            "August",
            "September",
            "October",
            "November",
            "December",
        ),
        short_months=(
            "Jan",
            "Feb",
            "Mar",
            "Apr",
            "May",
            "Jun",
            "Jul",
            "Aug",
            "Sep",
            "Oct",
            "Nov",
            "Dec",
        ),
    ),
}


def labels_for(lang: str) -> Labels:
    """The labels of `lang` ("uz", "ru", "en"); any other value is a ValidationError."""
    if lang not in LABELS:
        raise ValidationError(
            msg(
                "Noma’lum til {lang!r}: uz, ru yoki en ni tanlang.",
                "Неизвестный язык {lang!r}: выберите uz, ru или en.",
                "Unknown language {lang!r}: use one of uz, ru, en.",
                lang=lang,
            )
        )
    return LABELS[lang]


def format_decimal(value: float, lang: str, digits: int = 1) -> str:
    """`value` with `digits` decimals in `lang`: "1 534,5" (uz, ru), "1,534.5" (en).

    A value that rounds to zero is never shown as "-0,0".
    """
    rounded = round(float(value), digits)
    if rounded == 0:
        rounded = 0.0
    text = f"{rounded:,.{digits}f}"
    if lang == "en":
        return text
    return text.replace(",", NBSP).replace(".", ",")


def format_signed(value: float, lang: str, digits: int = 1) -> str:
    """A change with its sign: "+5,2", "-3,1", "0,0" (Noto Sans has no U+2212 minus)."""
    text = format_decimal(abs(value), lang, digits)
    if round(value, digits) > 0:
        return "+" + text
    if round(value, digits) < 0:
        return "-" + text
    return text


def format_score_points(value: float, lang: str) -> str:
    """Points as the product shows them everywhere: exact, no trailing zeros ("143,7", "55")."""
    return format_points(value, lang)


def format_long_date(day: date, lang: str) -> str:
    """ "22-noyabr, 2026" (uz), "22 ноября 2026 г." (ru), "22 November 2026" (en)."""
    month = LABELS[lang].months[day.month - 1]
    if lang == "uz":
        return f"{day.day}-{month}, {day.year}"
    if lang == "ru":
        return f"{day.day} {month} {day.year} г."
    return f"{day.day} {month} {day.year}"


def format_short_date(day: date, lang: str) -> str:
    """ "22.11.2026" (uz, ru), "22 Nov 2026" (en): for tables."""
    if lang == "en":
        return f"{day.day} {LABELS['en'].short_months[day.month - 1]} {day.year}"
    return f"{day.day:02d}.{day.month:02d}.{day.year}"


def format_axis_date(day: date, lang: str) -> str:
    """ "22 noy" / "22 ноя" / "22 Nov": a chart's axis label."""
    return f"{day.day} {LABELS[lang].short_months[day.month - 1]}"
