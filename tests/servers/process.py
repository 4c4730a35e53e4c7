"""Start a real OpenAI-compatible server (llama.cpp's, vLLM's) for a test, and stop it after."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import httpx
import pytest


@contextmanager
def openai_server(cmd: list[str], port: int, log: Path, *, name: str, startup_s: float,
                  poll_s: float = 0.25, env: dict | None = None, cwd: Path | None = None,
                  new_session: bool = False, stop_s: float = 15) -> Iterator[str]:
    """Run ``cmd`` until ``GET /v1/models`` answers on 127.0.0.1:``port``; yield the base URL.

    The server's output goes to ``log``, whose tail is shown when it fails to start. With
    ``new_session`` the whole process group is killed at the end (servers with child processes)."""
    with open(log, "wb") as fh:
        proc = subprocess.Popen(cmd, stdout=fh, stderr=subprocess.STDOUT, env=env, cwd=cwd,
                                start_new_session=new_session)
    base = f"http://127.0.0.1:{port}/v1"
    try:
        deadline = time.monotonic() + startup_s
        while True:
            if proc.poll() is not None:
                pytest.fail(f"{name} exited with {proc.returncode}:\n{log.read_text()[-4000:]}")
            try:
                if httpx.get(f"{base}/models", timeout=2.0).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"{name} did not come up in {startup_s} s:\n{log.read_text()[-4000:]}")
            time.sleep(poll_s)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=stop_s)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        if new_session:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
