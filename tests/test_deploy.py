"""`deploy-config`: the files it writes, checked by Debian's caddy and systemd-analyze; safe re-runs;
bad input refused with nothing written. (tests/e2e/test_caddy.py runs them for real.)"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import shutil
import signal
import ssl
import stat
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from mockexam.cli import main
from mockexam.config import PROJECT_ROOT, Settings
from mockexam.deploy import (
    APP_UNIT,
    BOT_UNIT,
    CADDYFILE,
    CLI_FILE,
    ENV_FILE,
    GENERATED_SECRETS,
    TELEGRAM_WEB_ORIGINS,
    UNITS_DIR,
    WORKER_UNIT,
    DeployConfigError,
    DeployOptions,
    closed_to_others,
    parse_env_file,
    write_deploy_config,
)
from mockexam.services.practice_bank import MAX_ZIP_BYTES
from tests.deploy_helpers import (
    caddy_environment,
    https_request,
    require_caddy,
    unit_directives,
)
from tests.e2e.appserver import free_port

DOMAIN = "exam.example.uz"


def _options(tmp_path: Path, **overrides) -> DeployOptions:
    values = {"domain": DOMAIN, "email": "admin@example.uz", "data_dir": tmp_path / "data"}
    values.update(overrides)
    return DeployOptions(**values)


def _tokens():
    counter = iter(range(1000))
    return lambda: f"secret-{next(counter)}"


def _caddy(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    caddy = require_caddy()
    return subprocess.run(
        [caddy, *args, "--adapter", "caddyfile"],
        capture_output=True,
        text=True,
        env=caddy_environment(tmp_path / "caddy-home"),
        timeout=60,
    )


def _adapted(tmp_path: Path, caddyfile: Path) -> dict:
    done = _caddy(tmp_path, "adapt", "--config", str(caddyfile))
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def _handlers(config: dict) -> list[dict]:
    """Every handler of the (first) server's routes, depth first."""
    found: list[dict] = []

    def walk(node: object) -> None:
        if isinstance(node, dict):
            if "handler" in node:
                found.append(node)
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(config["apps"]["http"]["servers"])
    return found


# --- what is written --------------------------------------------------------------------------


def test_deploy_config_writes_every_file_with_its_mode(tmp_path):
    out = tmp_path / "deploy"
    result = write_deploy_config(_options(tmp_path), out, token=_tokens())

    names = {item.path.relative_to(out).as_posix() for item in result.files}
    assert names == {
        ENV_FILE,
        CADDYFILE,
        CLI_FILE,
        f"{UNITS_DIR}/{APP_UNIT}",
        f"{UNITS_DIR}/{WORKER_UNIT}",
        f"{UNITS_DIR}/{BOT_UNIT}",
    }
    assert {item.status for item in result.files} == {"created"}
    assert stat.S_IMODE((out / ENV_FILE).stat().st_mode) == 0o600
    assert stat.S_IMODE((out / CLI_FILE).stat().st_mode) == 0o755
    assert stat.S_IMODE((out / CADDYFILE).stat().st_mode) == 0o644
    assert result.env.generated == list(GENERATED_SECRETS)
    text = result.describe()
    assert "systemctl enable --now mockexam-app.service" in text
    assert "journalctl -u mockexam-app" in text


def test_env_file_has_every_setting_and_production_starts_from_it(tmp_path):
    out = tmp_path / "deploy"
    write_deploy_config(_options(tmp_path), out, token=_tokens())
    text = (out / ENV_FILE).read_text()
    values = parse_env_file(text)

    assert values["MOCKEXAM_ENV"] == "production"
    assert values["WEBAPP_URL"] == f"https://{DOMAIN}/app"
    assert values["REFLEX_API_URL"] == f"https://{DOMAIN}"
    assert values["DATABASE_URL"] == f"sqlite:///{tmp_path / 'data' / 'mockexam.db'}"
    assert values["BACKUP_DIR"] == str(tmp_path / "data" / "backups")
    assert values["TRUSTED_PROXIES"] == "127.0.0.1,::1"  # Caddy's X-Forwarded-For is believed
    assert values["TELEGRAM_BOT_TOKEN"] == ""  # to fill in: production refuses to start
    assert values["ADMIN_SECRET_KEY"] == "secret-0"
    assert values["TELEGRAM_WEBHOOK_SECRET"] == "secret-1"
    for name in Settings.model_fields:  # every setting is there, set or as a default
        assert f"\n{name.upper()}=" in text or f"\n# {name.upper()}=" in text, name
    # Every set line is commented and single-quoted (literal for systemd and sh alike).
    lines = text.splitlines()
    for index, line in enumerate(lines):
        if line and not line.startswith("#"):
            assert lines[index - 1].startswith("# "), line
            assert line.split("=", 1)[1].startswith("'"), line

    fields = {name.lower(): value for name, value in values.items()}
    with pytest.raises(ValueError, match="TELEGRAM_BOT_TOKEN"):
        Settings(_env_file=None, **fields)
    fields["telegram_bot_token"] = "123:filled-in"
    settings = Settings(_env_file=None, **fields)
    assert settings.mockexam_env == "production"
    assert settings.admin_secret_key == "secret-0"
    assert settings.max_pdf_bytes == Settings.model_fields["max_pdf_bytes"].default
    assert settings.trusted_proxies == "127.0.0.1,::1"


