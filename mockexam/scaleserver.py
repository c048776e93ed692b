"""`python -m mockexam.scaleserver` (`make run-scale`): the scale-out deployment on one machine.

PostgreSQL and Redis instead of SQLite and memory: the database is created
if missing and migrated, the demo data seeded when it is empty, the
production frontend built for the port, and then one supervisor
(mockexam.devserver.Supervisor) runs

- `backend`: Granian serving the Reflex app (API, websocket and the built
  frontend on one port) with several worker processes sharing one listening
  socket. Reflex keeps every tab's state in Redis, so any worker can serve any
  reconnect; a worker that dies is respawned (Reflex's own `reflex run --env
  prod` stops the whole server when one worker dies);
- `worker`: a Huey consumer on the Redis queue that runs the periodic sweep;
- `worker-2`: a second consumer with `--no-periodic` (the sweep must not run twice);
- `bot`: the Telegram bot, when TELEGRAM_BOT_TOKEN is set.

`DATABASE_URL` and `REDIS_URL` come from the environment, with defaults for
the servers on 127.0.0.1. `python -m mockexam.scaleserver backend --port P
--workers W` runs the backend alone (tests and bench/load_bench.py start it
so); the frontend must have been built for that port (`build --port P`).
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import subprocess
import sys
import time
from collections.abc import Mapping

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from mockexam.config import PROJECT_ROOT, settings
from mockexam.devserver import ChildSpec, Supervisor, _responds, reflex_environment

logger = logging.getLogger("mockexam.scaleserver")

DEFAULT_DATABASE_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/mockexam"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"
DEFAULT_PORT = 3000
# One worker per core: with answer saves over HTTP, 3 workers on this 2-core machine
# gave 2,000 exam-takers a save p95 of 3.0 s, 2 workers 0.27 s (bench/load_bench.py;
# docs/benchmarks.md has the figures).
DEFAULT_BACKEND_WORKERS = max(1, os.cpu_count() or 1)
# Room in the kernel's accept queue for a burst of students connecting at once.
LISTEN_BACKLOG = 4096
# Granian's "backpressure" caps the connections a worker holds open, idle keep-alive
# ones included (measured: with a cap of 8, a 9th client got no answer while 8 idle
# keep-alive connections stayed open). Its default, backlog // workers, was 2,048 per
# worker here: every exam tab holds a websocket and a keep-alive connection for its
# saves, so at 5,000 students the saves of the tabs over the cap waited minutes for a
# slot with the CPU half idle. The cap is for connections, not work in progress.
CONNECTIONS_PER_WORKER = 16_384
# Reflex's Redis lock on a tab's state, and how long a worker keeps an idle tab's state
# (its opportunistic lease): see run_backend.
REDIS_LOCK_EXPIRATION_MS = 30_000
OPLOCK_HOLD_SECONDS = 25


def scale_environment(base: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment of every scale-out process: Reflex's, with the two URLs defaulted."""
    env = reflex_environment(base)
    env.setdefault("DATABASE_URL", DEFAULT_DATABASE_URL)
    env.setdefault("REDIS_URL", DEFAULT_REDIS_URL)
    if not env["DATABASE_URL"].startswith("postgresql"):
        raise SystemExit(
            f"scale-out mode runs on PostgreSQL; DATABASE_URL is {env['DATABASE_URL']}"
        )
    if not env["REDIS_URL"]:
        raise SystemExit("scale-out mode needs REDIS_URL")
    return env


def ensure_database(url: str) -> bool:
    """Create the PostgreSQL database of `url` when it does not exist; whether it was created."""
    target = make_url(url)
    name = target.database
    if not name:
        raise SystemExit(f"DATABASE_URL names no database: {url}")
    engine = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            exists = conn.execute(
                text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}
            ).first()
            if exists:
                return False
            quoted = conn.dialect.identifier_preparer.quote(name)
            conn.execute(text(f"CREATE DATABASE {quoted}"))
            logger.info("created database %s", name)
            return True
    finally:
        engine.dispose()


def check_redis(url: str) -> None:
    """Fail early, and clearly, when Redis does not answer."""
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=3).ping()
    except redis.RedisError as error:
        raise SystemExit(f"Redis at {url} does not answer: {error}") from None


def reflex_port_environment(env: Mapping[str, str], port: int) -> dict[str, str]:
    """Frontend and backend on one port, as the production bundle is built for."""
    return {**env, "REFLEX_FRONTEND_PORT": str(port), "REFLEX_BACKEND_PORT": str(port)}


def build_frontend(env: Mapping[str, str], port: int) -> None:
    """Compile the app and build the production frontend for `port` (into REFLEX_WEB_WORKDIR)."""
    logger.info("building the production frontend for port %s", port)
    argv = [sys.executable, "-m", "reflex", "export", "--frontend-only", "--no-zip"]
    subprocess.run(
        [*argv, "--env", "prod"],
        cwd=PROJECT_ROOT,
        env=reflex_port_environment(env, port),
        check=True,
        stdin=subprocess.DEVNULL,
    )


