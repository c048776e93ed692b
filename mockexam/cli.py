"""`python -m mockexam …`: the command line of mockexam.

migrate · create-admin · deactivate-admin · seed-demo · layouts · import-key · import-questions ·
auto-submit · calibrate-exam · exclude-item · worker · bot · broadcast · notify · student-link ·
deploy-config · telegram-setup · doctor · backup · restore
"""

from __future__ import annotations

import argparse
import getpass
import logging
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from mockexam.config import PROJECT_ROOT, settings
from mockexam.errors import MockExamError

if TYPE_CHECKING:
    from mockexam.telegram.webapp_link import TelegramProfile

logger = logging.getLogger(__name__)
LINK_LANGUAGES = ("uz", "ru", "en")


def _migrate(_args: argparse.Namespace) -> int:
    from alembic import command
    from alembic.config import Config

    config = Config(str(PROJECT_ROOT / "alembic.ini"))
    config.set_main_option("sqlalchemy.url", settings.database_url)
    command.upgrade(config, "head")
    print(f"Database is at the latest schema ({_safe_url(settings.database_url)}).")
    return 0


def _safe_url(url: str) -> str:
    """The URL without its password, for printing."""
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        creds, host = rest.rsplit("@", 1)
        return f"{scheme}://{creds.split(':', 1)[0]}:***@{host}" if ":" in creds else url
    return url


def _create_admin(args: argparse.Namespace) -> int:
    from mockexam.db import session_scope
    from mockexam.models import AdminRole
    from mockexam.services.admins import set_admin, set_admin_language, set_role

    password = args.password or os.environ.get("ADMIN_PASSWORD")
    if not password:
        password = getpass.getpass(f"Password for {args.username}: ")
        if password != getpass.getpass("Repeat the password: "):
            print("The passwords differ; nothing was changed.", file=sys.stderr)
            return 2
    with session_scope() as db:
        change = set_admin(
            db,
            username=args.username,
            password=password,
            reactivate=args.reactivate,
            role=AdminRole(args.role or AdminRole.OWNER),
        )
        admin = change.admin
        if args.language:
            db.flush()  # the new admin's id
            set_admin_language(db, admin.id, args.language)
        if change.created:
            print(
                f"Admin {admin.username!r} is ready (id {admin.id}, {admin.role}, "
                f"panel in {admin.language})."
            )
            return 0
        if args.role and set_role(db, admin, AdminRole(args.role)):
            print(f"Admin {admin.username!r} is now {admin.role}.")
        print(
            f"The password of admin {admin.username!r} was reset; "
            f"{change.sessions_ended} session(s) signed out."
        )
        if change.reactivated:
            print(f"Admin {admin.username!r} is active again.")
        elif not admin.is_active:
            print(
                f"Admin {admin.username!r} is still deactivated (a reset does not re-activate): "
                f"`create-admin {admin.username} --reactivate` does."
            )
    return 0


def _deactivate_admin(args: argparse.Namespace) -> int:
    from mockexam.db import session_scope
    from mockexam.services.admins import active_admin_count, find_admin, set_active

    with session_scope() as db:
        admin = find_admin(db, args.username)
        was_active = admin.is_active
        ended = set_active(db, admin, False)
        name = admin.username
        others = active_admin_count(db)
    state = "deactivated" if was_active else "was already deactivated"
    print(
        f"Admin {name!r} {state}; {ended} session(s) signed out. "
        f"`create-admin {name} --reactivate` re-activates with a new password."
    )
    if not others:
        print("No active admin is left: the panel cannot be signed in to until one is.")
    return 0


def _seed_demo(args: argparse.Namespace) -> int:
    from mockexam.services import demo

    try:
        summary = demo.seed_demo(
            if_empty=args.if_empty, students=args.students, in_production=args.in_production
        )
    except demo.DemoInProductionError as err:
        if args.if_empty:  # `make run` and `make run-scale` ask for it on every start
            print(f"Skipped: {err}")
            return 0
        raise
    print(summary.describe())
    return 0


