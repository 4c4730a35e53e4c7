"""An SDK-free hot path for OpenAI-compatible Chat Completions: one pooled aiohttp session.

The official SDK spends most of a loopback request's client time in request
transformation and its connection pool's bookkeeping (BENCHMARKS.md). For plain
(non-streamed) chat completions against a server that speaks the API, this path
posts the same JSON body over an aiohttp session with HTTP/1.1 keep-alive and maps
failures exactly as :mod:`docgen.backends._http` does for the SDK::

    retryable      408 409 429 5xx 529, "overloaded" bodies, connection errors,
                   timeouts (connect, idle read, total), a body cut mid-JSON
    not retryable  every other 4xx

Chosen with the openai backend option ``transport: aiohttp`` (streaming and the
batch API stay on the SDK). The key is sent as a bearer header and never logged.
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

from ._http import RETRYABLE_STATUS, _body_message, parse_retry_after, scrub
from .base import BackendError, Completion


class AiohttpChat:
    def __init__(self, base_url: str, key: str, timeouts: Any, provider: str = "openai"):
        from urllib.parse import urlsplit, urlunsplit

        u = urlsplit(base_url)          # credentials in the URL are not sent: the key is the bearer header
        netloc = (f"[{u.hostname}]" if ":" in (u.hostname or "") else (u.hostname or "")) + (f":{u.port}" if u.port else "")
        self.url = urlunsplit((u.scheme, netloc, u.path.rstrip("/") + "/chat/completions", u.query, ""))
        self.key = key
        self.timeouts = timeouts
        self.provider = provider
        self._session = None

    def _sess(self):
        if self._session is None:
            import aiohttp

            t = self.timeouts
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=0, keepalive_timeout=30),
                timeout=aiohttp.ClientTimeout(total=t.total, connect=t.connect, sock_read=t.read),
                headers={"Authorization": f"Bearer {self.key}", "Content-Type": "application/json"})
        return self._session

    def _err(self, msg: str, **kw: Any) -> BackendError:
        return BackendError(scrub(f"{self.provider}: {msg}", self.key)[:500], **kw)

    async def post(self, body: dict[str, Any]) -> tuple[dict[str, Any], float]:
        """The parsed JSON answer and its latency; BackendError for every failure."""
        import aiohttp

        t0 = time.monotonic()
        error: BackendError | None = None
        try:
            async with self._sess().post(self.url, data=json.dumps(body)) as resp:
                raw = await resp.read()
                status, headers = resp.status, resp.headers
        except (asyncio.TimeoutError, TimeoutError):
            error = self._err("request timed out (connect, read/idle or total)", retryable=True)
        except aiohttp.ClientPayloadError:
            error = self._err("malformed response (body cut off)", retryable=True)
        except (aiohttp.ClientError, OSError) as e:
            error = self._err(f"connection error ({type(e).__name__})", retryable=True)
        if error is not None:
            raise error
        try:
            data = json.loads(raw) if raw else None
        except ValueError:
            data = None
        if status >= 400:
            text = _body_message(data) or raw[:200].decode("utf-8", "replace")
            retryable = status in RETRYABLE_STATUS or status >= 500 or "overloaded" in text.lower()
            raise self._err(f"HTTP {status}: {text}", retryable=retryable, status=status,
                            retry_after=parse_retry_after(dict(headers)) if retryable else None)
        if not isinstance(data, dict):
            raise self._err("malformed response (not a JSON object)", retryable=True)
        return data, time.monotonic() - t0

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None


def completion_from(data: dict[str, Any], model: str, map_finish) -> Completion:
    choices = data.get("choices") or []
    if not choices:
        return Completion(text="", finish_reason="incomplete", model=data.get("model") or model,
                          raw={"id": data.get("id", ""), "finish_reason": None})
    c0 = choices[0]
    msg = c0.get("message") or {}
    usage = data.get("usage") or {}
    refusal = msg.get("refusal")
    return Completion(text=msg.get("content") or "", finish_reason=map_finish(c0.get("finish_reason"), refusal),
                      input_tokens=usage.get("prompt_tokens") or 0, output_tokens=usage.get("completion_tokens") or 0,
                      model=data.get("model") or model,
                      raw={"id": data.get("id", ""), "finish_reason": c0.get("finish_reason"),
                           **({"refusal": refusal} if refusal else {})})