def test_rerun_keeps_secrets_and_the_operators_values_and_says_so(tmp_path):
    out = tmp_path / "deploy"
    write_deploy_config(_options(tmp_path), out, token=_tokens())
    env_path = out / ENV_FILE
    edited = env_path.read_text().replace(
        "TELEGRAM_BOT_TOKEN=''", "TELEGRAM_BOT_TOKEN='123:real-token'"
    )
    edited = edited.replace("# SWEEP_INTERVAL_SECONDS='15'", "SWEEP_INTERVAL_SECONDS='20'")
    env_path.write_text(edited + "CUSTOM_THING='kept'\n")
    env_path.chmod(0o644)

    again = write_deploy_config(
        _options(tmp_path, domain="mock.example.uz"), out, token=lambda: "NEW"
    )
    values = parse_env_file(env_path.read_text())
    assert values["ADMIN_SECRET_KEY"] == "secret-0"
    assert values["TELEGRAM_WEBHOOK_SECRET"] == "secret-1"
    assert values["TELEGRAM_BOT_TOKEN"] == "123:real-token"
    assert values["SWEEP_INTERVAL_SECONDS"] == "20"
    assert values["CUSTOM_THING"] == "kept"
    assert values["WEBAPP_URL"] == "https://mock.example.uz/app"
    assert "NEW" not in env_path.read_text()
    assert again.env.generated == []
    assert {"ADMIN_SECRET_KEY", "TELEGRAM_WEBHOOK_SECRET", "TELEGRAM_BOT_TOKEN"} <= set(
        again.env.kept
    )
    assert set(again.env.changed) == {"WEBAPP_URL", "REFLEX_API_URL"}
    assert stat.S_IMODE(env_path.stat().st_mode) == 0o600
    assert "Kept from the existing mockexam.env (not regenerated): ADMIN_SECRET_KEY" in (
        again.describe()
    )

    third = write_deploy_config(_options(tmp_path, domain="mock.example.uz"), out)
    statuses = {item.path.name: item.status for item in third.files}
    assert statuses[CADDYFILE] == "unchanged" and statuses[APP_UNIT] == "unchanged"


def test_caddy_upload_limit_follows_max_pdf_bytes_of_the_env_file(tmp_path):
    out = tmp_path / "deploy"
    write_deploy_config(_options(tmp_path), out, token=_tokens())
    limit = max(Settings.model_fields["max_pdf_bytes"].default, MAX_ZIP_BYTES) + 1024 * 1024
    assert f"max_size {limit}\n" in (out / CADDYFILE).read_text()
    env_path = out / ENV_FILE
    bigger = 80 * 1024 * 1024
    env_path.write_text(
        env_path.read_text().replace("MAX_PDF_BYTES='31457280'", f"MAX_PDF_BYTES='{bigger}'")
    )
    write_deploy_config(_options(tmp_path), out)
    assert f"max_size {bigger + 1024 * 1024}\n" in (out / CADDYFILE).read_text()


# --- checked by the real tools --------------------------------------------------------------


@pytest.mark.parametrize(
    ("domain", "tls_internal"),
    [(DOMAIN, False), (DOMAIN, True), ("localhost", True)],
    ids=["letsencrypt", "tls-internal", "localhost-try-out"],
)
def test_caddyfile_is_valid_for_debians_caddy(tmp_path, domain, tls_internal):
    out = tmp_path / "deploy"
    write_deploy_config(_options(tmp_path, domain=domain, tls_internal=tls_internal), out)
    done = _caddy(tmp_path, "validate", "--config", str(out / CADDYFILE))
    assert done.returncode == 0, done.stderr
    assert "Valid configuration" in done.stdout + done.stderr


