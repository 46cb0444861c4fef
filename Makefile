# The two promises of the README: `make run` and `make test` work on a fresh machine.
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
ACPCTL := $(VENV)/bin/acpctl
PYTHON ?= python3

# Every install comes from uv.lock (exact versions and hashes); `make lock` is the only target that resolves.
# uv itself is installed first, into its own small venv, from requirements/uv.txt (pinned by hash).
UV_VENV ?= .uv
UV := $(UV_VENV)/bin/uv
export UV_PROJECT_ENVIRONMENT := $(VENV)
export UV_PYTHON_DOWNLOADS := never
UV_SYNC := $(UV) sync --frozen --python $(PYTHON) --quiet

.PHONY: run test install install-dev tools bench fuzz fuzz-properties soak clean models proto lock

# The summary a person reads (-o json for the full answer); :memory: so a demo leaves no state behind.
run: $(VENV)/.installed
	@$(ACPCTL) send examples/observability_setup.json -o summary --state :memory:
	@echo
	@echo "acpctl is in $(VENV)/bin: run '. $(VENV)/bin/activate' to put it on PATH, then 'acpctl --help'."

# One pytest worker per core (TEST_WORKERS=1 for a serial run); a module's tests stay on one worker, so its
# module-scoped fixtures (a whole-system bundle, a running Prometheus) are built once.
TEST_WORKERS ?= auto
test: $(VENV)/.installed-dev tools
	UV=$(UV) $(PY) -m pytest -n $(TEST_WORKERS) --dist loadscope

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

$(UV): requirements/uv.txt
	$(PYTHON) -m venv $(UV_VENV)
	$(UV_VENV)/bin/pip install --quiet --require-hashes --only-binary :all: --no-deps -r requirements/uv.txt
	touch $@

# Re-sync whenever the lock changes. `uv sync` makes the venv exactly the lock: what the lock lacks is removed.
$(VENV)/.installed: uv.lock pyproject.toml | $(UV)
	$(UV_SYNC)
	rm -f $(VENV)/.installed-dev
	touch $@

$(VENV)/.installed-dev: uv.lock pyproject.toml | $(UV)
	$(UV_SYNC) --extra dev
	touch $@ $(VENV)/.installed

# Refreshes uv.lock to the newest releases pyproject.toml allows; run it on purpose (a new dependency, a
# security release), then `make proto` and `make test`, and commit the lock with the regenerated stubs.
lock: $(UV)
	$(UV) lock --upgrade --python $(PYTHON)

# promtool and amtool check the generated artifacts; Debian packages them with Prometheus and Alertmanager.
# The store tests run a real PostgreSQL (Debian keeps initdb under /usr/lib/postgresql/<version>/bin).
# tests/test_readme.py runs the README's shell blocks, which use jq, curl and openssl.
tools:
	@missing=""; \
	if ! command -v promtool >/dev/null || ! command -v amtool >/dev/null; then missing=" prometheus prometheus-alertmanager"; fi; \
	if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 && ! command -v initdb >/dev/null; then missing="$$missing postgresql"; fi; \
	for tool in jq curl openssl; do command -v $$tool >/dev/null || missing="$$missing $$tool"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "installing Debian's packages$$missing (promtool, amtool, prometheus, PostgreSQL for the tests)"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	  else \
	    echo "missing tools: run 'sudo apt-get install$$missing'" >&2; exit 1; \
	  fi; \
	fi

# Regenerates the committed gRPC stubs in acp/v1 (tests/test_proto_stubs.py checks they are current).
PROTO_OUT ?= .
proto:
	$(PY) -m grpc_tools.protoc -Iproto --python_out=$(PROTO_OUT) --pyi_out=$(PROTO_OUT) --grpc_python_out=$(PROTO_OUT) proto/acp/v1/acp.proto

# The pydantic models are generated from schemas/; run this after changing a schema.
models: $(VENV)/.installed-dev
	$(PY) -m acp.modelgen

# Every bench/*_bench.py; BENCH_SECONDS per measurement, BENCH_ROUNDS per side-by-side row. The side-by-side bench
# installs slokit-sre (the peer of issue 18) into a throwaway venv, or uses SLOKIT_VENV=DIR.
bench: $(VENV)/.installed-dev
	$(PY) -m bench

# The mutation fuzzer: FUZZ_MESSAGES (default 100,000) seeded mutations of every example, each through
# Engine.handle and every FUZZ_TRANSPORT_EVERY-th also over HTTP and gRPC; progress every few seconds, findings
# (shrunk) as they happen and in fuzz-findings/; exits 1 on any. `make test` runs a 2,000-message slice.
FUZZ_MESSAGES ?= 100000
FUZZ_SEED ?= 12
FUZZ_TRANSPORT_EVERY ?= 50
fuzz: $(VENV)/.installed-dev
	$(PY) tests/mutation_fuzz.py --messages $(FUZZ_MESSAGES) --seed $(FUZZ_SEED) \
	  --transport-every $(FUZZ_TRANSPORT_EVERY) --findings fuzz-findings

# The long property runs: 10,000 examples per property (hours); hypothesis prints the counts.
fuzz-properties: $(VENV)/.installed-dev tools
	HYPOTHESIS_PROFILE=fuzz $(PY) -m pytest -p no:cacheprovider --hypothesis-show-statistics \
	  tests/test_fuzz_engine.py tests/test_openapi_fuzz.py tests/test_security_props.py

# Load on loopback at 80 % of measured saturation; SOAK_MINUTES (default 10) shortens it.
soak: $(VENV)/.installed-dev
	$(PY) -m bench.load

clean:
	rm -rf $(VENV) $(UV_VENV) build dist *.egg-info .pytest_cache fuzz-findings
