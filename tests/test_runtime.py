"""The backend's garbage-collector and thread-switch tuning (mockexam/runtime.py)."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from mockexam import runtime


@pytest.fixture
def gc_restored():
    """Whatever a test does to the collector is undone afterwards."""
    thresholds = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*thresholds)


def test_tune_gc_freezes_what_is_alive_and_raises_the_thresholds(gc_restored, monkeypatch):
    monkeypatch.delenv("MOCKEXAM_GC", raising=False)
    gc.unfreeze()
    alive = [1]  # a tracked object alive before the call: frozen with the rest
    assert runtime.tune_gc() is True
    assert gc.get_threshold() == runtime.THRESHOLDS
    assert gc.get_threshold()[0] > 700  # above Python's own default
    assert gc.get_freeze_count() > 1_000  # the interpreter and the imported modules
    # Frozen objects are out of the collector's view: a full collection no longer tracks them.
    assert not any(o is alive for o in gc.get_objects())
    # Cycles made afterwards are still collected.
    cycle = []
    cycle.append(cycle)
    del cycle
    assert gc.collect() >= 1


@pytest.mark.parametrize("value", ["default", " Default "])
def test_mockexam_gc_default_leaves_python_settings(gc_restored, monkeypatch, value):
    monkeypatch.setenv("MOCKEXAM_GC", value)
    gc.unfreeze()
    before = gc.get_threshold()
    assert runtime.tune_gc() is False
    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == 0


def test_the_app_tunes_every_backend_worker_at_start_up():
    from mockexam.mockexam import app

    assert runtime.tune_runtime in app.get_lifespan_tasks()


def test_mockexam_gc_log_warns_about_long_collections(gc_restored, monkeypatch, caplog):
    monkeypatch.setenv("MOCKEXAM_GC", "default")
    monkeypatch.setenv("MOCKEXAM_GC_LOG", "0")  # every collection, however short
    callbacks = list(gc.callbacks)
    try:
        runtime.tune_gc()
        runtime.tune_gc()  # a second call adds no second callback
        assert len(gc.callbacks) == len(callbacks) + 1
        with caplog.at_level("WARNING", logger="mockexam.runtime"):
            gc.collect(1)
        lines = [r.getMessage() for r in caplog.records if r.name == "mockexam.runtime"]
        assert lines and lines[-1].startswith("gc: generation 1 paused ")
    finally:
        gc.callbacks[:] = callbacks


def test_mockexam_gc_thresholds_override_and_refuse_nonsense(gc_restored, monkeypatch):
    monkeypatch.delenv("MOCKEXAM_GC", raising=False)
    monkeypatch.setenv("MOCKEXAM_GC_THRESHOLDS", " 700, 10 ,10 ")
    assert runtime.tune_gc() is True
    assert gc.get_threshold() == (700, 10, 10)
    for bad in ("700,10", "a,b,c", "0,10,10", "-1,2,3"):
        monkeypatch.setenv("MOCKEXAM_GC_THRESHOLDS", bad)
        with pytest.raises(ValueError, match="three positive integers"):
            runtime.tune_gc()
    assert gc.get_threshold() == (700, 10, 10)  # a refused value changes nothing


@pytest.fixture
def switch_restored():
    interval = sys.getswitchinterval()
    yield
    sys.setswitchinterval(interval)


def test_switch_interval_is_one_millisecond_unless_told(switch_restored, monkeypatch):
    monkeypatch.delenv("MOCKEXAM_SWITCH_INTERVAL_MS", raising=False)
    sys.setswitchinterval(0.005)
    assert runtime.tune_switching() == pytest.approx(1.0)
    assert sys.getswitchinterval() == pytest.approx(0.001)
    monkeypatch.setenv("MOCKEXAM_SWITCH_INTERVAL_MS", "2.5")
    assert runtime.tune_switching() == pytest.approx(2.5)
    monkeypatch.setenv("MOCKEXAM_SWITCH_INTERVAL_MS", "default")
    sys.setswitchinterval(0.005)
    assert runtime.tune_switching() == pytest.approx(5.0)  # Python's own stays


def test_switch_interval_refuses_nonsense_and_changes_nothing(switch_restored, monkeypatch):
    sys.setswitchinterval(0.004)
    for bad in ("fast", "0", "-1", "1000", "nan"):
        monkeypatch.setenv("MOCKEXAM_SWITCH_INTERVAL_MS", bad)
        with pytest.raises(ValueError, match="MOCKEXAM_SWITCH_INTERVAL_MS"):
            runtime.tune_switching()
    assert sys.getswitchinterval() == pytest.approx(0.004)


def _hold_the_loop_for(seconds: float) -> None:
    time.sleep(seconds)  # blocking on purpose: what a sync call in a handler does


def test_stall_watchdog_logs_where_the_loop_was_held(monkeypatch, caplog):
    monkeypatch.setenv("MOCKEXAM_STALL_LOG", "50")

    async def scenario() -> None:
        watcher = asyncio.create_task(runtime.watch_stalls())
        await asyncio.sleep(0.05)
        _hold_the_loop_for(0.3)
        await asyncio.sleep(0.05)
        watcher.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await watcher

    with caplog.at_level(logging.WARNING, logger="mockexam.runtime"):
        asyncio.run(scenario())
    stalls = [r.getMessage() for r in caplog.records if "stalled" in r.getMessage()]
    assert stalls, "a 300 ms stall went unreported"
    assert all("_hold_the_loop_for" in message for message in stalls)
    assert len(stalls) < 20  # sampled every threshold/2, not in a busy loop


def test_stall_watchdog_is_off_unless_asked_and_refuses_nonsense(monkeypatch, caplog):
    monkeypatch.delenv("MOCKEXAM_STALL_LOG", raising=False)

    async def quiet() -> None:
        await runtime.watch_stalls()  # returns at once
        _hold_the_loop_for(0.1)

    with caplog.at_level(logging.WARNING, logger="mockexam.runtime"):
        asyncio.run(quiet())
    assert not [r for r in caplog.records if "stalled" in r.getMessage()]
    for bad in ("soon", "0", "-5", "1e9"):
        monkeypatch.setenv("MOCKEXAM_STALL_LOG", bad)
        with pytest.raises(ValueError, match="MOCKEXAM_STALL_LOG"):
            asyncio.run(runtime.watch_stalls())


def test_the_app_runs_the_stall_watchdog_in_every_worker():
    from mockexam.mockexam import app

    assert runtime.watch_stalls in app.get_lifespan_tasks()


def test_the_app_loads_reflex_model_at_import_not_at_the_first_submit():
    """Reflex's event processor imports reflex.model (and with it alembic) the first time
    an event has a dict argument — under `make run-scale` the first submit, at the start
    of the closing burst. The app module loads it up front (a fresh interpreter: this
    test process may have imported it some other way)."""
    check = (
        "import sys; import mockexam.mockexam; "
        "print('reflex.model' in sys.modules, 'alembic.autogenerate' in sys.modules)"
    )
    done = subprocess.run(
        [sys.executable, "-c", check],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=Path(__file__).resolve().parent.parent,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)},
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split() == ["True", "True"]
