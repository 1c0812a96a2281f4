# batchbridge developer commands. Quick start: `make run` (local gateway) and `make test`.
SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

VENV ?= .venv
PYTHON ?= python3
BIN := $(VENV)/bin
# Reinstall only when the project's dependencies change.
STAMP := $(VENV)/.installed

export SAM_CLI_TELEMETRY := 0
SAM_REGION ?= us-east-1

# The Lambda the build targets; keep in step with template.yaml (Runtime python3.13, Architectures arm64).
LAMBDA_PYTHON_VERSION := 3.13
LAMBDA_PLATFORMS := manylinux2014_aarch64 manylinux_2_17_aarch64 manylinux_2_28_aarch64 manylinux_2_34_aarch64

.PHONY: help venv run test lint format build bench clean build-ApiFunction build-PollerFunction

help:
	@echo "make run     start the gateway locally (moto + emulated providers) on 127.0.0.1:\$${BATCHBRIDGE_PORT:-8080}"
	@echo "make test    lint, validate template.yaml, run the tests"
	@echo "make build   sam build (arm64 Lambda artifact in .aws-sam/build)"
	@echo "make bench   run every tests/benchmarks/bench_*.py"
	@echo "make lint | format | clean"

venv: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $@

run: venv
	$(BIN)/python -m infra.local

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/cfn-lint template.yaml
	$(BIN)/sam validate --lint --region $(SAM_REGION)

test: lint
	$(BIN)/pytest -n 2

format: venv
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

build: venv
	@start=$$SECONDS; $(BIN)/sam build; echo "sam build took $$((SECONDS - start)) s"
	@$(BIN)/python -c "$$ARTIFACT_SIZES"

bench: venv
	shopt -s nullglob; for f in tests/benchmarks/bench_*.py; do \
	  m=$${f%.py}; echo "== $${m//\//.}"; $(BIN)/python -m $${m//\//.}; done

clean:
	rm -rf .aws-sam .pytest_cache .ruff_cache
	find . -path ./$(VENV) -prune -o -name __pycache__ -type d -prune -exec rm -rf {} +

# --- called by `sam build` (template.yaml Metadata BuildMethod: makefile), with ARTIFACTS_DIR set ----------
# The artifact is the handlers/ package plus the wheels of handlers/requirements.txt for the Lambda's Python
# and architecture. pip runs under a python$(LAMBDA_PYTHON_VERSION) when there is one (on PATH, or installed
# by pyenv) because dependency markers are evaluated for the interpreter that runs pip.
LAMBDA_PIP_PYTHON = $(or $(shell \
	if python$(LAMBDA_PYTHON_VERSION) -c '' 2>/dev/null; then echo python$(LAMBDA_PYTHON_VERSION); \
	elif command -v pyenv >/dev/null 2>&1; then \
	  v=$$(pyenv versions --bare 2>/dev/null | grep -E '^$(subst .,\.,$(LAMBDA_PYTHON_VERSION))(\.[0-9]+)?$$' | tail -n1); \
	  if [ -n "$$v" ]; then echo "$$(pyenv root)/versions/$$v/bin/python$(LAMBDA_PYTHON_VERSION)"; fi; \
	fi),$(BIN)/python)

build-ApiFunction build-PollerFunction:
	@echo "resolving Lambda wheels with $(LAMBDA_PIP_PYTHON)"
	$(LAMBDA_PIP_PYTHON) -m pip install --quiet --disable-pip-version-check --root-user-action=ignore \
	  --no-compile --target "$(ARTIFACTS_DIR)" -r handlers/requirements.txt \
	  --implementation cp --python-version $(LAMBDA_PYTHON_VERSION) --only-binary=:all: \
	  $(foreach platform,$(LAMBDA_PLATFORMS),--platform $(platform))
	cp -R handlers "$(ARTIFACTS_DIR)/"
	rm -rf "$(ARTIFACTS_DIR)/bin" "$(ARTIFACTS_DIR)/handlers/requirements.txt"
	find "$(ARTIFACTS_DIR)/handlers" -name __pycache__ -type d -prune -exec rm -rf {} +

define ARTIFACT_SIZES
import io, pathlib, zipfile
for d in sorted(p for p in pathlib.Path(".aws-sam/build").iterdir() if p.is_dir()):
    files = [p for p in d.rglob("*") if p.is_file()]
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for p in files:
            z.write(p, p.relative_to(d))
    raw = sum(p.stat().st_size for p in files) / 1e6
    print(f"{d.name}: {len(files)} files, {raw:.1f} MB unzipped, {buf.tell() / 1e6:.1f} MB zipped")
endef
export ARTIFACT_SIZES
