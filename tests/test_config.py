"""The run config: YAML + flags, validated before anything is sent; secrets refused."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from docgen.config import load_config
from docgen.errors import ConfigError

from _paths import EXAMPLE_SPEC, REPO


def cli_env() -> dict:
    """The environment, plus the switch that lets the CLI use the `fake` test double."""
    return {**os.environ, "DOCGEN_TEST_BACKENDS": "1"}


def test_yaml_config_with_flag_overrides(tmp_path):
    p = tmp_path / "run.yaml"
    p.write_text(f"spec: {EXAMPLE_SPEC}\nout: {tmp_path / 'r'}\ndocs: 5\nparams: {{temperature: 0.5}}\n")
    c = load_config(p, {"docs": 7, "params": {"max_tokens": 300}})
    assert c.docs == 7 and c.params.temperature == 0.5 and c.params.max_tokens == 300


@pytest.mark.parametrize("body,msg,line", [
    ("spec: x\nout: y\ndocs: -3\n", "docs", 3),
    ("spec: x\nout: y\nbackend_options: {api_key: sk-123}\n", "secrets are not accepted", None),
    ("spec: x\nout: y\ndocs: 3\ntarget_tokens: 100\n", "either docs or target_tokens", None),
    ("spec: x\nout: y\nunknown_field: 1\n", "unknown_field", 3),
    ("spec: [\n", "not valid YAML", None),
])
def test_bad_config_is_a_clear_error(tmp_path, body, msg, line):
    p = tmp_path / "run.yaml"
    p.write_text(body)
    with pytest.raises(ConfigError) as e:
        load_config(p, {})
    assert msg in e.value.message
    if line:
        assert e.value.where == f"{p}:{line}"


def test_resolved_config_holds_no_secret(tmp_path, monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-CANARY-cfg-1234")
    out = tmp_path / "run"
    r = subprocess.run([sys.executable, "-m", "docgen", "generate", str(EXAMPLE_SPEC), "--out", str(out), "--docs", "2",
                        "--backend", "fake", "--no-filters"], cwd=REPO, capture_output=True, text=True, env=cli_env())
    assert r.returncode == 0, r.stderr
    cfg = (out / "config.json").read_text()
    assert "CANARY" not in cfg and json.loads(cfg)["resolved"]["backend"]["backend"] == "fake"


def test_generate_bad_input_exits_2_and_loses_nothing(tmp_path):
    out = tmp_path / "run"
    ok = subprocess.run([sys.executable, "-m", "docgen", "generate", str(EXAMPLE_SPEC), "--out", str(out), "--docs", "2",
                         "--backend", "fake", "--no-filters"], cwd=REPO, capture_output=True, text=True, env=cli_env())
    assert ok.returncode == 0
    before = sorted((p.name, p.stat().st_size) for p in (out / "data").iterdir())
    for args in (["--docs", "3"], ["--genres", "nope"], ["--backend", "nope"], ["--temperature", "9"]):
        r = subprocess.run([sys.executable, "-m", "docgen", "generate", str(EXAMPLE_SPEC), "--out", str(out),
                            "--docs", "2", "--backend", "fake", "--no-filters", *args],
                           cwd=REPO, capture_output=True, text=True, env=cli_env())
        assert r.returncode == 2, (args, r.stderr)
        assert "Traceback" not in r.stderr and "hint:" in r.stderr
    assert sorted((p.name, p.stat().st_size) for p in (out / "data").iterdir()) == before
