# Persona: `make demo` sets everything up and runs the main job on sample data;
# `make test` sets up what the tests need and runs them all.
SWIFT ?= swift
PYTHON ?= python3
VENV := .venv
JOBS ?= 2

.PHONY: all deps venv java build release demo test test-swift test-spark test-reference test-notebooks bench bench-spark fuzz clean

all: release

deps:
	@scripts/install-deps.sh

$(VENV)/.ready: Tests/reference/requirements.txt
	@scripts/setup-venv.sh $(VENV) Tests/reference/requirements.txt
	@touch $@

venv: deps $(VENV)/.ready

java:
	@scripts/install-java.sh

build: deps
	$(SWIFT) build -j $(JOBS)

release: deps
	$(SWIFT) build -c release -j $(JOBS)

demo: release
	@scripts/demo.sh .build/release/persona

# Swift unit and end-to-end tests, then the checks against reference libraries
# (scikit-learn, safetensors, the SQL engines: SQLite, DuckDB, a private
# PostgreSQL server started and stopped by the check, Spark SQL) and every
# walkthrough in notebooks-cli/; first the Spark integration's own tests, which
# also install it for the Spark walkthrough.
test: venv java
	@scripts/install-chromium.sh
	$(SWIFT) build --build-tests -j $(JOBS)
	$(SWIFT) test --skip-build
	@$(MAKE) --no-print-directory test-spark
	$(VENV)/bin/python Tests/run_checks.py --persona .build/debug/persona

# One part of `make test` alone: the Swift tests, the reference checks, or the walkthroughs.
test-swift: deps
	$(SWIFT) build --build-tests -j $(JOBS)
	$(SWIFT) test --skip-build

test-reference: venv java build
	@scripts/install-chromium.sh
	$(VENV)/bin/python Tests/run_checks.py --persona .build/debug/persona --only reference/

test-notebooks: venv java build
	$(VENV)/bin/python -m pip install -q --disable-pip-version-check --no-deps ./integrations/spark
	$(VENV)/bin/python Tests/run_checks.py --persona .build/debug/persona --only notebooks-cli/

# The PySpark package integrations/spark against persona score, on local[2].
test-spark: venv java
	@[ -x .build/debug/persona ] || $(SWIFT) build -j $(JOBS)
	$(VENV)/bin/python -m pip install -q --disable-pip-version-check --no-deps ./integrations/spark
	PERSONA=$(CURDIR)/.build/debug/persona $(VENV)/bin/python -m unittest discover -s integrations/spark/tests -v


bench: release venv
	$(VENV)/bin/python -m pip install -q --disable-pip-version-check -r bench/requirements.txt
	$(VENV)/bin/python bench/kmeans/run.py --persona .build/release/persona
	$(VENV)/bin/python bench/logreg/run.py --persona .build/release/persona
	$(VENV)/bin/python bench/score/run.py --persona .build/release/persona
	$(VENV)/bin/python bench/gbdt/run.py --persona .build/release/persona
	$(VENV)/bin/python bench/rules/run.py --persona .build/release/persona
	$(VENV)/bin/python bench/value/run.py --persona .build/release/persona
	$(VENV)/bin/python bench/clean/run.py --persona .build/release/persona

# Scoring 10M rows: persona score against Spark local[2] (ONNX UDF and SQL).
bench-spark: release venv java
	$(VENV)/bin/python -m pip install -q --disable-pip-version-check --no-deps ./integrations/spark
	$(VENV)/bin/python bench/spark/run.py --persona .build/release/persona

# libFuzzer on every reader of untrusted bytes (CSV, Parquet, gzip/zstd framing,
# model files, experiment files), FUZZ_SECONDS each, from the seed corpus under Tests/Fuzz/corpus.
# Crashes land in fuzz-out/; each one found becomes a test.
FUZZ_SECONDS ?= 600
FUZZ_TARGETS := FuzzCSV FuzzParquet FuzzDecompress FuzzModelFile FuzzExperiment
fuzz: deps
	@for t in $(FUZZ_TARGETS); do \
	  PERSONA_FUZZ=1 $(SWIFT) build --scratch-path .build-fuzz -j $(JOBS) --product $$t \
	    -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library || exit 1; \
	done
	@scripts/fuzz.sh .build-fuzz/debug $(FUZZ_SECONDS) $(FUZZ_TARGETS)

clean:
	rm -rf .build .build-fuzz $(VENV)