MAX_LAYOUT_FILE_BYTES = 256 * 1024
"""A layout's JSON is a few kilobytes (12 sections at most); a bigger file is not one."""


def _layouts(args: argparse.Namespace) -> int:
    """`layouts`: the templates; `layouts show NAME [--json]`; `layouts check FILE`."""
    action = getattr(args, "layouts_action", None)
    if action == "show":
        return _layouts_show(args)
    if action == "check":
        return _layouts_check(args)
    from mockexam.scoring.layout_templates import TEMPLATES

    lang = args.lang
    for name, template in TEMPLATES.items():
        print(f"{name:<18} {template.title(lang)}")
        print(f"{'':<18} {_layout_summary(template.layout, lang)}, {template.duration_minutes} min")
    print("\n`layouts show NAME` for the sections, `--json` for the JSON to edit and import.")
    return 0


def _layout_summary(layout: object, lang: str) -> str:
    from mockexam.scoring.layout import SCALED, Layout
    from mockexam.scoring.points import format_points

    assert isinstance(layout, Layout)
    official = "scaled score first" if layout.official_score == SCALED else "points first"
    return (
        f"{len(layout.sections)} section(s), {layout.item_count()} items, "
        f"{format_points(layout.max_points(), lang)} points, {official}"
    )


def _layouts_show(args: argparse.Namespace) -> int:
    import json

    from mockexam.scoring.layout_templates import TEMPLATES, subject_name
    from mockexam.scoring.points import format_points

    template = TEMPLATES.get(args.name)
    if template is None:
        print(
            f"error: no template {args.name!r}; the templates are {', '.join(TEMPLATES)}",
            file=sys.stderr,
        )
        return 2
    layout = template.layout
    if args.json:
        print(json.dumps(layout.to_json(), ensure_ascii=False, indent=2))
        return 0
    lang = args.lang
    print(f"{template.name}: {template.title(lang)}")
    print(f"{_layout_summary(layout, lang)}, {template.duration_minutes} min")
    for section, first, maximum in zip(
        layout.sections, layout.firsts(), layout.section_max_points(), strict=True
    ):
        last = first + section.count - 1
        if section.kind == "mcq":
            kind = f"multiple choice {'/'.join(section.options)}"
        else:
            kind = "free response" + (f", parts {'/'.join(section.parts)}" if section.parts else "")
        title = section.title(lang)
        subject = subject_name(section.subject, lang)
        named = title if subject in title else f"{title} ({subject})"
        print(
            f"  [{section.key}] {first}–{last}  {named}: {section.count} × {kind} "
            f"at {format_points(section.points, lang)} points each, "
            f"{format_points(maximum, lang)} points"
        )
    return 0


def _layouts_check(args: argparse.Namespace) -> int:
    from mockexam.scoring.layout import LayoutError, validate_layout_json

    try:
        with Path(args.file).open("rb") as file:
            data = file.read(MAX_LAYOUT_FILE_BYTES + 1)
    except OSError as err:
        print(f"error: {args.file}: cannot be read: {err.strerror}", file=sys.stderr)
        return 1
    if len(data) > MAX_LAYOUT_FILE_BYTES:
        print(
            f"error: {args.file}: over {MAX_LAYOUT_FILE_BYTES:,} bytes; not a layout",
            file=sys.stderr,
        )
        return 1
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        print(f"error: {args.file}: not UTF-8 text (byte {err.start})", file=sys.stderr)
        return 1
    try:
        layout = validate_layout_json(text)
    except LayoutError as err:
        count = len(err.problems)
        print(f"{args.file}: not a valid layout ({count} problem(s)):", file=sys.stderr)
        for problem in err.problems:
            print(f"  - {problem.text(args.lang)}", file=sys.stderr)
        return 1
    print(f"{args.file}: a valid layout: {_layout_summary(layout, args.lang)}")
    return 0


