"""`make install` announces the llama-cpp-python source build (what, how long, once) and shows its
progress (issue 15 item 9). pip is replaced by a script that prints build steps the way a
CMake/Ninja build does, so the test takes seconds instead of the real 6-20 minute build."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest

from _paths import REPO

FAKE_PIP = """#!/bin/sh
if [ "$1" = wheel ]; then
  for i in 1 2 3 4 5 6 7 8 9 10; do echo "[$((i * 18))/180] Building CXX object ggml.o"; done
  [ -n "$FAIL" ] && exit 3
  touch "$WHEELS/llama_cpp_python-0.3.36-py3-none-linux_x86_64.whl"
fi
exit 0
"""


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_llama_build_is_announced_once_with_progress_and_duration(tmp_path):
    venv, wheels = tmp_path / "venv", tmp_path / "wheels"
    (venv / "bin").mkdir(parents=True)
    (venv / "bin" / "python").symlink_to(sys.executable)
    pip = tmp_path / "pip"
    pip.write_text(FAKE_PIP)
    pip.chmod(0o755)
    env = {**os.environ, "WHEELS": str(wheels)}

    def make(**extra):
        return subprocess.run(["make", "-s", "install", f"VENV={venv}", f"WHEELS={wheels}", f"PIP={pip}"],
                              cwd=REPO, capture_output=True, text=True, env={**env, **extra}, timeout=120)

    r = make()
    assert r.returncode == 0, r.stdout + r.stderr
    out = r.stdout
    assert "Building llama-cpp-python 0.3.36 from source" in out and "6-20 minutes" in out
    assert out.index("6-20 minutes") < out.index("llama.cpp build:  10%") < out.index("llama.cpp build: 100%")
    assert "llama-cpp-python built in 0 min" in out
    assert (wheels / "build.log").read_text().count("Building CXX") == 10

    again = make()                                  # the cached wheel: no second announcement
    assert again.returncode == 0 and "from source" not in again.stdout and "reusing the wheel" in again.stdout

    for w in wheels.glob("*.whl"):
        w.unlink()
    failed = make(FAIL="1")
    assert failed.returncode != 0 and "llama-cpp-python build failed" in failed.stdout
