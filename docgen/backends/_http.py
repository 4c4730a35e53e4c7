"""What the HTTP backends share: keys, timeouts, retry hints, error mapping, scrubbing.

Error policy (the engine's, applied here once for every HTTP backend)::

    retryable      408 409 429 5xx 529, any body that says "overloaded",
                   connection errors, timeouts (connect, first byte, idle, total),
                   a response cut mid-JSON
    not retryable  400 401 403 404 413 422 and every other 4xx

An SDK exception never leaves a backend: it becomes a :class:`BackendError`
whose message is scrubbed of the API key and which is raised *outside* the
``except`` block, so no traceback carries the SDK's request (and its headers).
"""

from __future__ import annotations

import asyncio
import email.utils
import ipaddress
import os
import re
import time
from dataclasses import dataclass
from typing import Any, Mapping
from urllib.parse import urlsplit, urlunsplit

from ..errors import ConfigError
from .base import BackendError

RETRYABLE_STATUS = frozenset({408, 409, 429, 529})


@dataclass(frozen=True)
class Timeouts:
    """Bounds on a hang. ``read`` is the wait for the first byte and between bytes (idle stream)."""

    connect: float = 10.0
    read: float = 120.0
    write: float = 30.0
    total: float = 600.0

    @classmethod
    def from_options(cls, options: Mapping[str, Any]) -> "Timeouts":
        d = cls()
        return cls(
            connect=float(options.get("connect_timeout", d.connect)),
            read=float(options.get("read_timeout", d.read)),
            write=float(options.get("write_timeout", d.write)),
            total=float(options.get("total_timeout", d.total)),
        )

    def sdk(self, timeout_cls: Any) -> Any:
        """The SDK's (httpx) timeout object; ``pool`` waits are bounded by the connect time."""
        return timeout_cls(self.total, connect=self.connect, read=self.read, write=self.write, pool=self.total)


