"""`python -m mockexam deploy-config`: the files of one supported production layout.

One Linux server: Debian's `caddy` terminates HTTPS (Let's Encrypt, or its own
internal CA with `tls_internal` for local testing) and proxies everything to
the app's ONE production port on 127.0.0.1 — the Reflex prod build serves the
pages, the websocket `/_event`, uploads `/_upload`, the sheet's saves
`/api/sheet/<exam>` and `/ping` there. systemd runs three services as one
unprivileged user: the app (`reflex run --env prod`), the Huey consumer and
the bot, each reading one environment file of secrets and settings.

Pure: `render_*` turn `DeployOptions` into text; `write_deploy_config`
validates everything first, then writes. Re-running is safe: the secrets of an
existing environment file (and every value an operator changed in it) are
kept, never regenerated; only the values this command derives from its
options are rewritten, and the result says which.
"""

from __future__ import annotations

import ipaddress
import os
import re
import secrets
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path

from mockexam.config import PROJECT_ROOT, Settings
from mockexam.errors import ValidationError

# Where the generated files go on the server (the operator copies them; see `install_steps`).
ENV_INSTALL_PATH = Path("/etc/mockexam/mockexam.env")
CADDYFILE_INSTALL_PATH = Path("/etc/caddy/Caddyfile")
UNIT_INSTALL_DIR = Path("/etc/systemd/system")
CLI_INSTALL_PATH = Path("/usr/local/bin/mockexam")

ENV_FILE = "mockexam.env"
CADDYFILE = "Caddyfile"
CLI_FILE = "mockexam-cli"
UNITS_DIR = "systemd"
APP_UNIT = "mockexam-app.service"
WORKER_UNIT = "mockexam-worker.service"
BOT_UNIT = "mockexam-bot.service"

DEFAULT_APP_PORT = 3000
DEFAULT_USER = "mockexam"
DEFAULT_CADDY_ADMIN = "localhost:2019"
NPM_REGISTRY = "https://registry.npmjs.org"

# Telegram's web clients, the only pages that frame a Mini App (Telegram's phone and
# desktop apps open it in a web view of their own, with no parent page):
# web.telegram.org serves Web K (/k/) and Web A (/a/) and the shell Telegram Desktop
# for Linux frames Mini Apps in; webk.telegram.org and weba.telegram.org serve Web K
# and Web A on hosts of their own (webz.telegram.org redirects to weba).
TELEGRAM_WEB_ORIGINS = (
    "https://web.telegram.org",
    "https://webk.telegram.org",
    "https://weba.telegram.org",
)
# Directives checked in the browser against the prod build (tests/e2e/test_caddy.py):
# nothing of the app needs <base>, <object>/<embed> or plugins. No script-src: the
# Reflex bundle runs inline scripts, and a policy for them is not worth a broken app.
CSP_COMMON = "base-uri 'self'; object-src 'none'"
HSTS = "max-age=31536000"
REFERRER_POLICY = "strict-origin-when-cross-origin"
# Any request body but an upload: the sheet's saves are at most 64 KiB (mockexam/api.py).
OTHER_BODY_LIMIT = "1MB"
# Room for the multipart envelope around the largest file an admin may upload.
MULTIPART_MARGIN_BYTES = 1024 * 1024

# Settings that are secrets: generated here when missing, never replaced when present.
GENERATED_SECRETS = ("ADMIN_SECRET_KEY", "TELEGRAM_WEBHOOK_SECRET")

_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
_EMAIL_LOCAL = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}$")
_USER = re.compile(r"^[a-z_][a-z0-9_-]{0,31}$")
_ENV_LINE = re.compile(r"^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$")


class DeployConfigError(ValidationError):
    """An option of `deploy-config` is unusable; nothing was written."""