def test_caddyfile_adapts_to_proxy_limits_compression_and_headers(tmp_path):
    out = tmp_path / "deploy"
    write_deploy_config(_options(tmp_path, tls_internal=True), out)
    config = _adapted(tmp_path, out / CADDYFILE)
    server = next(iter(config["apps"]["http"]["servers"].values()))
    assert server["listen"] == [":443"]
    (route,) = server["routes"]
    assert route["match"] == [{"host": [DOMAIN]}]
    handlers = _handlers(config)

    (proxy,) = [h for h in handlers if h["handler"] == "reverse_proxy"]
    assert proxy["upstreams"] == [{"dial": "127.0.0.1:3000"}]
    # The app's own redirects (/app -> /app/) say http://: sent on as https://.
    assert proxy["headers"]["response"]["replace"]["Location"] == [
        {"search_regexp": "^http://", "replace": "https://"}
    ]
    limits = sorted(h["max_size"] for h in handlers if h["handler"] == "request_body")
    upload = max(Settings.model_fields["max_pdf_bytes"].default, MAX_ZIP_BYTES) + 1024 * 1024
    assert limits == [1_000_000, upload]
    (encode,) = [h for h in handlers if h["handler"] == "encode"]
    assert set(encode["encodings"]) == {"gzip", "zstd"}

    headers = [h for h in handlers if h["handler"] == "headers"]
    policies = [
        value
        for h in headers
        for value in h["response"].get("add", {}).get("Content-Security-Policy", [])
    ]
    telegram = " ".join(TELEGRAM_WEB_ORIGINS)
    assert f"frame-ancestors {telegram}; base-uri 'self'; object-src 'none'" in policies
    assert "frame-ancestors 'none'; base-uri 'self'; object-src 'none'" in policies
    assert all(h["response"].get("deferred") for h in headers)
    sets = {name: value for h in headers for name, value in h["response"].get("set", {}).items()}
    assert sets["Strict-Transport-Security"] == ["max-age=31536000"]
    assert sets["X-Content-Type-Options"] == ["nosniff"]
    assert sets["X-Frame-Options"] == ["DENY"]
    assert (tmp_path / "caddy-home").exists()  # Caddy's files stayed in the test's directory