def _import_key(args: argparse.Namespace) -> int:
    from mockexam.db import session_scope
    from mockexam.scoring.answer_key import MAX_KEY_CHARS
    from mockexam.services.exams import import_answer_key

    # At most what a key may be (4 bytes a character, one more to tell): a huge or
    # binary file is refused with a message, not read whole or shown as a traceback.
    limit = 4 * MAX_KEY_CHARS
    try:
        with Path(args.file).open("rb") as file:
            data = file.read(limit + 1)
    except OSError as err:
        print(f"error: {args.file}: cannot be read: {err.strerror}", file=sys.stderr)
        return 2
    if len(data) > limit:
        print(
            f"error: {args.file}: over {limit:,} bytes; an answer key has at most "
            f"{MAX_KEY_CHARS:,} characters",
            file=sys.stderr,
        )
        return 2
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        print(
            f"error: {args.file}: not UTF-8 text (byte {err.start}); save it as UTF-8",
            file=sys.stderr,
        )
        return 2
    with session_scope() as db:
        result = import_answer_key(db, args.exam_id, text)
    print(f"Saved {result.updated} answer(s).", end=" ")
    print(
        f"Still missing: {', '.join(result.missing)}." if result.missing else "The key is complete."
    )
    return 0


def _import_questions(args: argparse.Namespace) -> int:
    from mockexam.db import session_scope
    from mockexam.services import practice_bank

    path = Path(args.file)
    try:
        bundle = practice_bank.read_question_path(path)
        with session_scope() as db:
            report = practice_bank.import_questions(
                db, bundle, source=path.name, dry_run=args.dry_run
            )
    except practice_bank.QuestionImportError as err:
        print(f"Nothing was imported from {path}:", file=sys.stderr)
        for line in practice_bank.error_lines(err):
            print(f"  {line}", file=sys.stderr)
        return 2
    verb = "Would add" if args.dry_run else "Added"
    print(f"{verb} {report.added} question(s); {report.skipped_duplicates} already in the bank.")
    return 0


def _auto_submit(_args: argparse.Namespace) -> int:
    from mockexam.tasks import run_sweep

    outcome = run_sweep()
    print(
        f"Auto-submitted {outcome['auto_submitted']}, graded {outcome['graded']}, "
        f"released {outcome['released']} exam(s), "
        f"{outcome['practice_submitted']} practice session(s) auto-submitted."
    )
    return 0


def _calibrate_exam(args: argparse.Namespace) -> int:
    from mockexam.services import release

    summary = release.release_exam(args.exam_id, force_recalibrate=args.recalibrate)
    if summary is None:
        print(f"Exam {args.exam_id} is not due for release (window still open or already out).")
        return 1
    print(summary.describe())
    return 0


def _exclude_item(args: argparse.Namespace) -> int:
    from mockexam.services import release

    summary = release.exclude_item(args.exam_id, args.item, excluded=not args.restore)
    verb = "Restored" if args.restore else "Excluded"
    print(f"{verb} item {args.item} of exam {args.exam_id}.")
    if summary is not None:
        print(summary.describe())
    return 0


def _worker(args: argparse.Namespace) -> int:
    from mockexam.worker import run_consumer

    run_consumer(workers=args.workers, periodic=not args.no_periodic)
    return 0


def _bot(args: argparse.Namespace) -> int:
    from mockexam import bot

    bot.main(
        webhook_url=args.webhook_url,
        listen=args.listen,
        port=args.port,
        secret_token=settings.telegram_webhook_secret,
    )
    return 0


def _deliver(broadcast_id: int, *, here: bool) -> int:
    """Send now in this process (`--here`) or hand the broadcast to the worker."""
    from mockexam.db import session_scope
    from mockexam.services import broadcasts

    if not settings.telegram_enabled:
        print(broadcasts.NOT_CONFIGURED)
        return 0
    if here:
        print(broadcasts.deliver_pending().describe())
    else:
        from mockexam.tasks_telegram import start_delivery

        start_delivery()
        print("Queued: the worker (python -m mockexam worker) is sending it.")
    with session_scope(readonly=True) as db:
        print(broadcasts.broadcast_progress(db, broadcast_id).describe())
    return 0