@dataclass(frozen=True)
class DeployOptions:
    """What the operator chose; `validated()` fills the defaults and checks each value."""

    domain: str
    email: str | None = None
    tls_internal: bool = False
    app_port: int = DEFAULT_APP_PORT
    https_port: int = 443
    http_port: int = 80
    # Listen only on this address (e.g. 127.0.0.1 for a local test); None: every address.
    bind: str | None = None
    # Caddy's admin endpoint (`systemctl reload caddy` uses it), or "off".
    caddy_admin: str = DEFAULT_CADDY_ADMIN
    project_dir: Path = PROJECT_ROOT
    data_dir: Path | None = None  # default: <project_dir>/data
    python: Path | None = None  # default: <project_dir>/.venv/bin/python
    user: str = DEFAULT_USER
    database_url: str | None = None  # default: SQLite in the data directory
    max_upload_bytes: int | None = None  # default: default_upload_limit()
    env_install_path: Path = ENV_INSTALL_PATH

    @property
    def site_origin(self) -> str:
        port = "" if self.https_port == 443 else f":{self.https_port}"
        return f"https://{self.domain}{port}"

    @property
    def webapp_url(self) -> str:
        return f"{self.site_origin}/app"

    @property
    def data(self) -> Path:
        return self.data_dir or self.project_dir / "data"

    @property
    def python_path(self) -> Path:
        return self.python or self.project_dir / ".venv" / "bin" / "python"

    @property
    def home(self) -> Path:
        """HOME of the services: bun's package cache and Reflex's own files live there."""
        return self.data / ".home"

    @property
    def upload_limit(self) -> int:
        return self.max_upload_bytes or default_upload_limit()

    def validated(self) -> DeployOptions:
        """The options with the domain lower-cased and paths absolute, or DeployConfigError."""
        domain = check_domain(self.domain, tls_internal=self.tls_internal)
        if self.email is not None:
            check_email(self.email)
        for name in ("app_port", "https_port", "http_port"):
            port = getattr(self, name)
            if not 1 <= port <= 65535:
                flag = "--" + name.replace("_", "-")
                raise DeployConfigError(f"{flag} must be a port from 1 to 65535, not {port}")
        if self.app_port in (self.https_port, self.http_port):
            raise DeployConfigError(
                f"--app-port {self.app_port} is one of Caddy's ports: the app listens behind Caddy"
            )
        if self.https_port == self.http_port:
            raise DeployConfigError("--https-port and --http-port must differ")
        if self.bind is not None:
            try:
                ipaddress.ip_address(self.bind)
            except ValueError:
                raise DeployConfigError(
                    f"--bind must be an IP address (e.g. 127.0.0.1), not {self.bind!r}"
                ) from None
        if self.caddy_admin != "off" and not re.fullmatch(
            r"[A-Za-z0-9.\-\[\]:]+:\d+", self.caddy_admin
        ):
            raise DeployConfigError(
                f"--caddy-admin must be host:port (e.g. localhost:2019) or off, not {self.caddy_admin!r}"
            )
        if not _USER.fullmatch(self.user) or self.user == "root":
            raise DeployConfigError(
                f"--user must be an unprivileged user name (lower case, e.g. mockexam), not {self.user!r}"
            )
        project = self.project_dir.expanduser().resolve()
        if not (project / "rxconfig.py").is_file() or not (project / "mockexam").is_dir():
            raise DeployConfigError(
                f"--project-dir {project} is not a mockexam checkout (no rxconfig.py and mockexam/)"
            )
        data = (self.data_dir or project / "data").expanduser()
        if not data.is_absolute():
            raise DeployConfigError(f"--data-dir must be an absolute path, not {data}")
        if data.exists() and not data.is_dir():
            raise DeployConfigError(f"--data-dir {data} exists and is not a directory")
        python = (self.python or project / ".venv" / "bin" / "python").expanduser()
        if not python.is_absolute():
            raise DeployConfigError(f"--python must be an absolute path, not {python}")
        if self.database_url is not None and not re.match(
            r"^(sqlite|postgresql(\+psycopg)?)://", self.database_url
        ):
            raise DeployConfigError(
                "--database-url must be a sqlite:/// or postgresql+psycopg:// URL, "
                f"not {self.database_url!r}"
            )
        if self.max_upload_bytes is not None and self.max_upload_bytes < 1024 * 1024:
            raise DeployConfigError("the upload limit must be at least 1 MiB")
        for path in (project, data, python):
            if any(ch.isspace() or ch in "'\"\\%$" for ch in str(path)):
                raise DeployConfigError(f"paths may not contain spaces, quotes, %, $ or \\: {path}")
        return replace(self, domain=domain, project_dir=project, data_dir=data, python=python)


def default_upload_limit() -> int:
    """The largest upload body: the bigger of a PDF paper and a question-bank zip, plus multipart."""
    from mockexam.services.practice_bank import MAX_ZIP_BYTES

    return max(Settings().max_pdf_bytes, MAX_ZIP_BYTES) + MULTIPART_MARGIN_BYTES