def test_units_pass_systemd_analyze_verify(tmp_path):
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed")
    out = tmp_path / "deploy"
    write_deploy_config(_options(tmp_path), out)
    units = [out / UNITS_DIR / name for name in (APP_UNIT, WORKER_UNIT, BOT_UNIT)]
    for unit in units:  # verify reads EnvironmentFile= from where the unit says
        unit.write_text(unit.read_text().replace("/etc/mockexam/mockexam.env", str(out / ENV_FILE)))
    done = subprocess.run(
        [analyze, "verify", "--man=no", *map(str, units)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    problems = [
        line
        for line in done.stderr.splitlines()
        if "mockexam-" in line and "PR_SET_MM" not in line and "container" not in line
    ]
    assert problems == []


def test_units_run_the_app_worker_and_bot_with_restart_and_hardening(tmp_path):
    out = tmp_path / "deploy"
    result = write_deploy_config(_options(tmp_path, app_port=3100), out)
    opts = result.options
    app = unit_directives((out / UNITS_DIR / APP_UNIT).read_text())
    assert app["ExecStart"] == [
        f"{opts.python_path} -m reflex run --env prod --frontend-port 3100 "
        "--backend-port 3100 --backend-host 127.0.0.1"
    ]
    env = dict(line.split("=", 1) for line in app["Environment"])
    assert env["REFLEX_USE_SYSTEM_BUN"] == "1"
    assert env["PATH"].startswith(f"{PROJECT_ROOT / '.tools' / 'node_modules' / '.bin'}:")
    assert env["REFLEX_WEB_WORKDIR"] == str(tmp_path / "data" / "reflex-web")
    assert env["REFLEX_TRUSTED_PROXY_HOPS"] == "1"
    # Nothing Reflex writes at start-up is left in the (read-only) code but these three.
    assert env["REFLEX_UPLOADED_FILES_DIR"] == str(tmp_path / "data" / "reflex-uploads")
    assert app["ReadWritePaths"][0].split()[1:] == [
        f"-{PROJECT_ROOT / 'reflex.lock'}",
        f"-{PROJECT_ROOT / 'assets' / 'external'}",
        f"-{PROJECT_ROOT / '.gitignore'}",
    ]
    assert f"chown -R mockexam: {PROJECT_ROOT / 'reflex.lock'} {PROJECT_ROOT / '.gitignore'}" in (
        result.describe()
    )
    worker = unit_directives((out / UNITS_DIR / WORKER_UNIT).read_text())
    assert worker["ExecStart"] == [f"{opts.python_path} -m mockexam worker"]
    assert worker["KillSignal"] == ["SIGINT"]
    bot = unit_directives((out / UNITS_DIR / BOT_UNIT).read_text())
    assert bot["ExecStart"] == [f"{opts.python_path} -m mockexam bot"]
    for unit in (app, worker, bot):
        assert unit["Restart"] == ["on-failure"]
        assert unit["User"] == ["mockexam"]
        assert unit["EnvironmentFile"] == ["/etc/mockexam/mockexam.env"]
        assert unit["WorkingDirectory"] == [str(PROJECT_ROOT)]
        assert unit["NoNewPrivileges"] == ["true"]
        assert unit["ProtectSystem"] == ["strict"]
        assert unit["ReadWritePaths"][0].split()[0] == str(tmp_path / "data")


# --- bad input ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"domain": "localhost"}, "single label"),
        ({"domain": "exam..example.uz"}, "not a host name"),
        ({"domain": "exam_1.example.uz"}, "not a host name"),
        ({"domain": "-exam.example.uz"}, "not a host name"),
        ({"domain": "https://exam.example.uz"}, "not a host name"),
        ({"domain": "192.168.1.10"}, "an IP address"),
        ({"domain": "exam.example.123"}, "the last label is a number"),
        ({"email": "admin"}, "not an e-mail address"),
        ({"email": "admin@localhost"}, "not an e-mail address"),
        ({"email": "a b@example.uz"}, "not an e-mail address"),
        ({"app_port": 70000}, "--app-port"),
        ({"app_port": 443}, "one of Caddy's ports"),
        ({"bind": "my-host"}, "--bind"),
        ({"caddy_admin": "2019"}, "--caddy-admin"),
        ({"user": "root"}, "unprivileged user"),
        ({"project_dir": Path("/")}, "not a mockexam checkout"),
        ({"data_dir": Path("relative/data")}, "absolute path"),
        ({"database_url": "mysql://x@y/z"}, "--database-url"),
    ],
)
def test_bad_input_is_refused_and_nothing_is_written(tmp_path, overrides, message):
    out = tmp_path / "deploy"
    with pytest.raises(DeployConfigError, match=message):
        write_deploy_config(_options(tmp_path, **overrides), out)
    assert not out.exists()


def test_out_that_is_a_file_is_refused_and_left_alone(tmp_path):
    out = tmp_path / "deploy"
    out.write_text("not a directory")
    with pytest.raises(DeployConfigError, match="is a file, not a directory"):
        write_deploy_config(_options(tmp_path), out)
    assert out.read_text() == "not a directory"


def test_cli_writes_the_files_and_refuses_a_bad_domain(tmp_path, capsys):
    out = tmp_path / "deploy"
    data = tmp_path / "data"
    assert (
        main(
            ["deploy-config", "--domain", "bad domain", "--out", str(out), "--data-dir", str(data)]
        )
        == 2
    )
    assert "--domain 'bad domain' is not a host name" in capsys.readouterr().err
    assert not out.exists()

    argv = ["deploy-config", "--domain", DOMAIN, "--email", "ops@example.uz"]
    assert main([*argv, "--out", str(out), "--data-dir", str(data), "--tls-internal"]) == 0
    printed = capsys.readouterr().out
    assert f"created   {out / ENV_FILE}  ->  /etc/mockexam/mockexam.env" in printed
    assert "Generated new secrets: ADMIN_SECRET_KEY, TELEGRAM_WEBHOOK_SECRET." in printed
    assert "tls internal" in (out / CADDYFILE).read_text()
    assert "email ops@example.uz" in (out / CADDYFILE).read_text()

    assert main([*argv, "--out", str(out), "--data-dir", str(data)]) == 0
    assert "Kept from the existing mockexam.env (not regenerated)" in capsys.readouterr().out


# --- the Caddyfile run by caddy, in front of a recording upstream ---------------------------


