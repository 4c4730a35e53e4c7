"""Prices: an editable table (``docgen/prices.yaml`` or ``--prices FILE``) → dollars.

A model matches its table entry exactly or by prefix (``claude-sonnet-4-5-20250929``
matches ``claude-sonnet-4-5``). An OpenAI-compatible server on your own machine
(a ``base_url`` whose host is exactly a loopback address or ``localhost``) costs
nothing, unless the table says ``loopback_free: false``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from .errors import ConfigError

DEFAULT_PRICES = Path(__file__).with_name("prices.yaml")


@dataclass(frozen=True)
class Price:
    input_per_mtok: float
    output_per_mtok: float
    batch_discount: float = 0.0

    def cost(self, input_tokens: int, output_tokens: int, batch: bool = False) -> float:
        c = (input_tokens * self.input_per_mtok + output_tokens * self.output_per_mtok) / 1e6
        return c * (1 - self.batch_discount) if batch else c


FREE = Price(0.0, 0.0)


def load_prices(path: str | Path | None = None) -> dict:
    p = Path(path) if path else DEFAULT_PRICES
    try:
        data = yaml.safe_load(p.read_text(encoding="utf-8")) or {}
    except FileNotFoundError:
        raise ConfigError("price table not found", where=str(p), hint="pass --prices FILE (see docgen/prices.yaml)") from None
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        raise ConfigError(f"not valid YAML: {getattr(e, 'problem', e)}", where=f"{p}:{mark.line + 1 if mark else 1}",
                          hint="fix the YAML syntax") from None
    if not isinstance(data, dict):
        raise ConfigError("a price table must be a mapping of backends", where=f"{p}:1", hint="see docgen/prices.yaml")
    return data


def price_for(backend: str, model: str, options: dict | None = None, table: dict | None = None) -> Price | None:
    """The price of ``model`` on ``backend``; ``None`` when the table does not know it."""
    table = table if table is not None else load_prices()
    from .backends._http import is_loopback

    # the parsed host, exactly: https://localhost-proxy.example.com/v1 is not this machine;
    # `loopback_free: false` in the table prices a paid service reached through a local tunnel
    if table.get("loopback_free", True) and is_loopback(str((options or {}).get("base_url") or "")):
        return FREE
    entry = table.get(backend)
    if not isinstance(entry, dict):
        return None
    if entry.get("free"):
        return FREE
    models = entry.get("models") or {}
    name = next((m for m in sorted(models, key=len, reverse=True) if model == m or model.startswith(m)), None)
    if name is None:
        return None
    m = models[name]
    try:
        return Price(float(m["input"]), float(m["output"]), float(entry.get("batch_discount", 0.0)))
    except (KeyError, TypeError, ValueError):
        raise ConfigError(f"price for {backend}/{name} needs numeric 'input' and 'output'",
                          hint="USD per million tokens, e.g. {input: 3.0, output: 15.0}") from None


def output_ratio(backend: str, model: str, table: dict | None = None) -> float:
    """How much of the planned output a model really writes (``output_ratio`` in the table; 1.0 if unknown)."""
    table = table if table is not None else load_prices()
    entry = table.get(backend)
    ratios = entry.get("output_ratio") if isinstance(entry, dict) else None
    if not isinstance(ratios, dict):
        return 1.0
    name = next((m for m in sorted(ratios, key=len, reverse=True) if model == m or model.startswith(m)), None)
    return float(ratios[name]) if name else 1.0