def is_loopback(base_url: str | None) -> bool:
    if not base_url:
        return False
    host = urlsplit(base_url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def safe_url(base_url: str | None) -> str | None:
    """The URL without userinfo, query or fragment (those can hold credentials)."""
    if not base_url:
        return base_url
    p = urlsplit(base_url)
    netloc = p.hostname or ""
    if p.port:
        netloc += f":{p.port}"
    return urlunsplit((p.scheme, netloc, p.path, "", ""))


def resolve_key(options: Mapping[str, Any], default_env: str, backend: str) -> tuple[str, str]:
    """Return (key, env var name). Keys come from the environment only.

    ``api_key_env`` names another variable. A loopback ``base_url`` (llama.cpp, vLLM,
    Ollama on this machine) needs no key: a dummy is sent when the variable is unset.
    ``require_key: false`` allows the same for other servers.
    """
    if "api_key" in options:
        raise ConfigError(f"backend '{backend}': api_key cannot be set in a config",
                          hint=f"export {options.get('api_key_env') or default_env}=... in the environment instead")
    env = options.get("api_key_env") or default_env
    key = os.environ.get(env, "")
    if key:
        return key, env
    require = options.get("require_key")
    if require is None:
        require = not is_loopback(options.get("base_url"))
    if not require:
        return "no-key", env
    raise ConfigError(f"backend '{backend}' needs an API key in the environment variable {env}, which is not set",
                      hint=f"export {env}=<your key>  (or set api_key_env to the variable that holds it)")


# -- retry hints ------------------------------------------------------------------------------

_DURATION = re.compile(r"(?P<n>\d+(?:\.\d+)?)(?P<u>ms|h|m|s)")


def _duration(value: str) -> float | None:
    """OpenAI's reset format: '1s', '6m0s', '20ms', '1h2m3.5s'."""
    value = value.strip()
    pos, total = 0, 0.0
    for m in _DURATION.finditer(value):
        if m.start() != pos:
            return None
        total += float(m["n"]) * {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}[m["u"]]
        pos = m.end()
    if pos != len(value) or pos == 0:
        return None
    return total


def _seconds_or_date(value: str, now: float) -> float | None:
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        dt = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        dt = None
    if dt is None:
        try:
            from datetime import datetime

            dt = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
    if dt.tzinfo is None:
        return None
    return max(0.0, dt.timestamp() - now)


def parse_retry_after(headers: Mapping[str, str] | None, now: float | None = None) -> float | None:
    """Seconds to wait, from ``retry-after-ms``, ``retry-after`` (seconds or HTTP date) or, failing
    those, the reset header of whichever rate limit is exhausted (``x-ratelimit-reset-*`` in
    OpenAI's duration format, ``anthropic-ratelimit-*-reset`` as RFC 3339)."""
    if not headers:
        return None
    h = {k.lower(): v for k, v in headers.items()}
    now = time.time() if now is None else now
    if "retry-after-ms" in h:
        try:
            return max(0.0, float(h["retry-after-ms"]) / 1000.0)
        except ValueError:
            pass
    if "retry-after" in h:
        v = _seconds_or_date(h["retry-after"], now)
        if v is not None:
            return v
    waits = []
    for k, v in h.items():
        if k.startswith("x-ratelimit-reset-"):
            kind = k[len("x-ratelimit-reset-"):]
            if h.get(f"x-ratelimit-remaining-{kind}", "").strip() == "0":
                d = _duration(v)
                if d is not None:
                    waits.append(d)
        elif k.startswith("anthropic-ratelimit-") and k.endswith("-reset"):
            kind = k[len("anthropic-ratelimit-"):-len("-reset")]
            if h.get(f"anthropic-ratelimit-{kind}-remaining", "").strip() == "0":
                d = _seconds_or_date(v, now)
                if d is not None:
                    waits.append(d)
    return max(waits) if waits else None


# -- error mapping ------------------------------------------------------------------------------

def scrub(text: str, secret: str | None) -> str:
    if secret and len(secret) >= 4 and secret != "no-key":
        text = text.replace(secret, "***")
    return text


def _body_message(body: Any) -> str:
    if isinstance(body, dict):
        err = body.get("error", body)
        if isinstance(err, dict):
            parts = [str(err.get("type") or ""), str(err.get("message") or "")]
            return ": ".join(p for p in parts if p)
        return str(err)
    return "" if body is None else str(body)


def map_exception(exc: BaseException, sdk: Any, provider: str, secret: str | None) -> BackendError | None:
    """Translate an SDK/transport exception; None for exceptions that are bugs (re-raise those)."""
    if isinstance(exc, BackendError):
        return exc

    def err(msg: str, **kw: Any) -> BackendError:
        return BackendError(scrub(f"{provider}: {msg}", secret), **kw)

    if isinstance(exc, (asyncio.TimeoutError, TimeoutError)):
        return err("total deadline exceeded", retryable=True)
    if isinstance(exc, sdk.APITimeoutError):
        return err("request timed out (connect or read/idle timeout)", retryable=True)
    if isinstance(exc, sdk.APIConnectionError):
        cause = exc.__cause__ or exc.__context__
        detail = type(cause).__name__ if cause is not None else "connection error"
        return err(f"connection error ({detail})", retryable=True)
    if isinstance(exc, sdk.APIStatusError):
        status = int(getattr(exc, "status_code", 0) or 0)
        body = getattr(exc, "body", None)
        text = _body_message(body) or str(getattr(exc, "message", "")) or type(exc).__name__
        overloaded = "overloaded" in text.lower()
        retryable = status in RETRYABLE_STATUS or status >= 500 or status < 400 or overloaded
        headers = getattr(getattr(exc, "response", None), "headers", None)
        retry_after = parse_retry_after(headers) if retryable else None
        where = f"HTTP {status}" if status >= 400 else "error in stream"
        return err(f"{where}: {text}"[:500], retryable=retryable, status=status if status >= 400 else None,
                   retry_after=retry_after)
    if isinstance(exc, getattr(sdk, "APIResponseValidationError", ())) or isinstance(exc, ValueError):
        return err(f"malformed response ({type(exc).__name__})", retryable=True)
    if isinstance(exc, sdk.APIError):
        # an error event inside a 200 stream: the server failed mid-answer
        text = _body_message(getattr(exc, "body", None)) or str(getattr(exc, "message", "")) or "error event"
        return err(f"error in stream: {text}"[:500], retryable=True)
    mod = type(exc).__module__ or ""
    if mod.startswith(("httpx", "httpcore", "h11", "anyio")) or isinstance(exc, (ConnectionError, OSError)):
        timeout = "Timeout" in type(exc).__name__
        return err(f"{'timeout' if timeout else 'transport error'} ({type(exc).__name__})", retryable=True)
    return None


async def generate_mapped(backend: Any, request: Any, sdk: Any, log: Any) -> Any:
    """One SDK call (plain or streamed) under the total deadline, errors mapped to BackendError.

    The BackendError is raised outside the ``except`` block, so its traceback does not
    carry the SDK exception (and with it the request headers)."""
    t0 = time.monotonic()
    log.debug("%s request model=%s stream=%s custom_id=%s", backend.name, backend.model, backend.stream,
              request.custom_id)
    error = None
    try:
        coro = backend._stream(request) if backend.stream else backend._plain(request)
        completion = await asyncio.wait_for(coro, timeout=backend.timeouts.total)
    except Exception as e:  # noqa: BLE001 - mapped below, outside the except block
        error = map_exception(e, sdk, backend.name, backend._secret)
        if error is None:
            raise
    if error is not None:
        log.debug("%s error: %s", backend.name, error)
        raise error
    completion.latency_s = time.monotonic() - t0
    return completion


def aiohttp_client(sdk: Any) -> Any:
    """The SDK's aiohttp transport when ``httpx-aiohttp`` is installed (several times less client
    CPU per request than the default pool at high concurrency; see BENCHMARKS.md), else None
    (the SDK's default client)."""
    try:
        import httpx_aiohttp  # noqa: F401
    except ImportError:
        return None
    return sdk.DefaultAioHttpClient()


class SDKBackend:
    """What the openai and anthropic backends share: the key from the environment, timeouts, the
    SDK's client with its own retries off (the engine retries), a secret-free repr/describe, and
    one ``generate`` that maps SDK errors. A subclass names its SDK module (``sdk``), the client
    class (``sdk_client``) and implements ``_plain`` / ``_stream``."""

    sdk: Any = None
    sdk_client = ""
    require_key = False

    def __init__(self, model: str = "", **options: Any):
        opts = {"require_key": True, **options} if self.require_key else options
        key, env = resolve_key(opts, self.needs_key, self.name)
        super().__init__(model=model, **{k: v for k, v in options.items() if k != "api_key"})
        self.needs_key = env
        self.base_url = options.get("base_url")
        self.stream = bool(options.get("stream", False))
        self.timeouts = Timeouts.from_options(options)
        self._secret = key
        self._sdk_client: Any = None
        # the SDK-free path for plain (non-streamed) requests, where a subclass has one; the SDK
        # client is then built on first use (batch endpoints), not for every run
        self._hot = None if self.stream or options.get("transport", "aiohttp") == "sdk" else self._hot_path()
        if self._hot is None:
            self._client  # noqa: B018 - built now

    @property
    def _client(self) -> Any:
        """The SDK's client (its own retries off; the engine retries)."""
        if self._sdk_client is None:
            sdk = self.sdk
            self._sdk_client = getattr(sdk, self.sdk_client)(api_key=self._secret, base_url=self.base_url,
                                                             max_retries=0, http_client=aiohttp_client(sdk),
                                                             timeout=self.timeouts.sdk(sdk.Timeout))
        return self._sdk_client

    def __repr__(self) -> str:
        return (f"{type(self).__name__}(model={self.model!r}, base_url={safe_url(self.base_url)!r}, "
                f"stream={self.stream})")

    def describe(self) -> dict[str, Any]:
        return {"backend": self.name, "model": self.model, "base_url": safe_url(self.base_url),
                "api_key_env": self.needs_key, "stream": self.stream,
                "transport": "sdk" if self._hot is None else "aiohttp",
                "timeouts": {"connect": self.timeouts.connect, "read": self.timeouts.read,
                             "total": self.timeouts.total}}

    async def _call(self, coro: Any) -> Any:
        """Await one SDK call (batch endpoints) under the total deadline, errors mapped."""
        error = None
        try:
            return await asyncio.wait_for(coro, timeout=self.timeouts.total)
        except Exception as e:  # noqa: BLE001 - mapped below, outside the except block
            error = map_exception(e, self.sdk, self.name, self._secret)
            if error is None:
                raise
        raise error

    def _hot_path(self) -> Any:
        """An object with ``async generate(body) -> Completion`` and ``aclose()`` that answers plain
        requests without the SDK (see :mod:`docgen.backends.openai_http`), or None: use the SDK."""
        return None

    def _hot_body(self, request: Any) -> dict[str, Any]:
        """The request body the hot path sends (a subclass with a hot path says how)."""
        raise NotImplementedError

    async def generate(self, request: Any) -> Any:
        hot = self._hot
        if hot is not None:
            return await hot.generate(self._hot_body(request))
        import logging

        return await generate_mapped(self, request, self.sdk, logging.getLogger(f"docgen.backends.{self.name}"))

    async def aclose(self) -> None:
        if self._hot is not None:
            await self._hot.aclose()
        if self._sdk_client is not None:
            await self._sdk_client.close()