class _Upstream(BaseHTTPRequestHandler):
    """Reads every body whole (so Caddy's limits are what refuses), like the app's upload route."""

    protocol_version = "HTTP/1.1"
    received: list[int] = []  # noqa: RUF012 (bytes of each POST body, as they arrived)

    def do_GET(self) -> None:
        if self.path == "/app":  # what the app does: a redirect built from plain HTTP
            self._reply(307, b"", {"Location": f"http://{self.headers['Host']}/app/"})
        elif self.path.startswith("/api/practice/image/"):
            self._reply(200, b"<svg/>", {"Content-Security-Policy": "sandbox"})
        else:
            self._reply(200, b"x" * 4096, {"Content-Type": "text/html"})

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", "0"))
        received = 0
        while received < length:
            chunk = self.rfile.read(min(65536, length - received))
            if not chunk:
                break
            received += len(chunk)
        self.received.append(received)
        self._reply(200, str(received).encode(), {"Content-Type": "text/plain"})

    def _reply(self, status: int, body: bytes, headers: dict[str, str]) -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_args: object) -> None:
        pass

    def handle(self) -> None:
        # Caddy cuts a body over its limit and goes away.
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            super().handle()


@pytest.fixture
def caddy_site(tmp_path) -> Iterator[tuple[DeployOptions, ssl.SSLContext]]:
    """The generated Caddyfile (tls internal, 127.0.0.1, free ports) in front of `_Upstream`."""
    caddy = require_caddy()
    upstream = ThreadingHTTPServer(("127.0.0.1", 0), _Upstream)
    threading.Thread(target=upstream.serve_forever, daemon=True).start()
    options = _options(
        tmp_path,
        tls_internal=True,
        app_port=upstream.server_address[1],
        https_port=free_port(),
        http_port=free_port(),
        bind="127.0.0.1",
        caddy_admin="off",
    )
    result = write_deploy_config(options, tmp_path / "deploy")
    home = tmp_path / "caddy-home"
    process = subprocess.Popen(
        [caddy, "run", "--config", str(result.out_dir / CADDYFILE), "--adapter", "caddyfile"],
        env=caddy_environment(home),
        stdout=subprocess.DEVNULL,
        stderr=(tmp_path / "caddy.log").open("wb"),
        start_new_session=True,
    )
    root = home / "data" / "caddy" / "pki" / "authorities" / "local" / "root.crt"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, (tmp_path / "caddy.log").read_text()
            if root.exists():
                context = ssl.create_default_context(cafile=str(root))
                try:
                    _request(result.options, context, "GET", "/ping")
                    break
                except (OSError, http.client.HTTPException):
                    pass
            assert time.monotonic() < deadline, (tmp_path / "caddy.log").read_text()
            time.sleep(0.2)
        yield result.options, context
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=10)
        upstream.shutdown()


def _request(
    opts: DeployOptions,
    context: ssl.SSLContext,
    method: str,
    path: str,
    body: bytes = b"",
    headers: dict[str, str] | None = None,
) -> tuple[int, dict[str, list[str]], bytes]:
    """One request to the site over TLS (SNI: the domain); a body cut short still gets the answer."""
    response = https_request(opts.domain, opts.https_port, context, method, path, body, headers)
    found: dict[str, list[str]] = {}
    for name, value in response.getheaders():
        found.setdefault(name.lower(), []).append(value)
    return response.status, found, response.read()


def test_caddy_refuses_bodies_over_its_limits_and_passes_the_rest(caddy_site):
    opts, context = caddy_site
    limit = opts.upload_limit
    status, _headers, body = _request(opts, context, "POST", "/_upload", b"p" * (3 * 1024 * 1024))
    assert (status, body) == (200, str(3 * 1024 * 1024).encode())
    # Over a limit: Caddy stops the body at the limit (2.6 answers 502 then, later ones 413).
    _Upstream.received.clear()
    status, _headers, _body = _request(opts, context, "POST", "/_upload", b"p" * (limit + 1))
    assert status in (413, 502)
    assert all(count <= limit for count in _Upstream.received)
    status, _headers, body = _request(opts, context, "POST", "/api/sheet/1", b"s" * 900_000)
    assert (status, body) == (200, b"900000")
    _Upstream.received.clear()
    status, _headers, _body = _request(opts, context, "POST", "/api/sheet/1", b"s" * 1_100_000)
    assert status in (413, 502)
    assert all(count <= 1_000_000 for count in _Upstream.received)