def _broadcast(args: argparse.Namespace) -> int:
    from mockexam.db import session_scope
    from mockexam.services import broadcasts

    with session_scope() as db:
        created = broadcasts.send_custom_broadcast(db, text=args.text, channel_post=args.channel)
    channel = " and the channel" if created.channel_post else ""
    print(f"Broadcast {created.broadcast_id} created for {created.total} student(s){channel}.")
    return _deliver(created.broadcast_id, here=args.here)


def _notify(args: argparse.Namespace) -> int:
    from mockexam.db import session_scope
    from mockexam.services import broadcasts

    notify = {
        "new": broadcasts.notify_new_exam,
        "open": broadcasts.notify_exam_open,
        "results": broadcasts.notify_results_ready,
    }[args.kind]
    with session_scope() as db:
        created = notify(db, args.exam_id)
    if not created.created:
        print(f"This notification already exists (broadcast {created.broadcast_id}).")
    else:
        channel = " and the channel" if created.channel_post else ""
        print(f"Broadcast {created.broadcast_id} created for {created.total} student(s){channel}.")
    return _deliver(created.broadcast_id, here=args.here)


def stored_profile(telegram_id: int) -> TelegramProfile | None:
    """The stored names and language of the student with `telegram_id`, if any.

    None when there is no such student, or no usable database (a link can
    still be made, with default names).
    """
    from sqlalchemy.exc import SQLAlchemyError
    from sqlmodel import select

    from mockexam.db import session_scope
    from mockexam.models import Student
    from mockexam.telegram.webapp_link import TelegramProfile

    try:
        with session_scope(readonly=True) as db:
            student = db.exec(select(Student).where(Student.telegram_id == telegram_id)).first()
    except SQLAlchemyError as err:
        logger.warning("cannot read students (%s); using default names", err.__class__.__name__)
        return None
    if student is None:
        return None
    return TelegramProfile(
        first_name=student.first_name,
        last_name=student.last_name,
        username=student.username,
        language_code=student.language_code,
    )


def student_link_for(
    telegram_id: int,
    *,
    path: str = "",
    first_name: str | None = None,
    last_name: str | None = None,
    username: str | None = None,
    language: str | None = None,
    base_url: str | None = None,
    bot_token: str | None = None,
    theme: str = "light",
    start_param: str | None = None,
) -> str:
    """A signed Mini App link; names default to the stored student's, then to placeholders.

    `base_url` defaults to WEBAPP_URL, `bot_token` to `settings.webapp_token`.
    """
    from dataclasses import replace

    from mockexam.telegram.webapp_link import TelegramProfile, student_link

    profile = stored_profile(telegram_id) or TelegramProfile()
    overrides = {
        "first_name": first_name,
        "last_name": last_name,
        "username": username,
        "language_code": language,
    }
    profile = replace(profile, **{k: v for k, v in overrides.items() if v is not None})
    return student_link(
        telegram_id,
        path=path,
        profile=profile,
        base_url=base_url,
        bot_token=bot_token,
        theme=theme,  # type: ignore[arg-type]
        start_param=start_param,
    )


def _student_link(args: argparse.Namespace) -> int:
    if args.telegram_id <= 0:
        print("error: TELEGRAM_ID must be a positive integer", file=sys.stderr)
        return 2
    print(
        student_link_for(
            args.telegram_id,
            path=args.path,
            first_name=args.first_name,
            last_name=args.last_name,
            username=args.username,
            language=args.language,
            base_url=args.base_url,
            theme=args.theme,
        )
    )
    from mockexam.telegram.webapp_session import describe_age, initdata_max_age

    token = "the bot token" if settings.telegram_enabled else "the dev token (no bot configured)"
    print(
        f"Signed with {token}; valid for {describe_age(initdata_max_age())} "
        "(an opened tab then stays signed in on its own credential).",
        file=sys.stderr,
    )
    return 0


