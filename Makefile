# mockexam: `make run` starts the whole app with demo data; `make test` runs
# the lint and the test suite. Both work on a fresh clone: they create the
# virtualenv, install bun (Reflex's JavaScript runtime) from the npm registry,
# migrate the database and seed the demo data. Second runs reuse all of it.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
MAKEFLAGS += --no-builtin-rules

PYTHON ?= python3.11
BUN_VERSION := 1.4.5
# `make test` runs the suite in this many pytest-xdist workers (the machine has 2 cores;
# the browser tests stay together in one of them: tests/conftest.py). 0 runs it in one process.
PYTEST_WORKERS ?= 2

VENV := .venv
PY := $(VENV)/bin/python
TOOLS := .tools
BUN := $(TOOLS)/node_modules/.bin/bun

# Re-install when the pinned requirements change (content, not mtime).
REQS_HASH := $(shell cat requirements.txt requirements-dev.txt 2>/dev/null | sha256sum | cut -c1-12)
DEPS_STAMP := $(VENV)/.deps-$(REQS_HASH)
BUN_STAMP := $(TOOLS)/.bun-$(BUN_VERSION)

# Every recipe finds the venv's tools first. How Reflex finds bun (and what
# else it is told) lives in mockexam/devserver.py, for `make` and direct use alike.
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)
export VIRTUAL_ENV := $(CURDIR)/$(VENV)

.PHONY: help install db run run-scale test lint format chromium caddy clean distclean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed -E 's/:.*## /\t/' | expand -t 12

install: $(DEPS_STAMP) $(BUN_STAMP) ## venv with requirements-dev.txt, and bun

$(PY):
	$(PYTHON) -m venv $(VENV)

$(DEPS_STAMP): requirements.txt requirements-dev.txt | $(PY)
	$(PY) -m pip install --quiet -r requirements-dev.txt
	rm -f $(VENV)/.deps-*
	touch $@

$(BUN_STAMP):
	mkdir -p $(TOOLS)
	npm install --prefix $(TOOLS) --no-audit --no-fund --loglevel=error bun@$(BUN_VERSION)
	@# The npm package's postinstall puts the platform binary (@oven/bun-<os>-<cpu>,
	@# also from the npm registry) in place; run it ourselves if npm skipped scripts.
	$(BUN) --version >/dev/null 2>&1 || (cd $(TOOLS)/node_modules/bun && node install.js)
	test "$$($(BUN) --version)" = "$(BUN_VERSION)"
	rm -f $(TOOLS)/.bun-*
	touch $@

db: install ## migrate the database (alembic upgrade head) and seed demo data if empty
	$(PY) -m mockexam migrate
	$(PY) -m mockexam seed-demo --if-empty

run: db ## start worker, app (and bot if TELEGRAM_BOT_TOKEN is set); Ctrl-C stops all
	exec $(PY) -m mockexam.devserver

# Scale-out: PostgreSQL + Redis from DATABASE_URL / REDIS_URL (defaults: the servers on
# 127.0.0.1, database `mockexam` created if missing), the prod build, BACKEND_WORKERS
# Granian workers, two Huey consumers (one periodic) and the bot. See README "Scaling".
run-scale: install ## scale-out: prod build on PostgreSQL + Redis, several workers, two consumers
	exec $(PY) -m mockexam.scaleserver

lint: $(DEPS_STAMP) ## ruff check + ruff format --check
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(DEPS_STAMP) ## ruff format + ruff check --fix
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

# Debian's packages for the tests that need a system tool: Chromium drives the browser
# tests (Playwright never downloads its own browsers here), Caddy runs the Caddyfile
# that `deploy-config` writes (tests/e2e/test_caddy.py; the package's own service is
# not started here). Quick when the command is there; apt-get (via sudo unless root)
# when not, refreshing the package lists first only if apt cannot find the package,
# and waiting for another apt-get to finish instead of failing on its lock.
# $(call apt_tool,PACKAGE,COMMAND,VERSION-ARGS,WHAT NEEDS IT)
define apt_tool
	@if command -v $(2) >/dev/null 2>&1; then exit 0; fi; \
	if ! command -v apt-get >/dev/null 2>&1; then \
	  echo "$(1) is missing and there is no apt-get: install it yourself" \
	    "($(4) skip, or fail with CI=true)" >&2; exit 0; fi; \
	sudo=""; if [ "$$(id -u)" != 0 ]; then sudo="sudo"; fi; \
	export DEBIAN_FRONTEND=noninteractive; \
	apt="$$sudo apt-get -q -o DPkg::Lock::Timeout=600"; \
	if ! apt-cache show $(1) >/dev/null 2>&1; then $$apt update; fi; \
	$$apt install -y --no-install-recommends $(1) \
	  || { $$apt update && $$apt install -y --no-install-recommends $(1); }; \
	$(2) $(3)
endef

chromium: ## Debian's chromium for the browser tests (apt-get install when missing)
	$(call apt_tool,chromium,chromium,--version,browser tests)

caddy: ## Debian's caddy for the HTTPS tests (apt-get install when missing)
	$(call apt_tool,caddy,caddy,version,the Caddy tests)

test: db lint chromium caddy ## lint, then the whole pytest suite (installs chromium and caddy if missing)
	$(PY) -m pytest -n $(PYTEST_WORKERS) --dist loadgroup $(PYTEST_ARGS)

clean: ## remove build output, caches and local data (keeps .venv and .tools)
	rm -rf .web .states .pytest_cache .ruff_cache data/*.db data/*.db-* data/uploads
	find . -name __pycache__ -type d -not -path './.venv/*' -not -path './.tools/*' -prune -exec rm -rf {} +

distclean: clean ## clean, and remove .venv and .tools too
	rm -rf $(VENV) $(TOOLS)
