"""Backends, imported lazily by name so an SDK loads only when chosen."""

from __future__ import annotations

import importlib
from typing import Any

from ..errors import ConfigError
from .base import Backend, BackendError, Completion, GenerationParams, Request

_REGISTRY = {
    "local": ("docgen.backends.local", "LocalBackend"),
    "openai": ("docgen.backends.openai_backend", "OpenAIBackend"),
    "anthropic": ("docgen.backends.anthropic_backend", "AnthropicBackend"),
    "vllm": ("docgen.backends.vllm_backend", "VLLMBackend"),
    "transformers": ("docgen.backends.transformers_backend", "TransformersBackend"),
    "fake": ("docgen.backends.fake", "FakeBackend"),     # a test double: not offered to users
}
_TEST_DOUBLES = {"fake"}


def available_backends() -> list[str]:
    """The backends users may choose (the ``fake`` test double is left out)."""
    return sorted(set(_REGISTRY) - _TEST_DOUBLES)


def get_backend(name: str, model: str = "", **options: Any) -> Backend:
    if name not in _REGISTRY:
        raise ConfigError(f"unknown backend '{name}'", hint=f"choose one of: {', '.join(available_backends())}")
    mod, cls = _REGISTRY[name]
    try:
        module = importlib.import_module(mod)
    except ModuleNotFoundError as e:
        if e.name and e.name.startswith("docgen"):
            raise ConfigError(f"backend '{name}' is not available in this version of docgen") from None
        raise
    return getattr(module, cls)(model=model, **options)


__all__ = ["Backend", "BackendError", "Completion", "GenerationParams", "Request", "get_backend", "available_backends"]