def prepare(env: Mapping[str, str]) -> None:
    """Migrate (alembic upgrade head) and seed the demo data if the database is empty."""
    for args in (["migrate"], ["seed-demo", "--if-empty"]):
        subprocess.run(
            [sys.executable, "-m", "mockexam", *args],
            cwd=PROJECT_ROOT,
            env=dict(env),
            check=True,
            stdin=subprocess.DEVNULL,
        )


def backend_command(port: int, workers: int) -> list[str]:
    return [
        sys.executable,
        "-m",
        "mockexam.scaleserver",
        "backend",
        "--port",
        str(port),
        "--workers",
        str(workers),
    ]


def child_specs(*, port: int, workers: int, telegram_enabled: bool) -> list[ChildSpec]:
    """The backend, two consumers (one with the periodic sweep), and the bot with a token."""
    python = sys.executable
    specs = [
        ChildSpec("backend", backend_command(port, workers)),
        # SIGINT lets Huey finish the running tasks; SIGTERM would interrupt them.
        ChildSpec("worker", [python, "-m", "mockexam", "worker"], stop_signal=signal.SIGINT),
        ChildSpec(
            "worker-2",
            [python, "-m", "mockexam", "worker", "--no-periodic"],
            stop_signal=signal.SIGINT,
        ),
    ]
    if telegram_enabled:
        specs.append(ChildSpec("bot", [python, "-m", "mockexam", "bot"]))
    return specs


SAVE_CONNECTIONS = 48  # of PostgreSQL's default 100, beside Reflex's threads and consumers
MAX_SAVE_THREADS = 24


