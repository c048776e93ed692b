"""The answer sheet's batches (assets/sheet_sync.jsx), as the exam and practice pages read them.

A batch is `{"seq": int, "changes": {label: {"value": str | None, "flagged":
bool | None}}, "device": device_id}` (+ `"auto": bool` on submit; a `"load"`
page-load id is still accepted from sheets built before the seqs moved to the
database, and not read). `parse_batch` checks its shape (a malformed batch is refused whole;
a bad change only for its label), `batch_device` its device id, and
`refusal_text` says in the student's language why one answer was not taken.
No Reflex here: the HTTP save route (mockexam/api.py) reads the same batches.
"""

from __future__ import annotations

import re
from typing import Any

from mockexam.config import settings
from mockexam.services.exam_room import Refusal
from mockexam.services.sessions import AnswerChange
from mockexam.student.i18n import pick

MAX_BATCH_LABELS = 120
MAX_LABEL_CHARS = 16
MAX_SEQ = 2**53 - 1  # what a JavaScript number holds exactly
_DEVICE = re.compile(r"^[A-Za-z0-9_-]{8,24}$")


class BatchError(ValueError):
    """A save/submit payload that is not a batch at all (the whole batch is refused)."""


def parse_batch(
    batch: Any, *, allow_auto: bool = False
) -> tuple[int, dict[str, AnswerChange], dict[str, Refusal], bool]:
    """(seq, changes, per-label refusals, auto) of a client batch; BatchError if malformed.

    A batch is `{"seq": int, "changes": {label: {"value": str | None, "flagged":
    bool | None}}, "device": device_id}` (+ `"auto": bool` on submit), at most 120
    labels; an old sheet's `load` is accepted and ignored. A change of
    the wrong shape or a value over the length limit is refused for its label only.
    """
    if not isinstance(batch, dict):
        raise BatchError("the batch is not an object")
    seq, changes = batch.get("seq"), batch.get("changes")
    if isinstance(seq, bool) or not isinstance(seq, int) or not 0 <= seq <= MAX_SEQ:
        raise BatchError("seq is not a whole number")
    if not isinstance(changes, dict):
        raise BatchError("changes is not an object")
    if len(changes) > MAX_BATCH_LABELS:
        raise BatchError(f"more than {MAX_BATCH_LABELS} answers")
    extra = set(batch) - {"seq", "changes", "auto", "load", "device"}
    auto, load = batch.get("auto", False), batch.get("load", "")
    if extra or not isinstance(auto, bool) or (auto and not allow_auto):
        raise BatchError("unexpected fields")
    if not isinstance(load, str) or len(load) > 32:
        raise BatchError("load is not a page load id")
    parsed: dict[str, AnswerChange] = {}
    refused: dict[str, Refusal] = {}
    limit = settings.free_response_max_chars
    for label, change in changes.items():
        if not isinstance(label, str) or not label or len(label) > MAX_LABEL_CHARS:
            raise BatchError("a label is not a short text")
        if not isinstance(change, dict) or set(change) - {"value", "flagged"}:
            refused[label] = Refusal.INVALID
            continue
        value, flagged = change.get("value"), change.get("flagged")
        wrong_value = value is not None and not isinstance(value, str)
        if wrong_value or (flagged is not None and not isinstance(flagged, bool)):
            refused[label] = Refusal.INVALID
        elif value is not None and len(value.strip()) > limit:
            refused[label] = Refusal.TOO_LONG
        else:
            parsed[label] = AnswerChange(value=value, flagged=flagged)
    return seq, parsed, refused, auto


def refusal_text(refusal: Refusal, lang: str, options: list[str] | None = None) -> str:
    """Why one answer was not accepted, in the student's language."""
    if refusal == Refusal.NOT_AN_OPTION:
        if not options:  # the item's own options are always known; no A–D guess
            return pick(
                lang,
                "Variantlardan birini tanlang.",
                "Выберите один из вариантов.",
                "Choose one of the options.",
            )
        choices = ", ".join(options)
        return pick(
            lang,
            f"Variantlardan birini tanlang: {choices}.",
            f"Выберите один из вариантов: {choices}.",
            f"Choose one of the options: {choices}.",
        )
    if refusal == Refusal.TOO_LONG:
        limit = settings.free_response_max_chars
        return pick(
            lang,
            f"Javob juda uzun: ko‘pi bilan {limit} belgi.",
            f"Слишком длинный ответ: не больше {limit} символов.",
            f"Too long: at most {limit} characters.",
        )
    if refusal == Refusal.UNKNOWN_ITEM:
        return pick(
            lang,
            "Varaqda bunday javob maydoni yo‘q.",
            "На бланке нет такого поля.",
            "There is no such answer on this sheet.",
        )
    return pick(
        lang,
        "Javobni bir qatorda, oddiy matn bilan yozing.",
        "Напишите ответ одной строкой, обычным текстом.",
        "Type the answer on one line, as plain text.",
    )


def unreadable_text(lang: str) -> str:
    """A batch that is not a batch at all (the page should be reloaded)."""
    return pick(
        lang,
        "Javoblarni o‘qib bo‘lmadi. Sahifani yangilang.",
        "Не удалось прочитать ответы. Обновите страницу.",
        "The answers could not be read. Please reload the page.",
    )


def batch_device(batch: dict[str, Any]) -> str | None:
    """The batch's device id (8–24 of A–Z a–z 0–9 _ -), None when it names none.

    BatchError for a device id of the wrong shape.
    """
    device = batch.get("device")
    if device is None:
        return None
    if not isinstance(device, str) or not _DEVICE.match(device):
        raise BatchError("device is not a device id")
    return device
