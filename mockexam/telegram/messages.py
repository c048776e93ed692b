"""Texts the bot and the notifications send, in Uzbek (Latin, default), Russian and English.

Plain text (no parse mode), so titles and names need no escaping. Times are
shown in the local zone (settings.local_timezone, Asia/Tashkent: the first
market's clock; mockexam/localtime.py converts). Points read "143,7" in Uzbek
and Russian, "143.7" in English.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from mockexam.config import settings
from mockexam.localtime import local_text, local_zone
from mockexam.scoring.points import format_points

DEFAULT_LANGUAGE = "uz"
LANGUAGES = ("uz", "ru", "en")


class Text(StrEnum):
    START = "start"
    HELP = "help"
    OPEN_APP = "open_app"
    MENU_BUTTON = "menu_button"
    CMD_START = "cmd_start"
    CMD_HELP = "cmd_help"
    NEW_EXAM = "new_exam"
    EXAM_OPEN = "exam_open"
    RESULTS_READY = "results_ready"
    SCORE_LINE = "score_line"
    PROVISIONAL_SCORE_LINE = "provisional_score_line"
    PROVISIONAL_NOTE = "provisional_note"
    NO_RESULT = "no_result"
    CHANNEL_NEW_EXAM = "channel_new_exam"
    CHANNEL_BUTTON = "channel_button"


_TEXTS: dict[Text, dict[str, str]] = {
    Text.START: {
        "uz": "Salom, {name}! Bu yerda har hafta sinov imtihonlari o‘tkaziladi. "
        "Imtihonlar, natijalar va reytingni ko‘rish uchun ilovani oching.",
        "ru": "Здравствуйте, {name}! Здесь каждую неделю проходят пробные экзамены. "
        "Откройте приложение, чтобы увидеть экзамены, результаты и рейтинг.",
        "en": "Hello, {name}! Weekly mock exams take place here. "
        "Open the app to see exams, results and the leaderboard.",
    },
    Text.HELP: {
        "uz": "Imtihonlar Telegram ichidagi ilovada o‘tkaziladi: pastdagi tugmani bosing.\n"
        "/start — ilovani ochish tugmasi\n/help — yordam\n"
        "Yangi imtihon, imtihon boshlanishi va natijalar haqida xabar yuboramiz.",
        "ru": "Экзамены проходят в приложении внутри Telegram: нажмите кнопку ниже.\n"
        "/start — кнопка, открывающая приложение\n/help — помощь\n"
        "Мы сообщаем о новом экзамене, о его начале и о готовых результатах.",
        "en": "Exams take place in the app inside Telegram: tap the button below.\n"
        "/start — a button that opens the app\n/help — help\n"
        "We message you about a new exam, when it opens and when results are ready.",
    },
    Text.OPEN_APP: {"uz": "Ilovani ochish", "ru": "Открыть приложение", "en": "Open the app"},
    Text.MENU_BUTTON: {"uz": "Imtihonlar", "ru": "Экзамены", "en": "Exams"},
    Text.CMD_START: {"uz": "Ilovani ochish", "ru": "Открыть приложение", "en": "Open the app"},
    Text.CMD_HELP: {"uz": "Yordam", "ru": "Помощь", "en": "Help"},
    Text.NEW_EXAM: {
        "uz": "Yangi sinov imtihoni: «{title}»\n"
        "Boshlanishi: {start} (Toshkent vaqti)\nTugashi: {end}\n"
        "Davomiyligi: {minutes} daqiqa.",
        "ru": "Новый пробный экзамен: «{title}»\n"
        "Начало: {start} (по Ташкенту)\nОкончание: {end}\n"
        "Длительность: {minutes} мин.",
        "en": "New mock exam: “{title}”\n"
        "Opens: {start} (Tashkent time)\nCloses: {end}\n"
        "Duration: {minutes} minutes.",
    },
    Text.EXAM_OPEN: {
        "uz": "«{title}» imtihoni boshlandi! {end} gacha boshlashingiz mumkin "
        "(Toshkent vaqti), vaqt — {minutes} daqiqa. Omad!",
        "ru": "Экзамен «{title}» начался! Начать можно до {end} (по Ташкенту), "
        "на работу — {minutes} мин. Удачи!",
        "en": "“{title}” is open! Start before {end} (Tashkent time); "
        "you have {minutes} minutes. Good luck!",
    },
    Text.RESULTS_READY: {
        "uz": "«{title}» natijalari tayyor.\n{score}",
        "ru": "Результаты экзамена «{title}» готовы.\n{score}",
        "en": "Results of “{title}” are ready.\n{score}",
    },
    Text.SCORE_LINE: {
        "uz": "Ball: {points}/{max_points} · Shkala bali: {scaled} ± {se} · Baho: {grade} · "
        "Elo: {elo_before} → {elo_after} ({elo_delta})",
        "ru": "Баллы: {points}/{max_points} · Шкальный балл: {scaled} ± {se} · Оценка: {grade} · "
        "Эло: {elo_before} → {elo_after} ({elo_delta})",
        "en": "Points: {points}/{max_points} · Scaled score: {scaled} ± {se} · Grade: {grade} · "
        "Elo: {elo_before} → {elo_after} ({elo_delta})",
    },
    # A provisional release (fewer takers than the calibration minimum): the 0–100 score
    # is the percentage of points; no ± (nothing was measured) and no grade (a percentile
    # among a handful ranks noise, and the fixed bands are set on the Rasch scale).
    Text.PROVISIONAL_SCORE_LINE: {
        "uz": "Ball: {points}/{max_points} ({percent}%) · "
        "Elo: {elo_before} → {elo_after} ({elo_delta})",
        "ru": "Баллы: {points}/{max_points} ({percent}%) · "
        "Эло: {elo_before} → {elo_after} ({elo_delta})",
        "en": "Points: {points}/{max_points} ({percent}%) · "
        "Elo: {elo_before} → {elo_after} ({elo_delta})",
    },
    # Said wherever a provisional result is shown: the results-ready DM and the Mini App.
    Text.PROVISIONAL_NOTE: {
        "uz": "Dastlabki natija: bu imtihonni {minimum} nafardan kam o‘quvchi topshirdi, "
        "shuning uchun u kalibrlanmadi. Ball — to‘plagan ballaringiz foizi; baho va ± "
        "faqat kalibrlangan imtihonda beriladi.",
        "ru": "Предварительный результат: этот экзамен сдали меньше {minimum} учеников, "
        "поэтому он не калибровался. Балл — процент набранных вами баллов; оценка и ± "
        "даются только после калибровки экзамена.",
        "en": "Provisional result: fewer than {minimum} students took this exam, so it was "
        "not calibrated. The score is your percentage of points; a grade and ± come only "
        "with a calibrated exam.",
    },
    Text.NO_RESULT: {
        "uz": "Natijangizni ilovada ko‘ring.",
        "ru": "Смотрите свой результат в приложении.",
        "en": "See your result in the app.",
    },
    Text.CHANNEL_NEW_EXAM: {
        "uz": "📝 Yangi sinov imtihoni: «{title}»\n"
        "Boshlanishi: {start} (Toshkent vaqti)\nTugashi: {end}\n"
        "Davomiyligi: {minutes} daqiqa. Qatnashish uchun ilovani oching.",
        "ru": "📝 Новый пробный экзамен: «{title}»\n"
        "Начало: {start} (по Ташкенту)\nОкончание: {end}\n"
        "Длительность: {minutes} мин. Откройте приложение, чтобы участвовать.",
        "en": "📝 New mock exam: “{title}”\n"
        "Opens: {start} (Tashkent time)\nCloses: {end}\n"
        "Duration: {minutes} minutes. Open the app to take part.",
    },
    Text.CHANNEL_BUTTON: {
        "uz": "Imtihonda qatnashish",
        "ru": "Участвовать",
        "en": "Take the exam",
    },
}


def normalise_language(code: str | None) -> str:
    """One of `LANGUAGES`; Uzbek for anything else."""
    short = (code or "").split("-")[0].lower()
    return short if short in LANGUAGES else DEFAULT_LANGUAGE


def text(key: Text, language: str | None, **values: object) -> str:
    """The text `key` in `language` (Uzbek when unknown), with `values` filled in."""
    template = _TEXTS[key][normalise_language(language)]
    return template.format(**values) if values else template


def format_time(moment: datetime) -> str:
    """`14.03.2025 09:00` in local time (Tashkent)."""
    return local_text(moment)


def __getattr__(name: str) -> Any:
    # DISPLAY_TZ was a fixed UTC+5 here: it is the configured zone now (localtime).
    if name == "DISPLAY_TZ":
        return local_zone()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


@dataclass(frozen=True)
class ScoreLine:
    """One student's released result, as the results-ready DM shows it."""

    points: float
    max_points: float
    scaled_score: float
    scaled_score_se: float | None
    grade: str
    elo_before: float | None
    elo_after: float | None
    is_provisional: bool = False


