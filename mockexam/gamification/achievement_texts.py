"""Achievement names and descriptions in the Mini App's three languages, by code.

The catalogue (achievements.py beside it) keeps English defaults; a code
missing here falls back to them, and a test keeps this table complete.
"""

from __future__ import annotations

_SCALE = (
    "Imtihonda 0–100 shkalada {t} va undan yuqori ball oling.",
    "Наберите {t} или больше по шкале 0–100 на экзамене.",
    "Score {t} or more on the 0–100 scale in an exam.",
)
_STREAK = (
    "Ketma-ket {t} ta imtihonni qoldirmay topshiring.",
    "Сдайте {t} экзаменов подряд без пропусков.",
    "Take {t} exams in a row without missing one.",
)
_BEAT = (
    "Oldingi imtihondagi balingizdan {t} va undan ko‘p ball yuqori oling.",
    "Превзойдите балл прошлого экзамена на {t} или больше.",
    "Beat your previous exam's scaled score by {t} points or more.",
)
_EXAMS = (
    "{t} ta sinov imtihonini topshiring.",
    "Сдайте {t} пробных экзаменов.",
    "Complete {t} mock exams.",
)

# code: ((uz, ru, en) name, (uz, ru, en) description)
_TEXTS: dict[str, tuple[tuple[str, str, str], tuple[str, str, str]]] = {
    "score_25": (("Ilk qadamlar", "Первые шаги", "First steps"), _SCALE),
    "score_50": (("Yarim yo‘l", "Полпути", "Halfway"), _SCALE),
    "score_60": (("Mustahkam poydevor", "Твёрдая почва", "Solid ground"), _SCALE),
    "score_70": (("Kuchli natija", "Сильный результат", "Strong result"), _SCALE),
    "score_80": (("A’lo", "Отлично", "Excellent"), _SCALE),
    "score_90": (("Ajoyib", "Выдающийся", "Outstanding"), _SCALE),
    "score_95": (("Shkala cho‘qqisi", "Вершина шкалы", "Top of the scale"), _SCALE),
    "streak_3": (("Zo‘r ketyapti", "В ударе", "On a roll"), _STREAK),
    "streak_5": (("Sodiq", "Целеустремлённый", "Committed"), _STREAK),
    "streak_10": (("To‘xtatib bo‘lmas", "Неудержимый", "Unstoppable"), _STREAK),
    "exams_1": (
        ("Birinchi imtihon", "Первый экзамен", "First exam"),
        (
            "Birinchi sinov imtihoningizni topshiring.",
            "Сдайте свой первый пробный экзамен.",
            "Complete your first mock exam.",
        ),
    ),
    "exams_5": (("Doimiy ishtirokchi", "Постоянный участник", "Regular"), _EXAMS),
    "exams_10": (("Fidoyi", "Преданный", "Dedicated"), _EXAMS),
    "exams_25": (("Faxriy", "Ветеран", "Veteran"), _EXAMS),
    "improve_10": (("Katta qadam", "Большой шаг", "Big step up"), _BEAT),
    "improve_20": (("Oldinga sakrash", "Рывок вперёд", "Leap forward"), _BEAT),
}

LANGS = ("uz", "ru", "en")


def _threshold(code: str) -> str:
    return code.rsplit("_", 1)[-1]


def achievement_names(code: str, default: str) -> dict[str, str]:
    """{"uz": …, "ru": …, "en": …} names of one achievement (English default if unknown)."""
    texts = _TEXTS.get(code)
    if texts is None:
        return dict.fromkeys(LANGS, default)
    return dict(zip(LANGS, texts[0], strict=True))


def achievement_descriptions(code: str, default: str) -> dict[str, str]:
    """The same for the description, with the threshold filled in."""
    texts = _TEXTS.get(code)
    if texts is None:
        return dict.fromkeys(LANGS, default)
    return {
        lang: text.format(t=_threshold(code)) for lang, text in zip(LANGS, texts[1], strict=True)
    }


def known_codes() -> frozenset[str]:
    return frozenset(_TEXTS)