def check_domain(domain: str, *, tls_internal: bool = False) -> str:
    """A public DNS name like exam.example.uz (lower-cased), else DeployConfigError.

    With `tls_internal` (a try-out on one machine, Caddy's own certificates)
    `localhost` is accepted too: it needs no DNS and no hosts entry.
    """
    name = domain.strip().lower().rstrip(".")
    if tls_internal and name == "localhost":
        return name
    why = None
    labels = name.split(".")
    try:
        ipaddress.ip_address(name)
        why = "an IP address (Let's Encrypt and Telegram need a DNS name)"
    except ValueError:
        if not name or len(name) > 253:
            why = "not a host name"
        elif not all(_LABEL.fullmatch(label) for label in labels):
            why = "not a host name (letters, digits and hyphens between dots)"
        elif len(labels) < 2:
            why = (
                "a single label (a DNS name has a dot, e.g. exam.example.uz; "
                "for a try-out on this machine: --domain localhost --tls-internal)"
            )
        elif labels[-1].isdigit():
            why = "not a host name (the last label is a number)"
    if why:
        raise DeployConfigError(f"--domain {domain!r} is {why}")
    return name


def check_email(email: str) -> str:
    """An address like admin@example.uz (Let's Encrypt writes to it), else DeployConfigError."""
    local, at, host = email.partition("@")
    ok = bool(at) and bool(_EMAIL_LOCAL.fullmatch(local)) and ".." not in local
    if ok:
        try:
            check_domain(host)
        except DeployConfigError:
            ok = False
    if not ok:
        raise DeployConfigError(f"--email {email!r} is not an e-mail address")
    return email


# --- the Caddyfile ----------------------------------------------------------------------


def render_caddyfile(opts: DeployOptions) -> str:
    """Caddy in front of the app: HTTPS, websockets, upload bodies, compression, headers."""
    site = opts.domain if opts.https_port == 443 else f"{opts.domain}:{opts.https_port}"
    frame_ancestors = " ".join(TELEGRAM_WEB_ORIGINS)
    globals_ = []
    if opts.email:
        globals_.append(f"email {opts.email}")
    globals_.append(f"admin {opts.caddy_admin}")
    if opts.http_port != 80:
        globals_.append(f"http_port {opts.http_port}")
    if opts.https_port != 443:
        globals_.append(f"https_port {opts.https_port}")
    if opts.tls_internal:
        globals_.append("# Local testing: Caddy's own CA, not installed into this system's trust.")
        globals_.append("skip_install_trust")
    site_lines = []
    if opts.bind:
        site_lines.append(f"bind {opts.bind}")
    if opts.tls_internal:
        site_lines += [
            "# Local testing only: a certificate from Caddy's internal CA (browsers warn).",
            "tls internal",
        ]
    else:
        site_lines.append("# Let's Encrypt: ports 80 and 443 open, the domain's DNS pointing here.")
    tab = "\t"
    out = [
        f"# Caddy in front of mockexam: HTTPS for {opts.domain}, proxied to the app on",
        f"# 127.0.0.1:{opts.app_port}. Written by `python -m mockexam deploy-config`; re-run it",
        "# rather than editing by hand. Install as /etc/caddy/Caddyfile, then",
        "# `systemctl reload caddy`.",
        "{",
        *(f"{tab}{line}" for line in globals_),
        "}",
        "",
        f"{site} {{",
        *(f"{tab}{line}" for line in site_lines),
        "",
        "\t# Uploads (an exam's PDF paper, a question-bank zip) go to Reflex's /_upload;",
        "\t# every other request body is small (the sheet's saves: at most 64 KiB).",
        "\t@upload path /_upload /_upload/*",
        "\trequest_body @upload {",
        f"\t\tmax_size {opts.upload_limit}",
        "\t}",
        "\t@not_upload not path /_upload /_upload/*",
        "\trequest_body @not_upload {",
        f"\t\tmax_size {OTHER_BODY_LIMIT}",
        "\t}",
        "",
        "\t# Compression for everything but the websocket (Reflex's /_event).",
        "\t@compressible not path /_event /_event/*",
        "\tencode @compressible zstd gzip",
        "",
        "\theader {",
        "\t\tdefer",
        f'\t\tStrict-Transport-Security "{HSTS}"',
        "\t\tX-Content-Type-Options nosniff",
        f"\t\tReferrer-Policy {REFERRER_POLICY}",
        "\t}",
        "\t# Only Telegram's web clients may frame the Mini App (the phone and desktop apps",
        "\t# open it in a web view of their own). Added beside the app's own policies",
        "\t# (a practice figure's sandbox): a browser enforces each of them.",
        "\t@not_admin not path /admin /admin/*",
        "\theader @not_admin {",
        "\t\tdefer",
        f'\t\t+Content-Security-Policy "frame-ancestors {frame_ancestors}; {CSP_COMMON}"',
        "\t}",
        "\t# Nobody may frame the admin panel.",
        "\t@admin path /admin /admin/*",
        "\theader @admin {",
        "\t\tdefer",
        f"\t\t+Content-Security-Policy \"frame-ancestors 'none'; {CSP_COMMON}\"",
        "\t\tX-Frame-Options DENY",
        "\t}",
        "",
        "\t# Pages, websocket, uploads, the sheet's saves and /ping: all on the app's one port.",
        f"\treverse_proxy 127.0.0.1:{opts.app_port} {{",
        "\t\t# The app sees plain HTTP from Caddy, so its redirects (/app -> /app/) say",
        "\t\t# http://; inside Telegram that would leave HTTPS. Send them as https://.",
        "\t\theader_down Location ^http:// https://",
        "\t}",
        "}",
        "",
    ]
    return "\n".join(out)


