# Quick start: `make run` (the hall on embedded defaults) and `make test` (the whole suite).
# Both install first and are idempotent.
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
# Kivy needs GL/EGL and mtdev; pyzbar needs zbar; Chinese text needs a CJK font;
# browser tests need Chromium; voice needs espeak-ng (and aplay); USB printers need libusb;
# `hallq db backup` on PostgreSQL needs pg_dump.
APT_PACKAGES := libgl1 libegl1 libmtdev1 libzbar0 fonts-wqy-microhei chromium espeak-ng \
  libusb-1.0-0 alsa-utils postgresql-client-15

.PHONY: install system-packages run test lint bench lock

# Bytecode written here, once, rather than compiled at every start wherever
# PYTHONDONTWRITEBYTECODE is set: about 0.2 s of each `hallq serve` start, which every
# kiosk and screen waits for after a power cut. A no-op when nothing changed.
install: system-packages $(STAMP)
	@$(PY) -m compileall -q -j 0 queue_server hallq hallenv hallrules kiosk devices

system-packages:
	@missing=""; for p in $(APT_PACKAGES); do \
	  dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "hallq: installing system packages:$$missing"; \
	  SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
	  $$SUDO apt-get update -q && DEBIAN_FRONTEND=noninteractive \
	    $$SUDO apt-get install -y -q --no-install-recommends $$missing; \
	fi

# constraints.txt pins every package at the version tested, so a fresh machine installs
# what CI passed with; `make lock` writes it again from the venv after a deliberate upgrade.
$(STAMP): pyproject.toml constraints.txt
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -c constraints.txt -e '.[dev]'
	touch $(STAMP)

lock: install
	{ sed -n '1,2p' constraints.txt; $(PY) -m pip freeze --exclude-editable; } > constraints.new
	mv constraints.new constraints.txt

# TRAFFIC=0 runs the demo hall without its simulated applicants and staff.
TRAFFIC ?= 3
run: install
	$(VENV)/bin/hallq serve --demo $(if $(filter 0,$(TRAFFIC)),,--traffic $(TRAFFIC))

test: install
	$(PY) -m pytest

lint: install
	$(VENV)/bin/ruff check .

bench: install
	$(PY) -m bench
