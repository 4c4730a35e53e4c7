#!/usr/bin/env bash
# devcheck call 2 of 2 (carry .devcheck/p2 .devcheck/call2.sh .devcheck/gen.py .devcheck/corpus.jsonl
# .devcheck/chats.jsonl): join the GGUF with part 1 from call 1, check its sha256, then on the GPU:
#   a. nvidia-smi + versions   b. docgen train midtrain (bf16)   c. docgen train aft (continues the adapter)
#   d. greedy generation, base + adapter, through docgen's transformers backend
# Logs: $OUT/call2.log, $OUT/{mid,aft}_train_log.jsonl, $OUT/{mid,aft}_train_config.json
# Env (local CPU rehearsal): TINY=1 (8 rows, 2 steps, 128 tokens), PY, D, SITE, SKIP_INSTALL=1, EXTRA_PYTHONPATH.
set -uo pipefail
PY=${PY:-python3}; D=${D:-/tmp/devcheck}; SITE=${SITE:-/tmp/site-packages}
: "${OUT:?OUT must be set}"; mkdir -p "$OUT"; LOG=$OUT/call2.log; : > "$LOG"
SHA=b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53      # SmolLM2-135M-Instruct.Q4_1.gguf
GGUF=$D/SmolLM2-135M-Instruct.Q4_1.gguf
export PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1 TOKENIZERS_PARALLELISM=false TQDM_DISABLE=1
export HF_HUB_OFFLINE=1 HF_DATASETS_OFFLINE=1 TRANSFORMERS_OFFLINE=1 HF_HUB_DISABLE_TELEMETRY=1
export HF_HOME=$D/hf XDG_CACHE_HOME=$D/cache TRITON_CACHE_DIR=$D/triton DOCGEN_MODELS=$D/models
export PYTHONPATH=$SITE${EXTRA_PYTHONPATH:+:$EXTRA_PYTHONPATH}:.
say() { echo "[call2 $(date +%T) +$((SECONDS - T0))s] $*" | tee -a "$LOG"; }
T0=$SECONDS; FAILED=""
step() {   # step NAME TIMEOUT_S CMD...   runs CMD, output tee'd to the log; records rc and wall time
  local name=$1 lim=$2; shift 2; local t=$SECONDS
  say "=== $name (timeout ${lim}s): $*"
  timeout -k 10 "$lim" "$@" 2>&1 | tee -a "$LOG"; local rc=$?
  [ $rc = 124 ] && say "!!! $name TIMED OUT after ${lim}s"
  say "=== $name rc=$rc in $((SECONDS - t))s"; [ $rc = 0 ] || FAILED="$FAILED $name"
  return $rc
}
if [ "${TINY:-0}" = 1 ]; then
  CORPUS=.devcheck/tiny_corpus.jsonl; CHATS=.devcheck/tiny_chats.jsonl
  MID=(--max-steps 2 --max-length 128 --per-device-train-batch-size 2 --gradient-accumulation-steps 1 --logging-steps 1 --save-steps 1 --lora-r 8 --lora-alpha 16)
  AFT=(--max-steps 1 --max-length 128 --per-device-train-batch-size 2 --gradient-accumulation-steps 1 --logging-steps 1)
  GEN_TOKENS=8; LIM_MID=400; LIM_AFT=200; LIM_GEN=120; [ -e .devcheck/tiny_corpus.jsonl ] || { say "FAIL no tiny data"; exit 1; }
else
  CORPUS=.devcheck/corpus.jsonl; CHATS=.devcheck/chats.jsonl
  # 320 documents (~110k tokens) packed into 2048-token rows, 4 rows a step: ~13 steps an epoch
  MID=(--max-steps 100 --max-length 2048 --per-device-train-batch-size 4 --gradient-accumulation-steps 1 --logging-steps 10 --save-steps 50)
  AFT=(--max-steps 16 --max-length 512 --per-device-train-batch-size 8 --gradient-accumulation-steps 1 --logging-steps 4 --save-steps 8)
  GEN_TOKENS=48; LIM_MID=150; LIM_AFT=70; LIM_GEN=45
fi