def _telegram_setup(args: argparse.Namespace) -> int:
    from mockexam.telegram.setup import run_telegram_setup

    report = run_telegram_setup(
        webhook_url=args.webhook_url,
        delete_webhook=args.delete_webhook,
        dry_run=args.dry_run,
        force=args.force,
    )
    for line in report.lines():
        print(line)
    for warning in report.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    return 0


def _deploy_config(args: argparse.Namespace) -> int:
    from mockexam.deploy import DeployOptions, write_deploy_config

    options = DeployOptions(
        domain=args.domain,
        email=args.email,
        tls_internal=args.tls_internal,
        app_port=args.app_port,
        https_port=args.https_port,
        http_port=args.http_port,
        bind=args.bind,
        caddy_admin=args.caddy_admin,
        project_dir=Path(args.project_dir),
        data_dir=Path(args.data_dir) if args.data_dir else None,
        python=Path(args.python) if args.python else None,
        user=args.user,
        database_url=args.database_url,
    )
    print(write_deploy_config(options, Path(args.out)).describe(), end="")
    return 0


def _doctor(args: argparse.Namespace) -> int:
    if not args.verbose:  # each failure is a ✗ line below; the log would only repeat it
        # Before the import: alembic logs its plugins' set-up as it is imported.
        for name in ("alembic", "mockexam.services.health"):
            logging.getLogger(name).setLevel(logging.ERROR)
    from mockexam.services.doctor import fit_to_serve, run_checks

    checks = run_checks()
    for check in checks:
        print(f"{'✓' if check.ok else '✗'} {check.name}: {check.detail}")
        if not check.ok and check.fix:
            print(f"    fix: {check.fix}")
    failed = sum(not check.ok for check in checks)
    if fit_to_serve(checks):
        print(f"All {len(checks)} checks pass: this installation is fit to serve.")
        return 0
    print(f"{failed} of {len(checks)} checks fail: not fit to serve real users yet.")
    return 1


def _backup(args: argparse.Namespace) -> int:
    from mockexam.services import backup

    result = backup.create_backup(directory=Path(args.dir) if args.dir else None)
    print(result.describe())
    return 0


