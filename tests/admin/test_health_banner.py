"""The admin panel's red banner while the worker is not running.

State level: the banner's handler as a signed-in admin reads the consumer's
heartbeat (fresh → no banner; old or never → banner with the age), and as anyone
else does nothing (the non-admin sweep covers every caller too). Then with a real
Huey consumer: its beat keeps the banner away; stopped, the banner comes up once
the beat is older than the allowance. And every admin page carries the banner.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from mockexam.admin.auth import AdminState, AuthStatus
from mockexam.admin.health_banner import BANNER_TICK_MS, NEVER_RAN, HealthBannerState
from mockexam.admin.layout import admin_page
from mockexam.config import settings
from mockexam.services import heartbeat
from mockexam.services.health import consumer_status
from tests.admin.helpers import make_state, run, sibling
from tests.consumer import Consumer, wait_for
from tests.health_helpers import beat_seconds_ago


def checked(token: str) -> HealthBannerState:
    state = make_state(HealthBannerState, token=token)
    run(HealthBannerState.check, state)
    return state


def test_banner_hidden_while_the_consumer_beats(admin):
    beat_seconds_ago(3)
    state = checked(admin.token)
    assert state.worker_down is False
    assert state.worker_age == ""
    assert sibling(state, AdminState).auth_status == AuthStatus.OK


def test_banner_shown_when_the_beat_is_older_than_the_allowance(admin):
    beat_seconds_ago(heartbeat.sweep_allowance_seconds() + 120)
    state = checked(admin.token)
    assert state.worker_down is True
    assert state.worker_age == "Its last sweep was 3 min ago."


def test_banner_shown_when_the_consumer_never_ran(admin):
    state = checked(admin.token)
    assert state.worker_down is True
    assert state.worker_age == NEVER_RAN[2]  # (uz, ru, en)


@pytest.mark.parametrize("token", ["", "x" * 43])
def test_banner_tells_a_non_admin_nothing(db_url, token):
    beat_seconds_ago(heartbeat.sweep_allowance_seconds() + 120)
    state = checked(token)
    assert state.worker_down is False
    assert state.worker_age == ""
    assert sibling(state, AdminState).auth_status == AuthStatus.DENIED


def test_banner_hides_again_when_the_consumer_is_back(admin):
    beat_seconds_ago(heartbeat.sweep_allowance_seconds() + 120)
    state = checked(admin.token)
    assert state.worker_down is True
    beat_seconds_ago(0)
    run(HealthBannerState.check, state)
    assert state.worker_down is False
    assert state.worker_age == ""


def test_every_admin_page_carries_the_banner_and_its_timer():
    rendered = str(admin_page(active="exams", title="Exams"))
    assert "worker-banner" in rendered
    assert f"interval:{BANNER_TICK_MS}" in rendered
    assert "health_banner_state.check" in rendered


@pytest.mark.slow
def test_banner_comes_up_after_the_consumer_is_stopped(admin, db_url, tmp_path: Path, monkeypatch):
    """A real consumer beating every second (allowance 7 s), then stopped."""
    monkeypatch.setattr(settings, "sweep_interval_seconds", 1)
    allowance = heartbeat.sweep_allowance_seconds()
    assert allowance == 7
    consumer = Consumer(
        database_url=db_url,
        queue_path=tmp_path / "queue.db",
        log_path=tmp_path / "consumer.log",
        sweep_seconds=1,
    ).start()
    try:
        wait_for(
            lambda: consumer_status().alive,
            timeout=60,
            what="the consumer's first sweep",
            log=consumer.log,
        )
        state = checked(admin.token)
        assert state.worker_down is False
        consumer.stop()
        stopped_age = consumer_status().age_seconds
        assert stopped_age is not None

        def banner_up() -> bool:
            run(HealthBannerState.check, state)
            return state.worker_down

        wait_for(banner_up, timeout=60, interval=0.5, what="the banner", log=consumer.log)
        # Not before the beat passed its allowance: the stop alone shows nothing.
        status = consumer_status()
        assert status.age_seconds is not None and status.age_seconds > allowance
        assert state.worker_age.startswith("Its last sweep was ")
    finally:
        consumer.stop()
