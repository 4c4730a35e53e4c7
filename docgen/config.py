"""The typed run config: loads from YAML, CLI flags override, validated before
the first request. Secrets are never fields: keys come from the environment.

```yaml
# run.yaml
spec: corpora/examples/lighthouse_spec.md
out: runs/lighthouse
docs: 20
genres: [memo, faq, blog_post]
backend: local
model: smollm2-135m
params: {temperature: 0.3, max_tokens: 700, repeat_penalty: 1.2}
filters: {attribution: offline, dedup: true}
```
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from .backends.base import GenerationParams
from .errors import ConfigError

# Option names that may never be stored (keys are read from the environment).
_SECRET_KEY = re.compile(r"(api[_-]?key|token|secret|password|authorization)$", re.I)

# How requests travel, not what they ask: these may change between runs of one run directory
# (fix a wrong --base-url, raise a timeout, switch the key variable) without starting over.
TRANSPORT_FIELDS = frozenset({"out", "concurrency", "shard_docs", "max_cost", "prices", "batch_poll_s",
                              "retry_attempts", "retry_base_s"})
TRANSPORT_BACKEND_OPTIONS = frozenset({"base_url", "api_key_env", "require_key", "connect_timeout", "read_timeout",
                                       "write_timeout", "total_timeout", "stream", "include_usage"})


class Params(BaseModel):
    model_config = ConfigDict(extra="forbid")
    temperature: float = Field(0.3, ge=0, le=2)
    top_p: float = Field(0.9, gt=0, le=1)
    max_tokens: int | None = Field(None, gt=0)    # None: 350 for brief prompts, else 1200
    repeat_penalty: float | None = Field(None, ge=0.5, le=3)   # None: 1.2 for local (llama.cpp), else 1.0
    seed: int = 0

    def to_generation(self, brief: bool = False, backend: str = "local") -> GenerationParams:
        d = self.model_dump()
        d["max_tokens"] = self.max_tokens or (350 if brief else 1200)
        # llama.cpp's penalty keeps SmolLM2 from looping; vLLM's counts the prompt too, and a
        # small model then rarely stops (BENCHMARKS.md), so other backends default to none
        if self.repeat_penalty is None:
            d["repeat_penalty"] = 1.2 if backend == "local" else 1.0
        return GenerationParams(**d)


def _default_eval_dir() -> str | None:
    from .eval import default_eval_dir

    return default_eval_dir()


class FilterConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")
    enabled: bool = True
    attribution: Literal["offline", "learned", "learned-strict", "judge", "off"] = "offline"
    judge: str | None = None          # BACKEND/MODEL for the judge
    dedup: bool = True
    # decontaminate against these eval files; default: corpora/eval (the bundled item sets and
    # scenarios) when present, or $DOCGEN_EVAL_DIR
    eval_dir: str | None = Field(default_factory=_default_eval_dir)


class RunConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")
    spec: str
    out: str
    genres: list[str] | None = None
    genres_dir: str | None = None
    templates_dir: str | None = None
    docs: int | None = Field(None, gt=0)
    target_tokens: int | None = Field(None, gt=0)
    seed: int = 0
    backend: str = "local"
    model: str = ""
    backend_options: dict[str, Any] = Field(default_factory=dict)
    model_name: str | None = None
    params: Params = Field(default_factory=Params)
    prompt_style: Literal["auto", "brief", "full"] = "auto"   # auto: brief for the local backend
    ideas: int = Field(0, ge=0, le=50)    # doc ideas per plan cell (an LLM stage); 0: off
    batch: bool = False                   # provider batch APIs (anthropic, openai): cheaper, slower
    batch_poll_s: float = Field(30.0, gt=0)
    concurrency: int = Field(0, ge=0)    # 0: the backend's default
    max_attempts: int = Field(3, ge=1, le=10)
    retry_attempts: int = Field(6, ge=1, le=20)     # sends per request on transient errors (backoff between)
    retry_base_s: float = Field(1.0, ge=0)          # first backoff; doubles each retry, capped at 60 s
    shard_docs: int = Field(500, gt=0)
    filters: FilterConfig = Field(default_factory=FilterConfig)
    prices: str | None = None                     # price table (default docgen/prices.yaml)
    max_cost: float | None = Field(None, ge=0)    # USD; a hard cap counting in-flight requests at their estimate

    @model_validator(mode="after")
    def _check(self):
        if self.docs and self.target_tokens:
            raise ValueError("give either docs or target_tokens, not both")
        for k in self.backend_options:
            if _SECRET_KEY.search(k):
                raise ValueError(f"backend_options.{k}: secrets are not accepted in config; "
                                 f"set the key in the environment (e.g. OPENAI_API_KEY) or name the variable "
                                 f"with api_key_env")
        return self

    def identity(self) -> dict[str, Any]:
        """What must match for a rerun to resume this run directory: the content settings (spec,
        model, sampling, prompts, plan), not the transport ones (:data:`TRANSPORT_FIELDS`,
        :data:`TRANSPORT_BACKEND_OPTIONS`)."""
        d = self.model_dump(mode="json", exclude=set(TRANSPORT_FIELDS))
        d["backend_options"] = {k: v for k, v in d["backend_options"].items() if k not in TRANSPORT_BACKEND_OPTIONS}
        return d


def load_config(path: str | Path | None, overrides: dict[str, Any]) -> RunConfig:
    data: dict[str, Any] = {}
    if path:
        p = Path(path)
        if not p.exists():
            raise ConfigError("config file not found", where=str(p), hint="check the --config path")
        try:
            data = yaml.safe_load(p.read_text(encoding="utf-8")) or {}
        except yaml.YAMLError as e:
            mark = getattr(e, "problem_mark", None)
            raise ConfigError(f"not valid YAML: {getattr(e, 'problem', e)}",
                              where=f"{p}:{mark.line + 1 if mark else 1}", hint="fix the YAML syntax") from None
        if not isinstance(data, dict):
            raise ConfigError("a run config must be a YAML mapping", where=f"{p}:1", hint="see docs in docgen/config.py")
    for k, v in overrides.items():
        if v is None:
            continue
        if k in ("params", "filters", "backend_options"):
            data[k] = {**(data.get(k) or {}), **v}
        else:
            data[k] = v
    try:
        return RunConfig.model_validate(data)
    except ValidationError as e:
        err = e.errors()[0]
        field = ".".join(str(x) for x in err["loc"]) or "(config)"
        where = str(path) if path else "command line"
        if path and err["loc"]:
            for i, line in enumerate(Path(path).read_text().splitlines(), 1):
                if line.lstrip().startswith(f"{err['loc'][-1]}:") or line.startswith(f"{err['loc'][0]}:"):
                    where = f"{path}:{i}"
                    break
        raise ConfigError(f"{field}: {err['msg']}", where=where,
                          hint="see `docgen generate --help` and docgen/config.py for the fields") from None