def _restore(args: argparse.Namespace) -> int:
    from mockexam.services import backup

    print(
        f"Restoring {args.file} into {backup.safe_url(settings.database_url)} and "
        f"{settings.upload_dir}. The app, the worker and the bot must be stopped "
        "(a SQLite file that is in use is refused)."
    )
    result = backup.restore(Path(args.file), force=args.force)
    print(result.describe())
    return 0 if result.ok else 1


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m mockexam", description=__doc__)
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = parser.add_subparsers(dest="command", required=True)

    def add(
        name: str, func: Callable[[argparse.Namespace], int], help_: str
    ) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_, description=help_)
        p.set_defaults(func=func)
        return p

    add("migrate", _migrate, "Bring the database to the latest schema (alembic upgrade head).")
    p = add(
        "create-admin",
        _create_admin,
        "Create an admin, or reset their password (which signs them out everywhere).",
    )
    p.add_argument("username")
    p.add_argument("--password", help="default: $ADMIN_PASSWORD, else asked for")
    p.add_argument(
        "--reactivate",
        action="store_true",
        help="also re-activate a deactivated admin (a reset alone does not)",
    )
    p.add_argument(
        "--language",
        choices=("uz", "ru", "en"),
        help="the admin panel's language for this admin (default: ADMIN_DEFAULT_LANGUAGE)",
    )
    p.add_argument(
        "--role",
        choices=("owner", "admin", "teacher"),
        help="a new account's role (default owner: whoever runs this runs the server); "
        "for an existing account, its new role",
    )
    p = add(
        "deactivate-admin",
        _deactivate_admin,
        "Deactivate an admin and sign them out everywhere (create-admin --reactivate undoes).",
    )
    p.add_argument("username")
    p = add("seed-demo", _seed_demo, "Fill the database with demo students and exams.")
    p.add_argument("--if-empty", action="store_true", help="do nothing if any exam exists")
    p.add_argument("--students", type=int, default=300)
    p.add_argument(
        "--in-production",
        action="store_true",
        help="with MOCKEXAM_ENV=production: seed anyway (the demo admin gets a random password)",
    )
    p = add(
        "layouts",
        _layouts,
        "List the answer-sheet templates; `show NAME [--json]` prints one, `check FILE` "
        "validates a layout's JSON (exit 1 naming every problem).",
    )
    p.add_argument("--lang", choices=LINK_LANGUAGES, default="en", help="titles and messages")
    actions = p.add_subparsers(dest="layouts_action")
    shown = actions.add_parser("show", help="one template's sections (or its JSON)")
    shown.add_argument("name", help="certificate_math, dtm_block or custom")
    shown.add_argument("--json", action="store_true", help="the JSON (to edit and import)")
    shown.add_argument("--lang", choices=LINK_LANGUAGES, default=argparse.SUPPRESS)
    checked = actions.add_parser("check", help="validate a layout JSON file")
    checked.add_argument("file")
    checked.add_argument("--lang", choices=LINK_LANGUAGES, default=argparse.SUPPRESS)
    p = add("import-key", _import_key, "Import an answer key (bulk-paste format) from a file.")
    p.add_argument("exam_id", type=int)
    p.add_argument("file")
    p = add(
        "import-questions",
        _import_questions,
        "Import practice questions from a CSV or JSON file (or a .zip with its images).",
    )
    p.add_argument("file")
    p.add_argument("--dry-run", action="store_true", help="check the file, change nothing")
    add("auto-submit", _auto_submit, "One sweep: auto-submit overdue sessions, grade, release.")
    p = add("calibrate-exam", _calibrate_exam, "Calibrate and release a closed exam.")
    p.add_argument("exam_id", type=int)
    p.add_argument(
        "--recalibrate",
        action="store_true",
        help="recompute an already released exam (after excluding items)",
    )
    p = add(
        "exclude-item",
        _exclude_item,
        "Exclude a misprinted item (it becomes missing); a released exam is recalibrated.",
    )
    p.add_argument("exam_id", type=int)
    p.add_argument("item", help="item label, e.g. 7 or 36a")
    p.add_argument("--restore", action="store_true", help="put an excluded item back")
    p = add("worker", _worker, "Run the Huey consumer with this project's settings.")
    p.add_argument("--workers", type=int, default=None)
    p.add_argument(
        "--no-periodic",
        action="store_true",
        help="for extra consumers: leave the periodic sweep to one consumer",
    )
    p = add("bot", _bot, "Run the Telegram bot (long polling; a webhook with --webhook-url).")
    p.add_argument(
        "--webhook-url",
        help="public HTTPS URL Telegram posts updates to (needs TELEGRAM_WEBHOOK_SECRET)",
    )
    p.add_argument("--listen", default="0.0.0.0", help="webhook: address to listen on")
    p.add_argument("--port", type=int, default=8443, help="webhook: port to listen on")
    p = add("broadcast", _broadcast, "Send a message to every reachable student.")
    p.add_argument("--text", required=True, help="the message (plain text, at most 4096 chars)")
    p.add_argument("--channel", action="store_true", help="also post it to the channel")
    p.add_argument("--here", action="store_true", help="send from this process, not the worker")
    p = add("notify", _notify, "Notify students about an exam (new, opens, results ready).")
    p.add_argument("exam_id", type=int)
    p.add_argument("--kind", choices=("new", "open", "results"), default="new")
    p.add_argument("--here", action="store_true", help="send from this process, not the worker")
    p = add(
        "student-link",
        _student_link,
        "Print a Mini App URL with initData signed as Telegram signs it (local use, tests).",
    )
    p.add_argument("telegram_id", type=int, metavar="TELEGRAM_ID")
    p.add_argument("--path", default="", help="appended to WEBAPP_URL, e.g. /exam/2")
    p.add_argument("--first-name", help="default: the stored student's, else 'Student'")
    p.add_argument("--last-name", help="default: the stored student's")
    p.add_argument("--username", help="default: the stored student's")
    p.add_argument("--language", choices=LINK_LANGUAGES, help="default: the stored student's")
    p.add_argument("--base-url", help="default: WEBAPP_URL")
    p.add_argument("--theme", choices=("light", "dark"), default="light")
    p = add(
        "telegram-setup",
        _telegram_setup,
        "Set the bot up: check the token, set commands, descriptions and the Mini App menu "
        "button in uz/ru/en, and the webhook in webhook mode; only what differs is changed.",
    )
    p.add_argument(
        "--webhook-url",
        help="webhook mode: the public HTTPS URL Telegram posts updates to "
        "(the same as `bot --webhook-url`; needs TELEGRAM_WEBHOOK_SECRET)",
    )
    p.add_argument(
        "--delete-webhook",
        action="store_true",
        help="polling mode: remove a webhook that is set (polling fails while one is)",
    )
    p.add_argument("--dry-run", action="store_true", help="show what would change, change nothing")
    p.add_argument(
        "--force",
        action="store_true",
        help="set every item even if it looks unchanged (after changing TELEGRAM_WEBHOOK_SECRET, "
        "which Telegram never shows back)",
    )
    p = add(
        "deploy-config",
        _deploy_config,
        "Write a Caddyfile (HTTPS), systemd units and an environment file with fresh secrets "
        "for one production server; re-running keeps the secrets.",
    )
    p.add_argument("--domain", required=True, help="the site's DNS name, e.g. exam.example.uz")
    p.add_argument("--email", help="for Let's Encrypt's expiry notices")
    p.add_argument("--out", default="deploy", help="directory to write into (default: deploy/)")
    p.add_argument(
        "--tls-internal",
        action="store_true",
        help="local testing: Caddy's own CA instead of Let's Encrypt",
    )
    p.add_argument("--app-port", type=int, default=3000, help="the app's port on 127.0.0.1")
    p.add_argument("--https-port", type=int, default=443)
    p.add_argument("--http-port", type=int, default=80)
    p.add_argument("--bind", help="Caddy listens only on this address (e.g. 127.0.0.1)")
    p.add_argument("--caddy-admin", default="localhost:2019", help="host:port, or off")
    p.add_argument("--project-dir", default=str(PROJECT_ROOT), help="the checkout on the server")
    p.add_argument("--data-dir", help="database, uploads, backups, build (default: PROJECT/data)")
    p.add_argument("--python", help="default: PROJECT/.venv/bin/python")
    p.add_argument("--user", default="mockexam", help="the services' user (default: mockexam)")
    p.add_argument("--database-url", help="default: SQLite in the data directory")
    add(
        "doctor",
        _doctor,
        "Check that this installation is fit to serve: secrets, HTTPS, database, queue, "
        "consumer, bot, disk, backups (exit 1 on any failure).",
    )
    p = add(
        "backup",
        _backup,
        "Back up the database and the uploaded files into one file (rotating old backups).",
    )
    p.add_argument("--dir", help="the folder for backups (default: BACKUP_DIR)")
    p = add(
        "restore",
        _restore,
        "Restore a backup into an empty database, then migrate it to the latest schema.",
    )
    p.add_argument("file", help="a mockexam-backup-….tar.gz file")
    p.add_argument(
        "--force",
        action="store_true",
        help="replace a database that is not empty with the backup's contents",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    try:
        return args.func(args)
    except MockExamError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
