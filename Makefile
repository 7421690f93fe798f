# Two commands for a new user: `make demo` and `make test`.
# Each creates .venv when needed and installs xsland (with its dev tools) into it.
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.xsland-installed
OUT    ?= out/demo

.PHONY: venv demo test lint bench sample clean

venv: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/xsland demo --out $(OUT) --overwrite

test: $(STAMP)
	$(PY) -m pytest -q

lint: $(STAMP)
	$(VENV)/bin/ruff check xsland tests benchmarks
	$(VENV)/bin/ruff format --check xsland tests benchmarks

bench: $(STAMP)
	$(PY) benchmarks/run.py

sample: $(STAMP)
	$(VENV)/bin/xsland sample --overwrite

clean:
	rm -rf $(VENV) out data/xishan .pytest_cache