def test_caddy_sends_the_headers_and_rewrites_the_apps_http_redirects(caddy_site):
    opts, context = caddy_site
    status, headers, _body = _request(opts, context, "GET", "/app")
    assert status == 307
    assert headers["location"] == [f"https://{opts.domain}:{opts.https_port}/app/"]

    status, headers, _body = _request(
        opts, context, "GET", "/app/", headers={"Accept-Encoding": "gzip"}
    )
    assert status == 200
    assert headers["content-encoding"] == ["gzip"]
    assert headers["strict-transport-security"] == ["max-age=31536000"]
    assert headers["x-content-type-options"] == ["nosniff"]
    assert headers["referrer-policy"] == ["strict-origin-when-cross-origin"]
    telegram = " ".join(TELEGRAM_WEB_ORIGINS)
    assert headers["content-security-policy"] == [
        f"frame-ancestors {telegram}; base-uri 'self'; object-src 'none'"
    ]
    assert "x-frame-options" not in headers

    for path in ("/admin", "/admin/exams/3"):
        status, headers, _body = _request(opts, context, "GET", path)
        assert headers["content-security-policy"] == [
            "frame-ancestors 'none'; base-uri 'self'; object-src 'none'"
        ]
        assert headers["x-frame-options"] == ["DENY"]

    # The app's own policy (a practice figure's sandbox) stays, beside the frame rule.
    _status, headers, _body = _request(opts, context, "GET", "/api/practice/image/a.svg")
    assert sorted(headers["content-security-policy"])[1] == "sandbox"
    assert len(headers["content-security-policy"]) == 2


def test_a_python_the_services_user_cannot_run_is_warned_about(tmp_path):
    # Outside pytest's own temporary folder, which is closed to other users itself.
    root = Path(tempfile.mkdtemp(prefix="mockexam-deploy-"))
    try:
        root.chmod(0o755)
        private = root / "home"
        (private / "bin").mkdir(parents=True)
        python = private / "bin" / "python3"
        python.write_text("#!/bin/sh\n")
        python.chmod(0o755)
        venv = root / "venv-bin"
        venv.mkdir()
        (venv / "python").symlink_to(python)
        assert closed_to_others(venv / "python") is None
        private.chmod(0o700)  # like /root holding pyenv's Python

        assert closed_to_others(venv / "python") == private
        text = write_deploy_config(
            _options(tmp_path, python=venv / "python"), tmp_path / "deploy"
        ).describe()
    finally:
        shutil.rmtree(root, ignore_errors=True)

    assert f"Warning: the services' user cannot run {venv / 'python'}: {private}" in text
    assert "make install PYTHON=/usr/bin/python3" in text
    system = write_deploy_config(
        _options(tmp_path, python=Path("/usr/bin/env")), tmp_path / "deploy2"
    ).describe()
    assert "Warning" not in system


def test_the_cli_wrapper_reads_the_env_file_and_a_setting_given_wins(tmp_path):
    out = tmp_path / "deploy"
    opts = write_deploy_config(_options(tmp_path), out).options
    env_file = tmp_path / "mockexam.env"
    shutil.copy(out / ENV_FILE, env_file)
    # The wrapper as installed, but reading this env file; runuser stands in to show
    # what the command would get.
    wrapper = (out / CLI_FILE).read_text().replace(str(opts.env_install_path), str(env_file))
    (tmp_path / "mockexam").write_text(wrapper)
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    runuser = bin_dir / "runuser"
    runuser.write_text('#!/bin/sh\necho "user=$2 args=$*"\necho "DATABASE_URL=$DATABASE_URL"\n')
    runuser.chmod(0o755)
    base = {"PATH": f"{bin_dir}:/usr/bin:/bin"}

    def run(**env: str) -> str:
        done = subprocess.run(
            ["sh", str(tmp_path / "mockexam"), "restore", "backup.tar.gz"],
            env={**base, **env},
            capture_output=True,
            text=True,
            check=True,
        )
        return done.stdout

    from_file = parse_env_file(env_file.read_text())["DATABASE_URL"]
    assert f"DATABASE_URL={from_file}\n" in run()
    assert "user=mockexam" in run()
    assert "-m mockexam restore backup.tar.gz" in run()
    assert "DATABASE_URL=sqlite:////tmp/scratch.db\n" in run(
        DATABASE_URL="sqlite:////tmp/scratch.db"
    )
