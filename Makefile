# Two commands for a new user: `make demo` and `make test`.
# Each creates .venv when needed and installs xsland (with its dev tools) into it.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.xsland-installed
OUT    ?= out/demo

.PHONY: venv demo test lint bench sample clean system-deps

venv: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/xsland demo --out $(OUT) --overwrite

test: $(STAMP) system-deps
	$(PY) -m pytest -q

# The browser tests drive Debian's Chromium (never a downloaded browser), the report test
# prints to PDF and rasterises it with poppler, the PostGIS tests start their own
# PostgreSQL server, and the CJK font makes Chinese render in screenshots and charts.
# Installed with apt-get when missing and running as root.
SYSTEM_PACKAGES := chromium poppler-utils fonts-noto-cjk postgresql postgis
system-deps:
	@if [ ! -x /usr/bin/chromium ] || ! command -v pdftoppm >/dev/null \
	    || ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 \
	    || ! ls /usr/share/postgresql/*/extension/postgis.control >/dev/null 2>&1 \
	    || ! fc-list 2>/dev/null | grep -qi "Noto Sans CJK"; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "installing $(SYSTEM_PACKAGES) (apt-get)"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	      $(SYSTEM_PACKAGES) >/dev/null; \
	  else \
	    echo "warning: some tests need: sudo apt-get install $(SYSTEM_PACKAGES)"; \
	  fi; \
	fi

lint: $(STAMP)
	$(VENV)/bin/ruff check xsland tests benchmarks
	$(VENV)/bin/ruff format --check xsland tests benchmarks

bench: $(STAMP)
	$(PY) benchmarks/run.py

sample: $(STAMP)
	$(VENV)/bin/xsland sample --overwrite

clean:
	rm -rf $(VENV) out data/xishan .pytest_cache
