"""The SDK-free hot path for OpenAI-compatible Chat Completions (non-streamed).

One pooled ``aiohttp`` session (HTTP/1.1 keep-alive, connections reused
across requests) posts a ``json.dumps`` body to ``{base_url}/chat/completions``
and reads the answer with one ``json.loads``. It exists because the official
SDK's per-request work (a recursive transform of the body against its
TypedDicts, pydantic models for the response, httpx's pool walk) costs several
times more client CPU than the request itself: on the loopback benchmark the
SDK caps a client at about Curator's rate, the bare aiohttp loop at 8-20x that
(BENCHMARKS.md, "Generation engine").

    http = ChatCompletionsHTTP("http://127.0.0.1:8080/v1", key="no-key")
    completion = await http.generate({"model": "m", "messages": [...], "max_tokens": 64})
    await http.aclose()

It keeps the SDK path's contract exactly (:mod:`docgen.backends._http`):

- failures raise :class:`~docgen.backends.base.BackendError`, raised outside
  any ``except`` block and scrubbed of the key; retryable are 408/409/429/5xx/
  529, an "overloaded" body, connection errors, timeouts (connect, idle read,
  total deadline) and a body cut mid-JSON; 400/401/403/404/413/422 are not;
  ``retry_after`` comes from ``retry-after-ms`` / ``retry-after`` / the
  rate-limit reset headers (:func:`~docgen.backends._http.parse_retry_after`);
- ``finish_reason`` is mapped as the SDK path maps it (a refusal, a missing
  finish reason or no choices is never a document);
- the same headers an SDK client sends for auth: ``Authorization: Bearer``,
  plus ``OpenAI-Organization`` / ``OpenAI-Project`` when ``OPENAI_ORG_ID`` /
  ``OPENAI_PROJECT_ID`` are set.

Streaming, the Batch API and Files stay on the SDK (:mod:`docgen.backends.openai_backend`).
"""

from __future__ import annotations

import asyncio
import json
import os
import time
from typing import Any

from ._http import RETRYABLE_STATUS, Timeouts, _body_message, parse_retry_after, safe_url, scrub
from .base import BackendError, Completion

__all__ = ["ChatCompletionsHTTP", "completion_from_json", "available"]

DEFAULT_BASE_URL = "https://api.openai.com/v1"
_FINISH = {"stop": "stop", "length": "length", "content_filter": "content_filter"}


def available() -> bool:
    """Whether aiohttp is importable (it comes with the ``openai`` extra, ``openai[aiohttp]``)."""
    try:
        import aiohttp  # noqa: F401
    except ImportError:
        return False
    return True


def _finish(reason: Any, refusal: Any) -> str:
    if refusal:
        return "refusal"
    if reason is None:
        return "incomplete"
    return _FINISH.get(reason, "incomplete")        # tool_calls/function_call: not a document either


def completion_from_json(obj: Any, model: str) -> Completion:
    """A Completion from a chat.completion object (a dict); raises ValueError if it is not one."""
    if not isinstance(obj, dict):
        raise ValueError("response is not a JSON object")
    choices = obj.get("choices")
    rid = obj.get("id") or ""
    if not choices:
        return Completion(text="", finish_reason="incomplete", model=obj.get("model") or model,
                          raw={"id": rid, "finish_reason": None})
    choice = choices[0]
    if not isinstance(choice, dict):
        raise ValueError("choices[0] is not an object")
    msg = choice.get("message") or {}
    refusal = msg.get("refusal")
    usage = obj.get("usage") or {}
    reason = choice.get("finish_reason")
    raw: dict[str, Any] = {"id": rid, "finish_reason": reason}
    if refusal:
        raw["refusal"] = refusal
    return Completion(text=msg.get("content") or "", finish_reason=_finish(reason, refusal),
                      input_tokens=usage.get("prompt_tokens") or 0, output_tokens=usage.get("completion_tokens") or 0,
                      model=obj.get("model") or model, raw=raw)