def save_threads_for(workers: int) -> int:
    """Sheet-save threads per backend worker: SAVE_CONNECTIONS shared, 4 to 24 each."""
    return max(4, min(MAX_SAVE_THREADS, SAVE_CONNECTIONS // max(1, workers)))


def connections_per_worker() -> int:
    """`MOCKEXAM_CONNECTIONS_PER_WORKER`, else CONNECTIONS_PER_WORKER (Granian's backpressure)."""
    text = os.environ.get("MOCKEXAM_CONNECTIONS_PER_WORKER", "").strip()
    if not text:
        return CONNECTIONS_PER_WORKER
    if not text.isdigit() or not 128 <= int(text) <= 1_000_000:
        raise SystemExit(
            f"MOCKEXAM_CONNECTIONS_PER_WORKER must be a whole number from 128 to 1000000: {text!r}"
        )
    return int(text)


def run_backend(*, port: int, workers: int, host: str = "0.0.0.0") -> None:
    """Granian with `workers` processes serving the compiled app; crashed workers respawn.

    What `reflex run --env prod` ends with (reflex.utils.exec.run_granian_backend_prod),
    with the worker count, the accept backlog, the connection cap and the respawn set here.
    """
    os.environ.update(
        REFLEX_ENV_MODE="prod", REFLEX_FRONTEND_PORT=str(port), REFLEX_BACKEND_PORT=str(port)
    )
    # A tab's websocket stays on one worker, so that worker may keep the tab's state
    # between events (Reflex's opportunistic lock) instead of a Redis round trip each
    # time; another worker asking for it makes the holder write it back at once.
    os.environ.setdefault("REFLEX_OPLOCK_ENABLED", "true")
    # How long the worker keeps a tab's state after its last event. Reflex's default is
    # half the lock's 10 s, shorter than the sheet's 10-20 s between saves: every save
    # then took the lock from Redis, read the state and wrote it back 5 s later. 25 s
    # outlasts the gap, so a save costs no Redis round trip (load bench, 3,000 students:
    # p95 2.4 s -> 0.29 s). The price: a SIGKILLed worker's tabs wait up to the lock's
    # 30 s before another worker may take their state (their answers wait in the browser).
    os.environ.setdefault("REFLEX_REDIS_LOCK_EXPIRATION", str(REDIS_LOCK_EXPIRATION_MS))
    os.environ.setdefault("REFLEX_OPLOCK_HOLD_TIME", f"{OPLOCK_HOLD_SECONDS}s")
    # Answer saves (mockexam/api.py) wait on PostgreSQL in threads of their own; more
    # of them carry more saves at once (3,000 students on 2 workers: 8 threads each,
    # p95 7.6 s and 3,782 saves unanswered in 15 s; 24 each, p95 2.8 s and none), but
    # each holds a connection: the workers share SAVE_CONNECTIONS of max_connections.
    # On SQLite (the embedded mode under mockexam.devserver's prod run) the database has
    # one writer at a time: api.save_threads' default of one thread stays.
    if not settings.is_sqlite:
        os.environ.setdefault("MOCKEXAM_SAVE_THREADS", str(save_threads_for(workers)))
    import multiprocessing

    from granian.constants import Interfaces
    from granian.log import LogLevels
    from granian.server import Server
    from reflex.utils import exec as reflex_exec
    from reflex_base.environment import environment

    # Serve the build as it is (no compile in the workers), frontend and API on one port.
    environment.REFLEX_SKIP_COMPILE.set(True)
    environment.REFLEX_MOUNT_FRONTEND_COMPILED_APP.set(True)

    # Fork from a supervisor that has imported the app, as Reflex does: the
    # workers share its pages and start in a fraction of a second.
    multiprocessing.set_start_method("fork", force=True)
    if not reflex_exec._preload_for_fork(None):
        multiprocessing.set_start_method("spawn", force=True)
    server = Server(
        # The app module's scale_app (mockexam.mockexam): Reflex's app with the sheet's
        # saves answered first.
        target=reflex_exec.get_app_instance_from_file().rsplit(":", 1)[0] + ":scale_app",
        factory=True,
        address=host,
        port=port,
        interface=Interfaces.ASGI,
        workers=workers,
        backlog=LISTEN_BACKLOG,
        backpressure=connections_per_worker(),
        respawn_failed_workers=True,
        respawn_interval=1.0,
        log_level=LogLevels(os.environ.get("GRANIAN_LOG_LEVEL", "warning")),
        log_dictconfig=reflex_exec._granian_log_dictconfig(),
    )
    server.serve()


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m mockexam.scaleserver", description=__doc__)
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", DEFAULT_PORT)))
    parser.add_argument(
        "--workers",
        type=int,
        default=int(os.environ.get("BACKEND_WORKERS", DEFAULT_BACKEND_WORKERS)),
        help="backend worker processes (BACKEND_WORKERS)",
    )
    parser.add_argument("--skip-build", action="store_true", help="reuse the last frontend build")
    sub = parser.add_subparsers(dest="command")
    for name, help_ in (
        ("backend", "run only the backend (the frontend must be built for --port)"),
        ("build", "only build the production frontend for --port"),
        ("serve", "build the production frontend for --port, then run the backend"),
    ):
        p = sub.add_parser(name, help=help_)
        p.add_argument("--port", type=int, default=argparse.SUPPRESS)
        p.add_argument("--workers", type=int, default=argparse.SUPPRESS)
    return parser


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s scaleserver %(levelname)s %(message)s"
    )
    args = _parser().parse_args(argv)
    if args.workers < 1:
        raise SystemExit("--workers must be at least 1")
    if args.command in ("backend", "serve") and args.workers > 1 and not settings.redis_url:
        raise SystemExit(
            "without REDIS_URL the tabs' states live in the backend's memory: --workers 1"
        )
    if args.command == "backend":
        run_backend(port=args.port, workers=args.workers)
        return 0
    if args.command in ("build", "serve"):  # the bundle does not depend on the database
        build_frontend(reflex_environment(), args.port)
        if args.command == "serve":  # `MOCKEXAM_RUN_MODE=prod make run`'s app
            run_backend(port=args.port, workers=args.workers)
        return 0
    env = scale_environment()
    env.setdefault("WEBAPP_URL", f"http://localhost:{args.port}/app")

    ensure_database(env["DATABASE_URL"])
    check_redis(env["REDIS_URL"])
    prepare(env)
    if not args.skip_build:
        build_frontend(env, args.port)
    from mockexam.config import reload_settings

    os.environ.update({k: env[k] for k in ("DATABASE_URL", "REDIS_URL", "WEBAPP_URL")})
    reloaded = reload_settings()
    specs = child_specs(
        port=args.port, workers=args.workers, telegram_enabled=reloaded.telegram_enabled
    )
    supervisor = Supervisor(specs, reflex_port_environment(env, args.port))
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, supervisor.request_stop)
    url = f"http://localhost:{args.port}"
    announced = False

    def announce_when_ready() -> None:
        nonlocal announced
        if not announced and _responds(f"{url}/ping"):
            announced = True
            sys.stdout.write(_banner(url, args.workers, env, reloaded.telegram_enabled))
            sys.stdout.flush()

    try:
        supervisor.start()
        status = supervisor.wait(on_tick=announce_when_ready)
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        supervisor.stop()
    return status


def _banner(url: str, workers: int, env: Mapping[str, str], telegram: bool) -> str:
    from mockexam.devserver import demo_student_link
    from mockexam.services.demo import admin_sign_in_hint

    database = make_url(env["DATABASE_URL"]).render_as_string(hide_password=True)
    lines = [
        "",
        "  mockexam is running (scale-out: PostgreSQL + Redis, prod build)",
        f"    App:          {url}/app",
        f"    Admin panel:  {url}/admin",
        f"                  {admin_sign_in_hint()}",
        f"    Backend:      {workers} Granian workers, Reflex state in {env['REDIS_URL']}",
        f"    Database:     {database}",
        "    Consumers:    2 (one runs the periodic sweep)",
        f"    Telegram:     {'bot running' if telegram else 'NOT configured (no TELEGRAM_BOT_TOKEN)'}",
        f"    Student Mini App: {demo_student_link()}",
        "    Ctrl-C stops everything.",
        "",
    ]
    return "\n".join(lines) + "\n"


def wait_until_serving(url: str, timeout: float) -> bool:
    """Poll `url/ping` until it answers 200 or `timeout` passes (tests, bench)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if _responds(f"{url}/ping"):
            return True
        time.sleep(0.2)
    return False


if __name__ == "__main__":
    raise SystemExit(main())
