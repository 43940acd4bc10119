# Two commands do all the set-up:
#   make run   - virtual environment, dependencies, sample data if the workspace is empty, serve on 127.0.0.1:8501
#   make test  - the same set-up plus test tools (Debian chromium for the browser test, Java 17 for Spark), then the whole suite
# Both are idempotent: a stamp per requirements file skips installs that are already done.

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: run test setup setup-test chromium java sample bench clean-venv

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

$(VENV)/.installed-run: requirements.txt | $(PY)
	$(PIP) install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-test: requirements.txt requirements-test.txt $(VENV)/.installed-run
	$(PIP) install --quiet -r requirements-test.txt
	touch $@

setup: $(VENV)/.installed-run

setup-test: $(VENV)/.installed-test chromium java

# The browser test drives Debian's chromium (never a downloaded browser).
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
		echo "Installing Debian chromium for the browser test..."; \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends chromium fonts-liberation >/dev/null; }

# Spark (batch runs and their tests) needs a Java runtime: Debian's, never a downloaded one.
java:
	@command -v java >/dev/null 2>&1 || { \
		echo "Installing Debian openjdk-17-jre-headless for Spark..."; \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends openjdk-17-jre-headless >/dev/null; }

sample: setup
	$(PY) -m core load-sample --if-empty

run: sample
	$(PY) app.py --server.address 127.0.0.1 --server.port 8501

# The suite runs on two workers (pytest-xdist; Spark tests share one), then the tests that assert a
# wall-clock or memory bound (marked `timed`) run alone, so that no other worker shares their CPU.
# One BLAS/OpenMP thread per worker: two workers on two cores with two spinning BLAS threads each ran a
# mixture-model test 10x slower (81 s against 8 s under load; tests/core/test_segments.py limits itself so).
test: setup-test
	$(PY) -m core load-sample --if-empty
	WORKBENCH_REQUIRE_SYSTEM_TOOLS=1 OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 $(PY) -m pytest -n 2 --dist loadgroup -m "not timed"
	WORKBENCH_REQUIRE_SYSTEM_TOOLS=1 $(PY) -m pytest -m timed

bench: setup-test
	$(PY) bench/ingest.py
	$(PY) bench/segments.py

clean-venv:
	rm -rf $(VENV)
