#!/usr/bin/env bash
# devcheck call 1 of 2 (carry .devcheck/p1 .devcheck/whl .devcheck/call1.sh):
# stage GGUF part 1 and the wheels under /tmp/devcheck, install the wheels into /tmp/site-packages and
# check that trl, datasets and docgen's train path import. /tmp survives only while the machine
# stays warm (~30 s idle): make call 2 at once.
# Env (for the local CPU rehearsal): PY (python3), D (/tmp/devcheck), SITE (/tmp/site-packages: the name
# matters, dill pickles modules outside a "site-packages" path by value when datasets fingerprints),
# SKIP_INSTALL=1 (use an already prepared $SITE), EXTRA_PYTHONPATH (after $SITE), OUT (required).
set -uo pipefail
PY=${PY:-python3}; D=${D:-/tmp/devcheck}; SITE=${SITE:-/tmp/site-packages}
: "${OUT:?OUT must be set}"; mkdir -p "$OUT"; LOG=$OUT/call1.log; : > "$LOG"
export PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1
export PYTHONPATH=$SITE${EXTRA_PYTHONPATH:+:$EXTRA_PYTHONPATH}:.
say() { echo "[call1 $(date +%T)] $*" | tee -a "$LOG"; }
t0=$SECONDS
rm -rf "$D" && mkdir -p "$D" || { say "FAIL cannot create $D"; exit 1; }
cp .devcheck/p1/part "$D/gguf.p1" && cp -r .devcheck/whl "$D/whl" || { say "FAIL staging"; exit 1; }
say "staged: $(du -sb "$D/gguf.p1" | cut -f1) bytes of GGUF part 1, $(ls "$D"/whl/*.whl | wc -l) wheels ($(du -sb "$D/whl" | cut -f1) bytes)"
if [ "${SKIP_INSTALL:-0}" != 1 ]; then
  rm -rf "$SITE"
  if $PY -m pip --version >/dev/null 2>&1; then
    timeout 120 $PY -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target "$SITE" "$D"/whl/*.whl 2>&1 | tee -a "$LOG"
  else
    say "no pip: unzipping the wheels into $SITE"; mkdir -p "$SITE"
    for w in "$D"/whl/*.whl; do $PY -m zipfile -e "$w" "$SITE" || say "FAIL unzip $w"; done
  fi
  # datasets 5.2 wants huggingface_hub>=1.31 (transformers 5.17 allows 1.5-1.x): bring 1.33 only when older
  if ! $PY -c 'import sys,huggingface_hub as h; from packaging.version import Version as V; sys.exit(V(h.__version__) < V("1.31"))' 2>>"$LOG"; then
    say "huggingface_hub < 1.31: installing whl/optional/huggingface_hub-1.33.0"
    timeout 60 $PY -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target "$SITE" "$D"/whl/optional/*.whl 2>&1 | tee -a "$LOG" \
      || $PY -m zipfile -e "$D"/whl/optional/*.whl "$SITE"
  fi
  touch "$SITE/.devcheck-installed"
fi
say "installed into $SITE: $(ls "$SITE" | grep -c dist-info) distributions"
timeout 120 $PY - <<'PY' 2>&1 | tee -a "$LOG"
import importlib, sys, time
t = time.monotonic()
print("python", sys.version.split()[0])
for m in ("torch", "transformers", "peft", "accelerate", "huggingface_hub", "trl", "datasets", "dill", "multiprocess",
          "gguf", "pydantic", "tiktoken", "markdown_it", "mdit_py_plugins", "pyarrow", "pandas", "fsspec"):
    mod = importlib.import_module(m)
    print(f"{m:16s} {getattr(mod, '__version__', '?'):14s} {getattr(mod, '__file__', '')}")
from trl import SFTConfig, SFTTrainer  # noqa: F401
from datasets import Dataset  # noqa: F401
import docgen.cli, docgen.train.midtrain, docgen.train.aft, docgen.backends.transformers_backend  # noqa: F401
from docgen.corpus import count_tokens
from docgen.train.midtrain import require_train_extra
require_train_extra()
print("docgen train path imports OK; count_tokens('hello world') =", count_tokens("hello world"),
      f"({time.monotonic() - t:.1f}s)")
PY
rc=$?
say "imports rc=$rc; call1 took $((SECONDS - t0))s. Now make call 2 at once."
exit $rc