# --- systemd units --------------------------------------------------------------------------


def _unit(
    opts: DeployOptions,
    *,
    description: str,
    exec_start: str,
    after: str = "network-online.target",
    environment: Mapping[str, str] | None = None,
    kill_signal: str | None = None,
    extra: tuple[str, ...] = (),
) -> str:
    env = {
        "HOME": str(opts.home),
        "PATH": f"{opts.python_path.parent}:/usr/local/bin:/usr/bin:/bin",
        "PYTHONUNBUFFERED": "1",
        **(environment or {}),
    }
    lines = [
        "# Written by `python -m mockexam deploy-config`; install into /etc/systemd/system/.",
        "[Unit]",
        f"Description={description}",
        f"After={after}",
        "Wants=network-online.target",
        "",
        "[Service]",
        "Type=simple",
        f"User={opts.user}",
        f"Group={opts.user}",
        f"WorkingDirectory={opts.project_dir}",
        f"EnvironmentFile={opts.env_install_path}",
        *(f"Environment={name}={value}" for name, value in env.items()),
        f"ExecStart={exec_start}",
        *((f"KillSignal={kill_signal}",) if kill_signal else ()),
        *extra,
        "Restart=on-failure",
        "RestartSec=5",
        "TimeoutStopSec=30",
        "",
        "# Hardening: the code is read-only to the service; it writes only the data directory.",
        "NoNewPrivileges=true",
        "ProtectSystem=strict",
        # Reflex keeps the frontend's lockfiles in <project>/reflex.lock, may write
        # assets/external at start-up, and rewrites <project>/.gitignore whenever it
        # (re)initialises the frontend (the first start, a Reflex upgrade); "-": fine
        # when missing.
        "ReadWritePaths="
        + " ".join([str(opts.data), *(f"-{path}" for path in reflex_writes(opts))]),
        "ProtectHome=read-only",
        "PrivateTmp=true",
        "PrivateDevices=true",
        "ProtectKernelTunables=true",
        "ProtectKernelModules=true",
        "ProtectKernelLogs=true",
        "ProtectControlGroups=true",
        "ProtectClock=true",
        "ProtectHostname=true",
        "RestrictSUIDSGID=true",
        "RestrictRealtime=true",
        "RestrictNamespaces=true",
        "LockPersonality=true",
        "RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6 AF_NETLINK",
        "UMask=0027",
        "",
        "[Install]",
        "WantedBy=multi-user.target",
        "",
    ]
    return "\n".join(lines)


def app_command(opts: DeployOptions) -> list[str]:
    """The production app: frontend, API and websocket on one port, on 127.0.0.1 only."""
    port = str(opts.app_port)
    return [
        str(opts.python_path),
        "-m",
        "reflex",
        "run",
        "--env",
        "prod",
        "--frontend-port",
        port,
        "--backend-port",
        port,
        "--backend-host",
        "127.0.0.1",
    ]


def app_environment(opts: DeployOptions) -> dict[str, str]:
    """What Reflex needs besides the settings (see mockexam.devserver.reflex_environment)."""
    tools = opts.project_dir / ".tools" / "node_modules" / ".bin"
    return {
        # bun from the project's .tools (make install), never a download of Reflex's own.
        "PATH": f"{tools}:{opts.python_path.parent}:/usr/local/bin:/usr/bin:/bin",
        "REFLEX_USE_SYSTEM_BUN": "1",
        "REFLEX_CHECK_LATEST_VERSION": "0",
        "NPM_CONFIG_REGISTRY": NPM_REGISTRY,
        # The build and Reflex's state files in the data directory: the code stays read-only.
        "REFLEX_WEB_WORKDIR": str(opts.data / "reflex-web"),
        "REFLEX_STATES_WORKDIR": str(opts.data / "reflex-states"),
        # Caddy is one proxy hop: the admin login's throttle sees the client's address.
        "REFLEX_TRUSTED_PROXY_HOPS": "1",
        # Reflex makes its upload folder at start-up (default: ./uploaded_files, in the
        # read-only code); mockexam keeps uploads in UPLOAD_DIR, this one stays empty.
        "REFLEX_UPLOADED_FILES_DIR": str(opts.data / "reflex-uploads"),
    }


