"""The ``anthropic`` backend: the Messages API through the official SDK.

Options::

    base_url          default: Anthropic's API (tests point it at a loopback stand-in)
    api_key_env       the variable holding the key (default ANTHROPIC_API_KEY)
    stream            true: use SSE; a stream without ``message_stop``/stop_reason is
                      returned with finish_reason "incomplete" (never a document)
    connect_timeout, read_timeout (first byte and idle stream), write_timeout, total_timeout
    send_temperature  send params.temperature (default false: the current SDK and recent
                      Claude models take no sampling parameters; older models accept it)
    use_top_p         also send params.top_p (with send_temperature; some models accept
                      temperature *or* top_p, not both)
    extra_body        a dict merged into every request body

System messages are taken out of ``messages`` and sent as ``system``. Stop
reasons map to docgen's finish reasons: end_turn/stop_sequence → stop,
max_tokens/model_context_window_exceeded → length, refusal → refusal, anything
else → incomplete. The SDK's retries are off; see :mod:`docgen.retry`. The key
never appears in ``options``, ``describe()``, ``repr()``, logs or errors.
"""

from __future__ import annotations

import logging
from typing import Any

from ..errors import MissingExtra
from ._http import SDKBackend, scrub
from .base import Backend, BackendError, Completion, Request

log = logging.getLogger("docgen.backends.anthropic")

try:
    import anthropic as _sdk
except ModuleNotFoundError as _e:  # pragma: no cover - depends on the environment
    if _e.name != "anthropic":
        raise
    raise MissingExtra("the anthropic backend", "anthropic") from None

_STOP = {"end_turn": "stop", "stop_sequence": "stop", "max_tokens": "length",
         "model_context_window_exceeded": "length", "refusal": "refusal"}


def map_stop_reason(reason: str | None) -> str:
    return _STOP.get(reason or "", "incomplete")


def split_system(messages: list[dict[str, Any]]) -> tuple[str, list[dict[str, Any]]]:
    system = [str(m.get("content", "")) for m in messages if m.get("role") == "system"]
    rest = [{"role": m["role"], "content": m["content"]} for m in messages if m.get("role") != "system"]
    return "\n\n".join(system), rest


