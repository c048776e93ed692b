"""The admin panel's language: chosen per admin, kept in the database, switchable (issue 21)."""

from __future__ import annotations

import asyncio

from sqlmodel import select

from mockexam.admin.admins import AdminsState
from mockexam.db import session_scope
from mockexam.errors import ValidationError, msg
from mockexam.models import Admin, AuditLog
from tests.admin.helpers import make_state, run

PATH = "/admin/admins"


def _language(username: str) -> str:
    with session_scope(readonly=True) as db:
        return db.exec(select(Admin.language).where(Admin.username == username)).one()


def test_switching_to_russian_is_kept_and_audited_and_words_the_errors(admin):
    state = make_state(AdminsState, path=PATH, token=admin.token)
    run(AdminsState.load, state)
    assert state.lang == "en"  # the tests' ADMIN_DEFAULT_LANGUAGE

    run(AdminsState.set_language, state, "ru")

    assert state.lang == "ru" and _language("alice") == "ru"
    with session_scope(readonly=True) as db:
        row = db.exec(select(AuditLog).where(AuditLog.action == "admin.language")).one()
    assert row.details["before"] == "en" and row.details["after"] == "ru"

    # A new tab of the same admin (the cookie still says English) reads Russian at its check.
    other = make_state(AdminsState, path=PATH, token=admin.token)
    other.lang = "en"
    run(AdminsState.load, other)
    assert other.lang == "ru"

    # A service refusal reaches the page in the admin's language.
    def refuse():
        raise ValidationError(msg("Yomon {x}", "Плохо {x}", "Bad {x}", x=7))

    asyncio.run(other._service(refuse))
    assert other.error == "Плохо 7"


def test_an_unknown_language_changes_nothing(admin):
    state = make_state(AdminsState, path=PATH, token=admin.token)
    run(AdminsState.load, state)
    for bad in ("de", "", "RU", None, 5, ["ru"], "ru" * 100):
        run(AdminsState.set_language, state, bad)
    assert state.lang == "en" and _language("alice") == "en"


def test_signed_out_switch_sets_only_this_tab(admin):
    state = make_state(AdminsState, path="/admin/login", token="")
    run(AdminsState.set_language, state, "uz")
    assert state.lang == "uz"
    assert _language("alice") == "en"