def reflex_writes(opts: DeployOptions) -> list[Path]:
    """What Reflex writes inside the project (the code) when the app starts."""
    project = opts.project_dir
    return [project / "reflex.lock", project / "assets" / "external", project / ".gitignore"]


def render_units(opts: DeployOptions) -> dict[str, str]:
    """The three services, by file name."""
    python = str(opts.python_path)
    return {
        APP_UNIT: _unit(
            opts,
            description=f"mockexam app (Reflex prod build on 127.0.0.1:{opts.app_port})",
            exec_start=" ".join(app_command(opts)),
            environment=app_environment(opts),
            # The first start builds the frontend (bun install, vite build): minutes.
            extra=("TimeoutStartSec=900",),
        ),
        WORKER_UNIT: _unit(
            opts,
            description="mockexam worker (Huey consumer: sweep, grading, messages)",
            exec_start=f"{python} -m mockexam worker",
            after="network-online.target " + APP_UNIT,
            # SIGINT lets Huey finish the tasks it is running; SIGTERM would interrupt them.
            kill_signal="SIGINT",
        ),
        BOT_UNIT: _unit(
            opts,
            description="mockexam Telegram bot (long polling)",
            exec_start=f"{python} -m mockexam bot",
            after="network-online.target " + APP_UNIT,
        ),
    }


# --- the environment file -----------------------------------------------------------------

# What each setting is for, as the operator reads it (mockexam/config.py has the rest).
SETTING_NOTES: dict[str, str] = {
    "SECRET_KEY_FILE": "Not used in production (ADMIN_SECRET_KEY is required there): "
    "elsewhere an unset ADMIN_SECRET_KEY is made once and kept in this file.",
    "MOCKEXAM_ENV": "production: missing secrets stop the start-up instead of dev defaults.",
    "DATABASE_URL": "The database. SQLite in the data directory, or "
    "postgresql+psycopg://user:password@127.0.0.1:5432/mockexam.",
    "REDIS_URL": "Redis for the queue and Reflex's state (several workers); unset: SQLite queue.",
    "HUEY_SQLITE_PATH": "The task queue's SQLite file when REDIS_URL is unset.",
    "UPLOAD_DIR": "Uploaded question papers and practice figures.",
    "BACKUP_DIR": "Where `python -m mockexam backup` and the nightly backup write.",
    "TELEGRAM_BOT_TOKEN": "FILL IN: the bot's token from @BotFather. The app refuses to start "
    "in production without it.",
    "TELEGRAM_CHANNEL_ID": "The channel results are posted to (@name or -100…), if any.",
    "TELEGRAM_API_BASE_URL": "The Bot API (change only for a local Bot API server).",
    "TELEGRAM_BOT_USERNAME": "The bot's @username without @ (for t.me links).",
    "WEBAPP_URL": "The Mini App's address: what the bot's buttons open (HTTPS, through Caddy).",
    "TELEGRAM_MESSAGES_PER_SECOND": "Telegram's bulk limit (about 30 a second); broadcasts "
    "stay within 90 % of it at Telegram's end.",
    "INITDATA_MAX_AGE_SECONDS": "How old Telegram's sign-in data may be for a new Mini App "
    "sign-in (default 10 minutes; doctor flags over an hour).",
    "MINIAPP_SESSION_SECONDS": "How long the Mini App tab's own credential lasts after that, "
    "renewed while the app is open.",
    "CORS_ALLOWED_ORIGINS": "Extra https:// origins whose pages may use the admin's cookie "
    "(comma-separated; usually none).",
    "ADMIN_SECRET_KEY": "Signs admin sessions and paper links; generated here. Changing it "
    "signs every admin out.",
    "ADMIN_SESSION_HOURS": "How long an admin stays signed in.",
    "ADMIN_LOGIN_MAX_FAILURES": "Wrong passwords one address may try for one admin name "
    "before each further try waits (5 s, doubling).",
    "ADMIN_LOGIN_LOCKOUT_MINUTES": "The longest such wait.",
    "DEADLINE_GRACE_SECONDS": "Answers accepted this long after a deadline (network delays).",
    "DEFAULT_DURATION_MINUTES": "A new exam's duration.",
    "MAX_PDF_BYTES": "The largest question paper. Caddy's upload limit is derived from it: "
    "re-run deploy-config after changing it.",
    "FREE_RESPONSE_MAX_CHARS": "The longest free-response answer.",
    "MIN_PARTICIPANTS_FOR_CALIBRATION": "Takers needed before an exam is calibrated (Rasch).",
    "FIT_LOW": "Item fit below this is flagged in the item analysis.",
    "FIT_HIGH": "Item fit above this is flagged in the item analysis.",
    "SWEEP_INTERVAL_SECONDS": "How often the worker auto-submits, grades and releases.",
    "HUEY_WORKERS": "Threads of the Huey consumer.",
    "GRADING_BATCH_SIZE": "Sessions graded per batch.",
    "BACKUP_KEEP_DAILY": "Backups kept: the last one of each of this many days.",
    "BACKUP_KEEP_WEEKLY": "Backups kept: the last one of each of this many ISO weeks.",
    "TELEGRAM_WEBHOOK_SECRET": "Generated here; only for the bot's webhook mode "
    "(Telegram sends it with every update).",
    "TRUSTED_PROXIES": "Proxies whose X-Forwarded-For names the client (Caddy, on this "
    "machine): the admin sign-in throttle needs the real address.",
    "REFLEX_API_URL": "The address the pages' websocket and saves use: this site (built "
    "into the frontend at each start).",
}


