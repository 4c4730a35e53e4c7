"""The backend protocol: one async method and declared capabilities.

    class MyBackend(Backend):
        name = "mine"
        async def generate(self, request: Request) -> Completion: ...

A backend raises :class:`BackendError` for failures; ``retryable`` tells the
engine whether to try again (429/5xx/timeouts) or give up (400/401/403/404...).
``retry_after`` (seconds) carries the server's hint. SDK imports happen inside
the backend module, which is imported only when the backend is chosen.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from typing import Any

from ..errors import GenerationError


@dataclass(frozen=True)
class GenerationParams:
    temperature: float = 0.3
    top_p: float = 0.9
    max_tokens: int = 700
    repeat_penalty: float = 1.2
    seed: int = 0
    stop: tuple[str, ...] = ()


@dataclass
class Request:
    messages: list[dict[str, str]]
    params: GenerationParams = field(default_factory=GenerationParams)
    sample_index: int = 0
    template_version: str = ""
    custom_id: str = ""          # the plan item id; never part of the key

    def key(self, backend: str, model: str) -> str:
        """Content hash of everything that affects the output (not the custom_id)."""
        canon = {
            "backend": backend,
            "model": model,
            "params": asdict(self.params),
            "messages": self.messages,
            "sample_index": self.sample_index,
            "template_version": self.template_version,
        }
        blob = json.dumps(canon, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        return hashlib.sha256(blob.encode("utf-8")).hexdigest()


@dataclass
class Completion:
    text: str
    finish_reason: str             # stop | length | refusal | content_filter | incomplete
    input_tokens: int = 0
    output_tokens: int = 0
    model: str = ""
    latency_s: float = 0.0
    raw: dict[str, Any] = field(default_factory=dict)   # small, secret-free extras


class BackendError(GenerationError):
    def __init__(self, message: str, *, retryable: bool, status: int | None = None,
                 retry_after: float | None = None):
        super().__init__(message)
        self.retryable = retryable
        self.status = status
        self.retry_after = retry_after


class Backend:
    name: str = "base"
    supports_batch: bool = False
    supports_streaming: bool = False
    needs_key: str | None = None      # the environment variable holding the key

    def __init__(self, model: str = "", **options: Any):
        self.model = model
        self.options = options

    async def generate(self, request: Request) -> Completion:  # pragma: no cover - protocol
        raise NotImplementedError

    def describe(self) -> dict[str, Any]:
        """What goes into the resolved config: never a secret."""
        return {"backend": self.name, "model": self.model}

    async def aclose(self) -> None:
        return None
