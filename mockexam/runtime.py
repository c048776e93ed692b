"""The backend process's garbage collector and thread switching, tuned for a server
holding thousands of tabs.

CPython's cyclic collector stops the event loop while it walks its objects. The
imported app alone (Reflex's pages, component trees, state classes) is about
200,000 objects, and a full collection of them took 100–140 ms here; every tab
whose state a worker holds adds more. Each such pause lands on every event the
worker is handling at that moment: the tail of the answer-save latency. So at
start-up:

- `gc.freeze()` moves everything alive then (the app) out of the collector's
  view for good: it is never garbage, and never walked again (after a fork
  the workers also keep sharing those pages instead of copying them);
- the thresholds rise from (700, 10, 10) to (`GEN0`, 20, 20): young collections
  come a few times less often, each still small, and full collections (the long
  ones) are rarer still. Cycles are still collected; memory grows a little
  between collections, which this machine (24 GB) does not notice.

`MOCKEXAM_GC=default` leaves Python's own settings (for comparison:
`bench/load_bench.py --backend-env MOCKEXAM_GC=default`);
`MOCKEXAM_GC_THRESHOLDS=700,10,10` freezes but sets other thresholds. `MOCKEXAM_GC_LOG=MS`
logs every collection that paused the process MS milliseconds or more (a warning
with its generation and duration), to see what the collector costs under load.

Thread switching: database calls run on worker threads (Reflex's `run_in_thread`,
the sheet-save pool in mockexam/api.py) while the event loop thread keeps the
GIL busy. A thread whose query answered waits for the GIL until the loop thread
lets go, at the latest after the switch interval (Python's default 5 ms); a save
is several round trips, each of which may wait that long. `tune_switching` sets
the interval to `MOCKEXAM_SWITCH_INTERVAL_MS` (default 1 ms; `default` keeps
Python's 5 ms).

Stalls: `MOCKEXAM_STALL_LOG=MS` starts a watchdog (`watch_stalls`) that logs,
as a warning, where the event loop thread was while it had not come back to the
loop for MS milliseconds or more: the code that holds up every tab of that
worker (sampled every MS while the stall lasts; off by default).
"""

from __future__ import annotations

import asyncio
import gc
import logging
import os
import sys
import threading
import time
import traceback

logger = logging.getLogger(__name__)

GEN0 = 20_000
THRESHOLDS = (GEN0, 20, 20)
SWITCH_INTERVAL_MS = 1.0


def tune_gc() -> bool:
    """Freeze what is alive and raise the thresholds; False (nothing done) when disabled."""
    log_ms = os.environ.get("MOCKEXAM_GC_LOG", "").strip()
    if log_ms:
        log_pauses(float(log_ms))
    if os.environ.get("MOCKEXAM_GC", "tuned").strip().lower() == "default":
        return False
    thresholds = _thresholds(os.environ.get("MOCKEXAM_GC_THRESHOLDS", ""))
    gc.collect()  # what import-time left as garbage goes now, not into the frozen set
    gc.freeze()
    gc.set_threshold(*thresholds)
    logger.info("gc: %d objects frozen, thresholds %s", gc.get_freeze_count(), thresholds)
    return True


def _thresholds(text: str) -> tuple[int, int, int]:
    """`MOCKEXAM_GC_THRESHOLDS="700,10,10"` (for experiments); THRESHOLDS when unset."""
    if not text.strip():
        return THRESHOLDS
    parts = [p.strip() for p in text.split(",")]
    if len(parts) != 3 or not all(p.isdigit() and int(p) > 0 for p in parts):
        raise ValueError(
            f"MOCKEXAM_GC_THRESHOLDS must be three positive integers like 700,10,10: {text!r}"
        )
    return int(parts[0]), int(parts[1]), int(parts[2])


def log_pauses(threshold_ms: float) -> None:
    """Warn about every collection of `threshold_ms` or longer (once per process)."""
    if any(getattr(cb, "_mockexam", False) for cb in gc.callbacks):
        return
    started: list[float] = [0.0]

    def callback(phase: str, info: dict) -> None:
        if phase == "start":
            started[0] = time.perf_counter()
            return
        ms = (time.perf_counter() - started[0]) * 1000.0
        if ms >= threshold_ms:
            logger.warning(
                "gc: generation %d paused %.0f ms (%d collected)",
                info["generation"],
                ms,
                info.get("collected", 0),
            )

    callback._mockexam = True  # type: ignore[attr-defined]
    gc.callbacks.append(callback)


def tune_switching() -> float:
    """Set the GIL switch interval (ms; `MOCKEXAM_SWITCH_INTERVAL_MS`); returns the one in force."""
    text = os.environ.get("MOCKEXAM_SWITCH_INTERVAL_MS", "").strip().lower()
    if text != "default":
        ms = (
            _milliseconds("MOCKEXAM_SWITCH_INTERVAL_MS", text, 0.05, 100, " or default")
            if text
            else SWITCH_INTERVAL_MS
        )
        sys.setswitchinterval(ms / 1000.0)
    interval = sys.getswitchinterval() * 1000.0
    logger.info("thread switch interval %.2f ms", interval)
    return interval


def tune_runtime() -> None:
    """Both, as the app's lifespan task runs them in every backend worker."""
    tune_gc()
    tune_switching()


def _stall_threshold_ms() -> float | None:
    """`MOCKEXAM_STALL_LOG` in milliseconds, or None when unset."""
    text = os.environ.get("MOCKEXAM_STALL_LOG", "").strip()
    return _milliseconds("MOCKEXAM_STALL_LOG", text, 5, 60_000) if text else None


def _milliseconds(name: str, text: str, low: float, high: float, other: str = "") -> float:
    """`text` as milliseconds from `low` to `high`; ValueError naming `name` otherwise."""
    try:
        ms = float(text)
    except ValueError:
        ms = -1.0
    if not low <= ms <= high:
        raise ValueError(
            f"{name} must be a number of milliseconds from {low:g} to {high:g}{other}: {text!r}"
        )
    return ms


def _loop_stack(thread_id: int, limit: int = 14) -> str:
    frame = sys._current_frames().get(thread_id)
    if frame is None:
        return "(the loop thread is gone)"
    return "".join(traceback.format_stack(frame)[-limit:])


def _watchdog(beat: list[float], thread_id: int, threshold_ms: float, stop: threading.Event):
    """Report the loop thread's stack while its heartbeat is older than the threshold."""
    threshold = threshold_ms / 1000.0
    while not stop.wait(threshold / 2):
        late = time.monotonic() - beat[0]
        if late >= threshold:
            logger.warning(
                "event loop stalled %.0f ms so far, at:\n%s", late * 1000, _loop_stack(thread_id)
            )


async def watch_stalls() -> None:
    """The lifespan task behind `MOCKEXAM_STALL_LOG` (returns at once when it is unset)."""
    threshold_ms = _stall_threshold_ms()
    if threshold_ms is None:
        return
    beat = [time.monotonic()]
    stop = threading.Event()
    thread = threading.Thread(
        target=_watchdog,
        args=(beat, threading.get_ident(), threshold_ms, stop),
        name="stall-watchdog",
        daemon=True,
    )
    thread.start()
    logger.info("stall watchdog: loop stalls of %.0f ms or more are logged", threshold_ms)
    try:
        while True:
            beat[0] = time.monotonic()
            await asyncio.sleep(min(0.01, threshold_ms / 4000.0))
    finally:
        stop.set()