@dataclass(frozen=True)
class EnvFile:
    """The environment file's text and what happened to its values."""

    text: str
    generated: list[str] = field(default_factory=list)  # secrets made now
    kept: list[str] = field(default_factory=list)  # values taken from the existing file
    changed: list[str] = field(default_factory=list)  # derived values the options changed


def parse_env_file(text: str) -> dict[str, str]:
    """KEY=value lines (quotes removed); comments and blank lines ignored."""
    values: dict[str, str] = {}
    for line in text.splitlines():
        if line.lstrip().startswith("#"):
            continue
        match = _ENV_LINE.match(line)
        if not match:
            continue
        name, value = match.groups()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        values[name] = value
    return values


def _quote(name: str, value: str) -> str:
    """A value in single quotes: literal for systemd, the shell and pydantic alike."""
    if "'" in value or "\n" in value or "\\" in value:
        raise DeployConfigError(f"{name} may not contain quotes, backslashes or line breaks")
    return f"'{value}'"


def _default_text(value: object) -> str:
    return "" if value is None else str(value)


def render_env_file(
    opts: DeployOptions,
    existing: str | None = None,
    *,
    token: Callable[[], str] = lambda: secrets.token_urlsafe(32),
    now: datetime | None = None,
) -> EnvFile:
    """Every setting a production run needs, commented; secrets kept from `existing`."""
    old = parse_env_file(existing) if existing is not None else {}
    derived = {
        "MOCKEXAM_ENV": "production",
        "WEBAPP_URL": opts.webapp_url,
        "REFLEX_API_URL": opts.site_origin,
        "DATABASE_URL": opts.database_url or f"sqlite:///{opts.data / 'mockexam.db'}",
        "HUEY_SQLITE_PATH": str(opts.data / "huey.db"),
        "UPLOAD_DIR": str(opts.data / "uploads"),
        "BACKUP_DIR": str(opts.data / "backups"),
        "MAX_PDF_BYTES": str(Settings.model_fields["max_pdf_bytes"].default),
        "TRUSTED_PROXIES": "127.0.0.1,::1",  # Caddy, on this machine
    }
    # Values the operator owns: kept from the existing file, else these.
    owned = {"TELEGRAM_BOT_TOKEN": "", "TELEGRAM_BOT_USERNAME": ""}
    generated: list[str] = []
    kept: list[str] = []
    changed: list[str] = []
    values: dict[str, str] = {}
    for name in GENERATED_SECRETS:
        if old.get(name):
            values[name] = old[name]
            kept.append(name)
        else:
            values[name] = token()
            generated.append(name)
    for name, value in owned.items():
        if name in old:
            values[name] = old[name]
            if old[name]:
                kept.append(name)
        else:
            values[name] = value
    for name, value in derived.items():
        if name == "MAX_PDF_BYTES" and name in old:
            values[name] = old[name]  # the operator's choice; the Caddyfile follows it
            continue
        if name in old and old[name] != value:
            changed.append(name)
        values[name] = value

    stamp = (now or datetime.now(UTC)).strftime("%Y-%m-%d %H:%M UTC")
    sections: list[tuple[str, list[str]]] = [
        ("Secrets (generated once; re-running deploy-config keeps them)", ["ADMIN_SECRET_KEY"]),
        ("Telegram", ["TELEGRAM_BOT_TOKEN", "TELEGRAM_BOT_USERNAME", "TELEGRAM_WEBHOOK_SECRET"]),
        ("Site", ["MOCKEXAM_ENV", "WEBAPP_URL", "REFLEX_API_URL", "TRUSTED_PROXIES"]),
        ("Storage", ["DATABASE_URL", "HUEY_SQLITE_PATH", "UPLOAD_DIR", "BACKUP_DIR"]),
        ("Limits", ["MAX_PDF_BYTES"]),
    ]
    lines = [
        f"# mockexam production settings for {opts.domain}",
        f"# Written by `python -m mockexam deploy-config` ({stamp}).",
        f"# Install as {opts.env_install_path}, owner root, mode 0600: systemd reads it for the",
        "# services; `mockexam` (the command-line wrapper) reads it for you.",
        "# Values are in single quotes. Lines starting with # are defaults you may set.",
        "",
    ]
    written: set[str] = set()
    for title, names in sections:
        lines.append(f"# --- {title} ---")
        for name in names:
            lines.append(f"# {SETTING_NOTES.get(name, 'See mockexam/config.py.')}")
            lines.append(f"{name}={_quote(name, values[name])}")
            written.add(name)
        lines.append("")
    lines.append("# --- Other settings (defaults shown) ---")
    for field_name, info in Settings.model_fields.items():
        name = field_name.upper()
        if name in written:
            continue
        written.add(name)
        note = SETTING_NOTES.get(name, "See mockexam/config.py.")
        if name in old:
            kept.append(name)
            lines += [f"# {note}", f"{name}={_quote(name, old[name])}"]
        elif name == "REDIS_URL":
            lines += [f"# {note}", "# REDIS_URL='redis://127.0.0.1:6379/0'"]
        else:
            default = _default_text(info.default)
            lines += [f"# {note}", f"# {name}={_quote(name, default)}"]
    extra = [name for name in old if name not in written]
    if extra:
        lines += ["", "# --- Kept from the previous file ---"]
        for name in extra:
            kept.append(name)
            lines.append(f"{name}={_quote(name, old[name])}")
    lines.append("")
    return EnvFile("\n".join(lines), generated=generated, kept=kept, changed=changed)


