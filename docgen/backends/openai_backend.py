"""The ``openai`` backend: Chat Completions through the official SDK, at any ``base_url``.

Works with OpenAI itself and with OpenAI-compatible servers: vLLM's server,
llama.cpp's server (``python -m llama_cpp.server``), Ollama. Options::

    base_url          server root, e.g. http://127.0.0.1:8080/v1 (default: OpenAI)
    api_key_env       the variable holding the key (default OPENAI_API_KEY); a loopback
                      base_url needs none, ``require_key: false`` allows none elsewhere
    stream            true: use SSE; a stream that ends without a finish reason is
                      returned with finish_reason "incomplete" (never a document)
    connect_timeout, read_timeout (first byte and idle stream), write_timeout, total_timeout
    max_tokens_param  "max_tokens" (default) or "max_completion_tokens" (newer OpenAI models)
    repeat_penalty_param  send GenerationParams.repeat_penalty under this name (llama.cpp:
                      "repeat_penalty", vLLM: "repetition_penalty"); OpenAI has none, so off
    send_seed         send params.seed + the request's sample index (default true): distinct
                      items and attempts are distinct requests, even to a deterministic server
    include_usage     ask a stream for its usage (default true)
    extra_body        a dict merged into every request body
    transport         "aiohttp" (default): plain requests skip the SDK (openai_http.py); "sdk"

The SDK's own retries are off (``max_retries=0``): retries, backoff and rate
limiting are :mod:`docgen.retry`'s job. Failures raise
:class:`~docgen.backends.base.BackendError` (see :mod:`docgen.backends._http`
for which are retryable). The API key lives only inside the SDK client; it is
never in ``options``, ``describe()``, ``repr()``, a log line or an error message.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from ..errors import MissingExtra
from ._http import SDKBackend, scrub
from .base import Backend, BackendError, Completion, Request

log = logging.getLogger("docgen.backends.openai")

try:
    import openai as _sdk
except ModuleNotFoundError as _e:  # pragma: no cover - depends on the environment
    if _e.name != "openai":
        raise
    raise MissingExtra("the openai backend", "openai") from None

_FINISH = {"stop": "stop", "length": "length", "content_filter": "content_filter"}


def map_finish_reason(reason: str | None, refusal: str | None = None) -> str:
    if refusal:
        return "refusal"
    if reason is None:
        return "incomplete"
    return _FINISH.get(reason, "incomplete")   # tool_calls/function_call: not a document either


class OpenAIBackend(SDKBackend, Backend):
    name = "openai"
    supports_streaming = True
    needs_key = "OPENAI_API_KEY"
    sdk = _sdk
    sdk_client = "AsyncOpenAI"

    def _body(self, request: Request) -> dict[str, Any]:
        p = request.params
        body: dict[str, Any] = {"model": self.model, "messages": request.messages,
                                "temperature": p.temperature, "top_p": p.top_p}
        body[self.options.get("max_tokens_param", "max_tokens")] = p.max_tokens
        if p.stop:
            body["stop"] = list(p.stop)
        if self.options.get("send_seed", True):
            body["seed"] = p.seed + request.sample_index
        extra = dict(self.options.get("extra_body") or {})
        if self.options.get("repeat_penalty_param"):
            extra[self.options["repeat_penalty_param"]] = p.repeat_penalty
        if extra:
            body["extra_body"] = extra
        return body

    async def _plain(self, request: Request) -> Completion:
        resp = await self._client.chat.completions.create(**self._body(request))
        if not resp.choices:
            return Completion(text="", finish_reason="incomplete", model=resp.model or self.model,
                              raw={"id": resp.id, "finish_reason": None})
        choice = resp.choices[0]
        msg = choice.message
        refusal = getattr(msg, "refusal", None)
        usage = resp.usage
        return Completion(
            text=msg.content or "",
            finish_reason=map_finish_reason(choice.finish_reason, refusal),
            input_tokens=getattr(usage, "prompt_tokens", 0) or 0,
            output_tokens=getattr(usage, "completion_tokens", 0) or 0,
            model=resp.model or self.model,
            raw={"id": resp.id, "finish_reason": choice.finish_reason,
                 **({"refusal": refusal} if refusal else {})},
        )

    async def _stream(self, request: Request) -> Completion:
        body = self._body(request)
        body["stream"] = True
        if self.options.get("include_usage", True):
            body["stream_options"] = {"include_usage": True}
        parts: list[str] = []
        refusal: list[str] = []
        finish: str | None = None
        model, rid, n_in, n_out = self.model, "", 0, 0
        stream = await self._client.chat.completions.create(**body)
        try:
            async for chunk in stream:
                rid = chunk.id or rid
                model = chunk.model or model
                if chunk.usage is not None:
                    n_in = chunk.usage.prompt_tokens or 0
                    n_out = chunk.usage.completion_tokens or 0
                for choice in chunk.choices or []:
                    if choice.index != 0:
                        continue
                    d = choice.delta
                    if d is not None and d.content:
                        parts.append(d.content)
                    if d is not None and getattr(d, "refusal", None):
                        refusal.append(d.refusal)
                    if choice.finish_reason is not None:
                        finish = choice.finish_reason
        finally:
            await stream.close()
        text = "".join(parts)
        reason = map_finish_reason(finish, "".join(refusal) or None)
        if finish is None:
            log.debug("openai stream ended without a finish reason after %d chars", len(text))
        return Completion(text=text, finish_reason=reason, input_tokens=n_in, output_tokens=n_out, model=model,
                          raw={"id": rid, "finish_reason": finish, "stream": True,
                               **({"refusal": "".join(refusal)} if refusal else {})})

    def _hot_path(self):       # plain requests skip the SDK (docgen/backends/openai_http.py)
        from . import openai_http

        return openai_http.ChatCompletionsHTTP(self.base_url, self._secret, timeouts=self.timeouts) \
            if openai_http.available() else None

    def _hot_body(self, request: Request) -> dict[str, Any]:
        return self.batch_line("", request)["body"]

    # -- OpenAI Batch API ---------------------------------------------------------------------
    # Used by docgen.batch, which owns chunking, the intent journal and resubmission.
    supports_batch = True
    batch_max_requests = 50_000
    batch_max_bytes = 190 * 1024 * 1024          # the API's limit is 200 MB per input file

    def batch_line(self, custom_id: str, request: Request) -> dict[str, Any]:
        body = self._body(request)
        body.update(body.pop("extra_body", {}))
        return {"custom_id": custom_id, "method": "POST", "url": "/v1/chat/completions", "body": body}

    async def batch_submit(self, items: list[tuple[str, Request]], tag: str) -> str:
        """Upload the JSONL input and create one batch labelled ``metadata.docgen_chunk = tag``."""
        data = "".join(json.dumps(self.batch_line(cid, r), ensure_ascii=False) + "\n" for cid, r in items)
        f = await self._call(self._client.files.create(file=(f"docgen-{tag}.jsonl", data.encode(), "application/jsonl"),
                                                       purpose="batch"))
        b = await self._call(self._client.batches.create(input_file_id=f.id, endpoint="/v1/chat/completions",
                                                         completion_window="24h", metadata={"docgen_chunk": tag}))
        log.debug("openai batch %s created for chunk %s (%d requests)", b.id, tag, len(items))
        return b.id

    async def batch_find(self, tag: str, n_items: int, since: float, exclude: set[str] | frozenset = frozenset()) -> str | None:
        """The batch created for ``tag`` before a crash lost its id, found by its metadata label."""
        async def scan() -> str | None:
            async for b in self._client.batches.list(limit=100):
                if b.created_at and b.created_at < since - 3600:
                    return None
                if (b.metadata or {}).get("docgen_chunk") == tag and b.id not in exclude:
                    return b.id
            return None
        return await self._call(scan())

    async def batch_poll(self, remote_id: str) -> str:
        b = await self._call(self._client.batches.retrieve(remote_id))
        if b.status in ("completed", "expired", "cancelled"):
            return "ended"
        return "failed" if b.status == "failed" else "running"

    async def batch_results(self, remote_id: str) -> dict[str, Completion | BackendError]:
        b = await self._call(self._client.batches.retrieve(remote_id))
        out: dict[str, Completion | BackendError] = {}
        for fid in (b.error_file_id, b.output_file_id):       # output last: a success wins
            if not fid:
                continue
            content = await self._call(self._client.files.content(fid))
            for line in content.text.splitlines():
                if line.strip():
                    row = json.loads(line)
                    out[row["custom_id"]] = self._batch_row(row)
        return out

    def _batch_row(self, row: dict[str, Any]) -> Completion | BackendError:
        resp, err = row.get("response") or {}, row.get("error") or {}
        status = int(resp.get("status_code") or 0)
        if status == 200:
            body = resp.get("body") or {}
            choices = body.get("choices") or [{}]
            msg, usage = choices[0].get("message") or {}, body.get("usage") or {}
            return Completion(text=msg.get("content") or "",
                              finish_reason=map_finish_reason(choices[0].get("finish_reason"), msg.get("refusal")),
                              input_tokens=usage.get("prompt_tokens", 0) or 0,
                              output_tokens=usage.get("completion_tokens", 0) or 0,
                              model=body.get("model") or self.model,
                              raw={"id": body.get("id", ""), "batch": True,
                                   "finish_reason": choices[0].get("finish_reason")})
        detail = (resp.get("body") or {}).get("error") or err
        text = f"{detail.get('code') or detail.get('type') or ''}: {detail.get('message') or ''}"
        retryable = status == 0 or status in (408, 409, 429) or status >= 500 or "expired" in text
        return BackendError(scrub(f"openai batch item: HTTP {status or '-'} {text}", self._secret)[:400],
                            retryable=retryable, status=status or None)