def provisional_note(language: str | None, minimum: int | None = None) -> str:
    """Why a provisional result has no grade and no ±, in `language`; `minimum` is the
    calibration minimum of takers (the configured one by default)."""
    if minimum is None:
        minimum = settings.min_participants_for_calibration
    return text(Text.PROVISIONAL_NOTE, language, minimum=minimum)


def score_line(score: ScoreLine, language: str | None) -> str:
    """`Points: 42/55 · Scaled score: 63.1 ± 3.2 · Grade: B+ · Elo: 1200 → 1224 (+24)`.

    A provisional result reads `Points: 7/55 (12,7%) · Elo: …` and says why on a line of
    its own: its grade and ± are not shown (see `Text.PROVISIONAL_SCORE_LINE`).
    """
    lang = normalise_language(language)
    delta = (
        round(score.elo_after) - round(score.elo_before)
        if score.elo_before is not None and score.elo_after is not None
        else None
    )
    elo = {
        "elo_before": "—" if score.elo_before is None else round(score.elo_before),
        "elo_after": "—" if score.elo_after is None else round(score.elo_after),
        "elo_delta": "—" if delta is None else f"{delta:+d}",
    }
    points = format_points(score.points, lang)
    max_points = format_points(score.max_points, lang)
    if score.is_provisional:
        percent = f"{score.scaled_score:.1f}"
        line = text(
            Text.PROVISIONAL_SCORE_LINE,
            lang,
            points=points,
            max_points=max_points,
            percent=percent.replace(".", ",") if lang in ("uz", "ru") else percent,
            **elo,
        )
        return f"{line}\n{provisional_note(lang)}"
    return text(
        Text.SCORE_LINE,
        lang,
        points=points,
        max_points=max_points,
        scaled=f"{score.scaled_score:.1f}",
        se="—" if score.scaled_score_se is None else f"{score.scaled_score_se:.1f}",
        grade=score.grade,
        **elo,
    )