# --- the command-line wrapper ----------------------------------------------------------------


def render_cli_wrapper(opts: DeployOptions) -> str:
    """`mockexam …` for the operator: the settings of the services, as their user."""
    return "\n".join(
        [
            "#!/bin/sh",
            "# `mockexam <command>`: python -m mockexam with the services' settings, run as",
            f"# {opts.user} (e.g. `sudo mockexam migrate`, `sudo mockexam create-admin NAME`).",
            "# Written by `python -m mockexam deploy-config`; install as /usr/local/bin/mockexam.",
            "# A setting given on the command line wins over the file, as it does for",
            "# the app's own settings (e.g. DATABASE_URL=… mockexam restore FILE for a",
            "# test restore into a scratch database).",
            "set -eu",
            'given="$(export -p)"',
            "set -a",
            f". {opts.env_install_path}",
            "set +a",
            'eval "$given"',
            f"cd {opts.project_dir}",
            f'exec runuser -u {opts.user} -- env HOME={opts.home} {opts.python_path} -m mockexam "$@"',
            "",
        ]
    )


# --- writing --------------------------------------------------------------------------------


@dataclass(frozen=True)
class WrittenFile:
    path: Path
    status: str  # "created", "updated" or "unchanged"
    install_to: Path


@dataclass(frozen=True)
class DeployResult:
    """What `write_deploy_config` wrote, and what an operator does next."""

    options: DeployOptions
    out_dir: Path
    files: list[WrittenFile]
    env: EnvFile

    def describe(self) -> str:
        lines = [f"Deployment files for {self.options.site_origin} in {self.out_dir}:"]
        lines += [f"  {item.status:9} {item.path}  ->  {item.install_to}" for item in self.files]
        if self.env.generated:
            lines.append(f"Generated new secrets: {', '.join(self.env.generated)}.")
        if self.env.kept:
            lines.append(
                f"Kept from the existing {ENV_FILE} (not regenerated): {', '.join(self.env.kept)}."
            )
        if self.env.changed:
            lines.append(f"Changed to follow the options: {', '.join(self.env.changed)}.")
        blocked = closed_to_others(self.options.python_path)
        if blocked is not None:
            lines += [
                "",
                f"Warning: the services' user cannot run {self.options.python_path}: "
                f"{blocked} is closed to other users (the venv was made from a Python "
                "under a private home).",
                "  Make the venv from the system's Python instead: "
                "rm -rf .venv && make install PYTHON=/usr/bin/python3",
            ]
        lines += ["", "Next steps (as root):", *install_steps(self.options, self.out_dir)]
        return "\n".join(lines) + "\n"