class ChatCompletionsHTTP:
    """``POST {base_url}/chat/completions`` over one pooled aiohttp session.

    The session is made on first use inside the running event loop (and again if a
    later call runs in another loop: the old one cannot be closed without its loop, and
    aiohttp warns about it when it is collected; call ``aclose`` before the loop ends). ``max_connections`` 0 leaves the pool unbounded:
    the engine's limiter already bounds requests in flight, and a pool smaller than
    that would queue requests behind it.
    """

    def __init__(self, base_url: str | None, key: str, *, timeouts: Timeouts | None = None, provider: str = "openai",
                 max_connections: int = 0, headers: dict[str, str] | None = None):
        base = (base_url or os.environ.get("OPENAI_BASE_URL") or DEFAULT_BASE_URL).rstrip("/")
        self.url = base + "/chat/completions"
        self.provider = provider
        self.timeouts = timeouts or Timeouts()
        self.max_connections = int(max_connections)
        self._secret = key
        h = {"Content-Type": "application/json", "Accept": "application/json", "User-Agent": "docgen"}
        if key and key != "no-key":
            h["Authorization"] = f"Bearer {key}"
        for env, name in (("OPENAI_ORG_ID", "OpenAI-Organization"), ("OPENAI_PROJECT_ID", "OpenAI-Project")):
            if os.environ.get(env):
                h[name] = os.environ[env]
        h.update(headers or {})
        self._headers = h
        self._session: Any = None
        self._proxy: str | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def __repr__(self) -> str:       # never the headers: they hold the key
        return f"ChatCompletionsHTTP(url={safe_url(self.url)!r})"

    # -- session ------------------------------------------------------------------------------
    def _make_session(self) -> Any:
        import aiohttp

        t = self.timeouts
        ssl_ctx: Any = None
        if self.url.startswith("https:"):
            import ssl

            try:
                import certifi        # the CA bundle the SDK (httpx) uses, so both paths trust the same roots

                ssl_ctx = ssl.create_default_context(cafile=certifi.where())
            except ImportError:
                ssl_ctx = ssl.create_default_context()
        conn = aiohttp.TCPConnector(limit=self.max_connections, limit_per_host=0, ttl_dns_cache=300,
                                    ssl=ssl_ctx if ssl_ctx is not None else True)
        # total: the whole request; sock_connect: the TCP/TLS connect; sock_read: the wait for the
        # first byte and between bytes (a stall after the headers ends here, not at `total`)
        timeout = aiohttp.ClientTimeout(total=t.total, sock_connect=t.connect, sock_read=t.read)
        # trust_env would look the proxy and ~/.netrc up in a worker thread on every request (two
        # thread hops each); the proxy is looked up once here instead, and the key is in the headers
        self._proxy = _env_proxy(self.url)
        return aiohttp.ClientSession(connector=conn, timeout=timeout, headers=self._headers, trust_env=False,
                                     cookie_jar=aiohttp.DummyCookieJar(), raise_for_status=False)

    def _session_now(self) -> Any:
        loop = asyncio.get_running_loop()
        if self._session is None or self._loop is not loop or self._session.closed:
            self._session = self._make_session()
            self._loop = loop
        return self._session

    async def aclose(self) -> None:
        s, self._session = self._session, None
        if s is not None and not s.closed:
            try:
                await s.close()
            except RuntimeError:     # its loop is gone (a test that used several loops): nothing to close
                pass

    # -- one request ----------------------------------------------------------------------------
    def _error(self, msg: str, **kw: Any) -> BackendError:
        return BackendError(scrub(f"{self.provider}: {msg}", self._secret)[:500], **kw)

    async def generate(self, body: dict[str, Any]) -> Completion:
        """Send one chat completion request; a Completion or a BackendError (see the module docstring)."""
        import aiohttp

        t0 = time.monotonic()
        data = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        error: BackendError | None = None
        status, payload, headers = 0, b"", None
        try:
            async with self._session_now().post(self.url, data=data, proxy=self._proxy) as resp:
                status, headers = resp.status, resp.headers
                payload = await resp.read()
        except (asyncio.TimeoutError, TimeoutError) as e:       # aiohttp's timeouts subclass TimeoutError
            error = self._error(f"request timed out ({_timeout_kind(e)})", retryable=True)
        except aiohttp.ClientPayloadError as e:
            error = self._error(f"response cut before its end ({type(e).__name__})", retryable=True)
        except (aiohttp.ClientError, OSError) as e:
            error = self._error(f"connection error ({type(e).__name__})", retryable=True)
        if error is not None:
            raise error
        if status >= 400 or status < 200:
            raise self._status_error(status, payload, headers)
        try:
            completion = completion_from_json(json.loads(payload), str(body.get("model") or ""))
        except (ValueError, TypeError, AttributeError) as e:   # cut mid-JSON, not JSON, not a completion
            error = self._error(f"malformed response ({type(e).__name__})", retryable=True)
        if error is not None:
            raise error
        completion.latency_s = time.monotonic() - t0
        return completion

    def _status_error(self, status: int, payload: bytes, headers: Any) -> BackendError:
        try:
            body: Any = json.loads(payload) if payload else None
        except ValueError:
            body = payload[:300].decode("utf-8", "replace")
        text = _body_message(body) or f"HTTP {status}"
        overloaded = "overloaded" in text.lower()
        retryable = status in RETRYABLE_STATUS or status >= 500 or overloaded
        retry_after = parse_retry_after(headers) if retryable else None
        return self._error(f"HTTP {status}: {text}", retryable=retryable, status=status, retry_after=retry_after)


def _env_proxy(url: str) -> str | None:
    """The proxy the environment (HTTPS_PROXY / HTTP_PROXY / ALL_PROXY, NO_PROXY) names for ``url``,
    as httpx and the SDK would use it; None for none."""
    import urllib.request
    from urllib.parse import urlsplit

    host = urlsplit(url).hostname or ""
    if urllib.request.proxy_bypass_environment(host):
        return None
    proxies = urllib.request.getproxies_environment()
    return proxies.get(urlsplit(url).scheme) or proxies.get("all") or None


def _timeout_kind(e: BaseException) -> str:
    name = type(e).__name__
    if "Connect" in name:
        return "connect"
    if "SocketTimeout" in name or "ServerTimeout" in name:
        return "read/idle"
    return "total deadline"