class AnthropicBackend(SDKBackend, Backend):
    name = "anthropic"
    supports_streaming = True
    needs_key = "ANTHROPIC_API_KEY"
    sdk = _sdk
    sdk_client = "AsyncAnthropic"
    require_key = True

    def _body(self, request: Request) -> dict[str, Any]:
        p = request.params
        system, messages = split_system(request.messages)
        body: dict[str, Any] = {"model": self.model, "messages": messages, "max_tokens": p.max_tokens}
        if system:
            body["system"] = system
        if p.stop:
            body["stop_sequences"] = list(p.stop)
        extra = dict(self.options.get("extra_body") or {})
        if self.options.get("send_temperature"):
            extra["temperature"] = p.temperature
            if self.options.get("use_top_p"):
                extra["top_p"] = p.top_p
        if extra:
            body["extra_body"] = extra
        return body

    async def _plain(self, request: Request) -> Completion:
        msg = await self._client.messages.create(**self._body(request))
        text = "".join(getattr(b, "text", "") for b in msg.content if getattr(b, "type", "") == "text")
        return Completion(text=text, finish_reason=map_stop_reason(msg.stop_reason),
                          input_tokens=msg.usage.input_tokens or 0, output_tokens=msg.usage.output_tokens or 0,
                          model=msg.model or self.model, raw={"id": msg.id, "stop_reason": msg.stop_reason})

    async def _stream(self, request: Request) -> Completion:
        parts: list[str] = []
        stop_reason: str | None = None
        stopped = False
        model, rid, n_in, n_out = self.model, "", 0, 0
        stream = await self._client.messages.create(**self._body(request), stream=True)
        try:
            async for ev in stream:
                t = ev.type
                if t == "message_start":
                    rid, model = ev.message.id, ev.message.model or model
                    n_in = ev.message.usage.input_tokens or 0
                    n_out = ev.message.usage.output_tokens or 0
                elif t == "content_block_delta" and getattr(ev.delta, "type", "") == "text_delta":
                    parts.append(ev.delta.text)
                elif t == "message_delta":
                    stop_reason = ev.delta.stop_reason or stop_reason
                    if ev.usage is not None and ev.usage.output_tokens is not None:
                        n_out = ev.usage.output_tokens
                elif t == "message_stop":
                    stopped = True
        finally:
            await stream.close()
        text = "".join(parts)
        reason = map_stop_reason(stop_reason) if stopped else "incomplete"
        if not stopped:
            log.debug("anthropic stream ended without message_stop after %d chars", len(text))
        return Completion(text=text, finish_reason=reason, input_tokens=n_in, output_tokens=n_out, model=model,
                          raw={"id": rid, "stop_reason": stop_reason, "stream": True})

    async def aclose(self) -> None:
        await self._client.close()

    # -- Message Batches API -------------------------------------------------------------------
    # Used by docgen.batch, which owns chunking, the intent journal and resubmission.
    supports_batch = True
    batch_max_requests = 100_000
    batch_max_bytes = 250 * 1024 * 1024           # the API's limit is 256 MB per batch

    def batch_params(self, request: Request) -> dict[str, Any]:
        body = self._body(request)
        body.update(body.pop("extra_body", {}))
        return body

    async def batch_submit(self, items: list[tuple[str, Request]], tag: str) -> str:
        reqs = [{"custom_id": cid, "params": self.batch_params(r)} for cid, r in items]
        b = await self._call(self._client.messages.batches.create(requests=reqs))
        log.debug("anthropic batch %s created for chunk %s (%d requests)", b.id, tag, len(items))
        return b.id

    async def batch_find(self, tag: str, n_items: int, since: float,
                         exclude: set[str] | frozenset = frozenset()) -> str | None:
        """The batch created before a crash lost its id.

        Message Batches carry no label, so this adopts the only batch created since the
        intent was journalled (minus a minute of clock skew) with exactly ``n_items``
        requests that no other chunk has claimed. docgen.batch checks the custom_ids of
        its results and resubmits if the adopted batch turns out to be someone else's.
        """
        async def scan() -> str | None:
            found: list[str] = []
            async for b in self._client.messages.batches.list(limit=100):
                created = b.created_at.timestamp() if b.created_at else 0.0
                if created < since - 60:
                    break
                c = b.request_counts
                total = c.processing + c.succeeded + c.errored + c.canceled + c.expired
                if total == n_items and b.id not in exclude:
                    found.append(b.id)
            return found[-1] if len(found) >= 1 else None     # the list is newest first: take the oldest
        return await self._call(scan())

    async def batch_poll(self, remote_id: str) -> str:
        b = await self._call(self._client.messages.batches.retrieve(remote_id))
        return "ended" if b.processing_status == "ended" else "running"

    async def batch_results(self, remote_id: str) -> dict[str, Completion | BackendError]:
        async def collect() -> dict[str, Completion | BackendError]:
            out: dict[str, Completion | BackendError] = {}
            async for row in await self._client.messages.batches.results(remote_id):
                out[row.custom_id] = self._batch_row(row.result)
            return out
        return await self._call(collect())

    def _batch_row(self, result: Any) -> Completion | BackendError:
        if result.type == "succeeded":
            m = result.message
            text = "".join(getattr(b, "text", "") for b in m.content if getattr(b, "type", "") == "text")
            return Completion(text=text, finish_reason=map_stop_reason(m.stop_reason),
                              input_tokens=m.usage.input_tokens or 0, output_tokens=m.usage.output_tokens or 0,
                              model=m.model or self.model, raw={"id": m.id, "stop_reason": m.stop_reason, "batch": True})
        if result.type == "errored":
            inner = getattr(getattr(result, "error", None), "error", None)
            etype = getattr(inner, "type", "") or "api_error"
            msg = getattr(inner, "message", "") or ""
            retryable = etype in ("api_error", "overloaded_error", "rate_limit_error", "timeout_error")
            return BackendError(scrub(f"anthropic batch item: {etype}: {msg}", self._secret)[:400],
                                retryable=retryable)
        return BackendError(f"anthropic batch item: {result.type}", retryable=True)   # expired / canceled