def closed_to_others(program: Path) -> Path | None:
    """The first path (a folder on the way, or the file) that keeps another user from
    running `program` (symlinks followed, as exec does); None when it can run it."""
    try:
        real = program.resolve(strict=True)
    except OSError:
        return None  # not there (yet): `make install` makes it
    for path in (*reversed(real.parents), real):
        mode = path.stat().st_mode
        needed = 0o005 if path == real else 0o001  # r-x on the file, x on each folder
        if mode & needed != needed:
            return path
    return None


def install_steps(opts: DeployOptions, out_dir: Path) -> list[str]:
    """The commands that put the files in place and start the services."""
    units = " ".join(str(out_dir / UNITS_DIR / name) for name in (APP_UNIT, WORKER_UNIT, BOT_UNIT))
    return [
        f"  1. Fill in TELEGRAM_BOT_TOKEN in {out_dir / ENV_FILE}.",
        f"  2. useradd --system --user-group --home-dir {opts.home} --shell /usr/sbin/nologin "
        f"{opts.user}",
        f"     install -d -o {opts.user} -g {opts.user} -m 0750 {opts.data} {opts.home}",
        f"     chown -R {opts.user}: {opts.project_dir / 'reflex.lock'} "
        f"{opts.project_dir / '.gitignore'}   (Reflex rewrites them at start-up)",
        f"  3. install -D -m 0600 -o root -g root {out_dir / ENV_FILE} {opts.env_install_path}",
        f"     install -m 0755 {out_dir / CLI_FILE} {CLI_INSTALL_PATH}",
        f"     install -m 0644 {units} {UNIT_INSTALL_DIR}/",
        f"     install -m 0644 {out_dir / CADDYFILE} {CADDYFILE_INSTALL_PATH}",
        "  4. mockexam migrate && mockexam create-admin YOUR_NAME",
        f"  5. systemctl daemon-reload && systemctl enable --now {APP_UNIT} {WORKER_UNIT} "
        f"{BOT_UNIT}",
        "     systemctl reload caddy",
        "  6. journalctl -u mockexam-app -f   (and -u mockexam-worker, -u mockexam-bot, -u caddy)",
    ]


def _write_text(path: Path, text: str, mode: int) -> str:
    """Write atomically with `mode`; "created", "updated" or "unchanged"."""
    if path.exists():
        if path.read_text(encoding="utf-8") == text:
            path.chmod(mode)
            return "unchanged"
        status = "updated"
    else:
        status = "created"
    fd, temp = tempfile.mkstemp(prefix=f".{path.name}-", dir=path.parent)
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        Path(temp).replace(path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    return status


def write_deploy_config(
    options: DeployOptions,
    out_dir: Path,
    *,
    token: Callable[[], str] = lambda: secrets.token_urlsafe(32),
    now: datetime | None = None,
) -> DeployResult:
    """Validate, render everything, then write into `out_dir` (nothing is written on an error)."""
    opts = options.validated()
    out = out_dir.expanduser().absolute()
    for path in (out, out / UNITS_DIR):
        if path.exists() and not path.is_dir():
            raise DeployConfigError(f"--out {path} is a file, not a directory")
    env_path = out / ENV_FILE
    existing = None
    if env_path.exists():
        if not env_path.is_file():
            raise DeployConfigError(f"{env_path} exists and is not a file")
        existing = env_path.read_text(encoding="utf-8")
    env = render_env_file(opts, existing, token=token, now=now)
    max_pdf = parse_env_file(env.text).get("MAX_PDF_BYTES", "")
    if not max_pdf.isdigit() or int(max_pdf) < 1:
        raise DeployConfigError(f"MAX_PDF_BYTES in {env_path} is not a whole number: {max_pdf!r}")
    if opts.max_upload_bytes is None:
        from mockexam.services.practice_bank import MAX_ZIP_BYTES

        limit = max(int(max_pdf), MAX_ZIP_BYTES) + MULTIPART_MARGIN_BYTES
        opts = replace(opts, max_upload_bytes=limit)
    rendered: list[tuple[Path, str, int, Path]] = [
        (env_path, env.text, 0o600, opts.env_install_path),
        (out / CADDYFILE, render_caddyfile(opts), 0o644, CADDYFILE_INSTALL_PATH),
        (out / CLI_FILE, render_cli_wrapper(opts), 0o755, CLI_INSTALL_PATH),
    ]
    for name, text in render_units(opts).items():
        rendered.append((out / UNITS_DIR / name, text, 0o644, UNIT_INSTALL_DIR / name))
    (out / UNITS_DIR).mkdir(parents=True, exist_ok=True)
    files = [
        WrittenFile(path, _write_text(path, text, mode), install_to)
        for path, text, mode, install_to in rendered
    ]
    return DeployResult(opts, out, files, env)