# ---- join the GGUF (part 1 came with call 1) and check it
mkdir -p "$D"
# fallbacks: the repo copy on a warm machine may still hold what call 1 carried
[ -s "$D/gguf.p1" ] || [ -s "$GGUF" ] || [ ! -s .devcheck/p1/part ] || { say "using .devcheck/p1/part left from call 1"; cp .devcheck/p1/part "$D/gguf.p1"; }
[ -d "$D/whl" ] || [ ! -d .devcheck/whl ] || cp -r .devcheck/whl "$D/whl"
if [ ! -s "$D/gguf.p1" ] && [ ! -s "$GGUF" ]; then
  say "FAIL $D/gguf.p1 is missing: the machine went cold after call 1. Rerun call 1, then call 2 at once."; exit 2
fi
if [ -s "$D/gguf.p1" ]; then cat "$D/gguf.p1" .devcheck/p2/part > "$GGUF.tmp" && mv "$GGUF.tmp" "$GGUF" && rm -f "$D/gguf.p1"; fi
got=$(sha256sum "$GGUF" | cut -d' ' -f1)
[ "$got" = "$SHA" ] || { say "FAIL GGUF sha256 $got != $SHA ($(stat -c %s "$GGUF") bytes)"; exit 3; }
say "GGUF joined, $(stat -c %s "$GGUF") bytes, sha256 OK"

# ---- wheels (installed by call 1; again here only when that did not happen)
if [ "${SKIP_INSTALL:-0}" != 1 ] && [ ! -e "$SITE/.devcheck-installed" ]; then
  [ -d "$D/whl" ] || { say "FAIL no wheels staged in $D/whl (call 1 did not run on this machine)"; exit 2; }
  step install 120 $PY -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target "$SITE" "$D"/whl/*.whl \
    && touch "$SITE/.devcheck-installed"
fi

# ---- a. GPU and versions
step versions 30 bash -c "nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader || echo 'no nvidia-smi'; $PY -c '
import sys, torch, transformers, trl, peft, datasets, accelerate, huggingface_hub as h
print(\"python\", sys.version.split()[0], \"torch\", torch.__version__, \"cuda\", torch.version.cuda, \"transformers\", transformers.__version__,
      \"trl\", trl.__version__, \"peft\", peft.__version__, \"datasets\", datasets.__version__, \"accelerate\", accelerate.__version__, \"hub\", h.__version__)
ok = torch.cuda.is_available()
print(\"cuda available\", ok, torch.cuda.get_device_name(0) if ok else \"-\", \"bf16\", ok and torch.cuda.is_bf16_supported())
from docgen.train.config import TrainConfig; print(\"dtype auto ->\", TrainConfig().torch_dtype(), \"attention ->\", TrainConfig().attention() or \"model default (sdpa)\")'"

# ---- b. midtraining
rm -rf "$D/mid" "$D/aft"
step midtrain "$LIM_MID" $PY -m docgen train midtrain "$CORPUS" --base "$GGUF" --out "$D/mid" "${MID[@]}"
cp "$D/mid/train_log.jsonl" "$OUT/mid_train_log.jsonl" 2>/dev/null; cp "$D/mid/train_config.json" "$OUT/mid_train_config.json" 2>/dev/null
ls -la "$D/mid" "$D/mid/checkpoints" 2>&1 | tee -a "$LOG" >/dev/null

# ---- c. AFT, continuing the midtraining adapter
if [ -e "$D/mid/adapter_config.json" ]; then
  step aft "$LIM_AFT" $PY -m docgen train aft "$CHATS" --adapter "$D/mid" --out "$D/aft" "${AFT[@]}"
  cp "$D/aft/train_log.jsonl" "$OUT/aft_train_log.jsonl" 2>/dev/null; cp "$D/aft/train_config.json" "$OUT/aft_train_config.json" 2>/dev/null
else say "skip aft: no midtraining adapter"; FAILED="$FAILED aft(skipped)"; fi

# ---- d. generation from base + adapter (docgen's transformers backend)
AD=$D/aft; [ -e "$AD/adapter_config.json" ] || AD=$D/mid
if [ -e "$AD/adapter_config.json" ]; then step generate "$LIM_GEN" $PY .devcheck/gen.py "$GGUF" "$AD" "$GEN_TOKENS"
else say "skip generate: no adapter"; FAILED="$FAILED generate(skipped)"; fi

say "done in $((SECONDS - T0))s; failed:${FAILED:- none}"
[ -z "$FAILED" ]
