"""The admin panel's three languages: Uzbek (Latin, default), Russian, English.

Every admin string is written once, where it is shown, in the three languages:
`t("Imtihonlar", "Экзамены", "Exams")` is a Var following `AdminState.lang`
(a client-side lookup: the switch in the sidebar changes every text at once).
Text built in a handler uses `self._text(uz, ru, en)` (AdminState) or `pick`;
services raise errors with `errors.msg(uz, ru, en)` and `AdminState._service`
shows `err.text(lang)`. `count_text(n, uz=…, ru=(one, few, many), en=(one, other))`
gives the word after a number (1 минута, 3 минуты, 5 минут).
"""

from __future__ import annotations

from mockexam.admin.auth import AdminState
from mockexam.ui.i18n import (  # noqa: F401  (the panel's names for the shared helpers)
    LANGUAGES,
    MINUTES,
    count_word,
    make_count_text,
    make_texts,
    make_tr,
    pick,
    russian_form,
)

t = make_tr(AdminState.lang)
texts = make_texts(AdminState.lang)
count_text = make_count_text(AdminState.lang)
