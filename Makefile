# The few commands a newcomer needs. `make help` lists them.
VENV ?= .venv
PY := $(VENV)/bin/python
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: help install distributed model browser-deps index run test test-fast eval bench lint clean

help:  ## list the commands
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/'

$(STAMP): pyproject.toml
	test -x $(PY) || python3.11 -m venv $(VENV) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet "torch==2.13.0"
	$(PY) -m pip install --quiet -e ".[test]"
	touch $(STAMP)

install: $(STAMP)  ## create .venv and install the package (torch 2.13.0 CPU pinned)

DIST_STAMP := $(VENV)/.distributed

$(DIST_STAMP): $(STAMP)
	$(PY) -m pip install --quiet -e ".[test,distributed]"
	touch $(DIST_STAMP)

distributed: $(DIST_STAMP)  ## add the optional Ray extra (--ray); `make test` installs it to run its two-node cluster tests

model: $(STAMP)  ## fetch, verify and cache the embedding model (skipped when ASSISTANT_MODEL_PATH is set); convert it for OpenVINO where that runs it
	@if [ -n "$$ASSISTANT_MODEL_PATH" ]; then echo "using $$ASSISTANT_MODEL_PATH"; else $(PY) -m assistant.embedding.model_store; fi
	@$(PY) -m assistant.embedding.compile --openvino --if-used

index: model  ## build index/ from seeds/ unless a valid index is there
	@$(BIN)/assistant check --index index >/dev/null 2>&1 || $(BIN)/assistant build --source seeds --index index

run: index  ## start the assistant (builds the index first if needed)
	$(BIN)/assistant serve --index index

BROWSER_PACKAGES := chromium fonts-noto-core fonts-noto-ui-core

browser-deps:  ## Debian's chromium and Noto fonts for the browser tests (installed with apt-get when run as root)
	@if command -v chromium >/dev/null 2>&1 && fc-list 2>/dev/null | grep -q "Noto Naskh Arabic"; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	  echo "installing $(BROWSER_PACKAGES) for the browser tests"; \
	  DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(BROWSER_PACKAGES) >/dev/null; \
	else echo "the browser tests need Debian's chromium and Noto fonts: sudo apt-get install $(BROWSER_PACKAGES)" >&2; \
	  exit 1; fi

test: model browser-deps distributed  ## run the whole test suite (unit, integration with the real model, browser, Ray)
	$(BIN)/python -m playwright --version >/dev/null
	$(BIN)/pytest -q

test-fast: $(STAMP)  ## unit tests only (fake embedder, no model, no Ray cluster)
	$(BIN)/pytest -q -m "not integration and not browser and not distributed"

eval: model  ## retrieval quality on ../shared/eval (see README)
	$(BIN)/assistant eval-suite

SCALE_N ?= 1000000

bench: model  ## speed, memory and quality benchmarks (seeds, pooled eval, SCALE_N=1000000 passages and its segments; ~70 min)
	$(PY) benchmarks/bench_core.py
	$(PY) benchmarks/bench_perf.py
	$(PY) benchmarks/bench_scale.py --n $(SCALE_N)

lint: $(STAMP)  ## ruff
	$(BIN)/ruff check assistant tests benchmarks

clean:  ## remove the virtual environment and built index
	rm -rf $(VENV) index/CURRENT index/gen-*
