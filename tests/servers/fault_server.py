"""A loopback, fault-injecting stand-in for the OpenAI and Anthropic servers.

This is **not** a provider and not a model: it is a small test server on
127.0.0.1 that speaks just enough of the OpenAI Chat Completions API and the
Anthropic Messages API (JSON and server-sent events) to drive the official
``openai`` and ``anthropic`` SDKs. Tests use it for what real servers cannot
do on demand: a 429 storm with ``retry-after``, a 500 or 529, an "overloaded"
body, a stall after the headers, a body cut mid-JSON, an SSE stream cut before
its final event, a ``length``/``max_tokens`` finish, a refusal. Nothing it
returns says anything about how a real model behaves.

Every request is written to a ledger (route, body sha256, model, stream flag,
the fault applied, the status sent, how many requests were in flight when it
arrived), so a test can assert exactly how many requests were sent and that a
retry re-sent the same body.

    with FaultServer() as srv:
        srv.plan(Fault.error(429, retry_after=0.2), Fault.ok())
        ...  # point a backend at srv.openai_base_url or srv.anthropic_base_url
        assert [e.status for e in srv.ledger] == [429, 200]

Faults are consumed in order from the plan (the first one whose ``route``
matches); when the plan is empty, ``default`` (normally ``Fault.ok()``)
applies. ``latency_s`` adds a fixed delay to every response (0 = zero-latency
mode, for throughput measurements). The default completion echoes the last user
message (``echo_seed=True``: and the request's seed), so the server is deterministic:
identical requests get identical texts.
"""

from __future__ import annotations

import hashlib
import json
import socket
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

__all__ = ["Fault", "FaultServer", "LedgerEntry"]

KINDS = {
    "ok",          # a normal completion (finish "stop" / stop_reason "end_turn")
    "status",      # an error status with a provider-shaped error body and optional retry headers
    "stall",       # 200 + headers, then silence for stall_s before the body
    "truncate",    # 200, Content-Length of the full body, half the body, connection closed
    "truncate_eof",  # 200, no Content-Length, half the body, connection closed (clean EOF)
    "sse_cut",     # a stream that stops before its final event (no finish, no [DONE]/message_stop)
    "sse_drip",    # a stream that sends one small delta every drip_s, cut_after times, then finishes
    "length",      # finish_reason "length" / stop_reason "max_tokens"
    "refusal",     # OpenAI message.refusal / Anthropic stop_reason "refusal"
    "content_filter",  # OpenAI finish_reason "content_filter"
    "sse_error",   # a stream that sends an error event (overloaded) after cut_after deltas
    "echo_auth",   # 401 whose error message echoes the credential the client sent (a leaky server)
}


@dataclass
class Fault:
    """One scripted response. Build with the classmethods."""

    kind: str = "ok"
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: Any = None              # for "status": a dict/str body; None = provider-shaped default
    text: str | None = None       # completion text; None = an echo of the last user message
    delay_s: float = 0.0          # extra delay before responding (on top of the server latency)
    stall_s: float = 30.0         # for "stall"
    drip_s: float = 0.1           # for "sse_drip"
    cut_after: int = 2            # deltas sent before "sse_cut" cuts / "sse_drip" finishes
    route: str | None = None      # "openai" | "anthropic" | "batch" (batch endpoints) | None (any but batch)
    path: str | None = None       # only requests whose "METHOD /path" contains this
    lose_response: bool = False   # batch endpoints: do the work, then answer with the error anyway

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown fault kind {self.kind!r}; one of {sorted(KINDS)}")

    @classmethod
    def ok(cls, text: str | None = None, **kw: Any) -> "Fault":
        return cls("ok", text=text, **kw)

    @classmethod
    def error(cls, status: int, *, retry_after: float | None = None, retry_after_ms: float | None = None,
                headers: dict[str, str] | None = None, body: Any = None, **kw: Any) -> "Fault":
        h = dict(headers or {})
        if retry_after is not None:
            h["retry-after"] = f"{retry_after:g}"
        if retry_after_ms is not None:
            h["retry-after-ms"] = f"{retry_after_ms:g}"
        return cls("status", status=status, headers=h, body=body, **kw)

    @classmethod
    def overloaded(cls, status: int = 529, **kw: Any) -> "Fault":
        body = {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}
        return cls.error(status, body=body, **kw)

    @classmethod
    def stall(cls, stall_s: float = 30.0, **kw: Any) -> "Fault":
        return cls("stall", stall_s=stall_s, **kw)

    @classmethod
    def of(cls, kind: str, **kw: Any) -> "Fault":
        return cls(kind, **kw)


@dataclass
class LedgerEntry:
    index: int
    route: str
    path: str
    body_sha256: str
    model: str
    stream: bool
    fault: str
    status: int | None
    in_flight: int                # requests in flight when this one arrived, itself included
    t_received: float
    t_done: float | None = None
    auth_present: bool = False    # whether a credential header was sent (its value is never kept)
    body: dict[str, Any] = field(default_factory=dict, repr=False)


def _last_user_text(messages: list[dict[str, Any]]) -> str:
    for m in reversed(messages or []):
        if m.get("role") == "user":
            c = m.get("content")
            if isinstance(c, str):
                return c
            if isinstance(c, list):
                return " ".join(p.get("text", "") for p in c if isinstance(p, dict))
    return ""


def completion_object(route: str, body: dict[str, Any], kind: str, text: str) -> dict[str, Any]:
    """A provider-shaped, non-streamed completion for ``body`` (``kind``: ok/length/refusal/content_filter)."""
    n = sum(len(str(m.get("content", ""))) for m in body.get("messages", []))
    n_in, n_out = max(1, (n + len(str(body.get("system", "")))) // 4), max(1, len(text.split()))
    model = body.get("model", "")
    if route == "openai":
        finish = {"length": "length", "content_filter": "content_filter"}.get(kind, "stop")
        msg: dict[str, Any] = {"role": "assistant", "content": text, "refusal": None}
        if kind == "refusal":
            msg = {"role": "assistant", "content": None, "refusal": "I can't help with that."}
        return {"id": "chatcmpl-fault", "object": "chat.completion", "created": int(time.time()),
                "model": model, "choices": [{"index": 0, "message": msg, "finish_reason": finish,
                                             "logprobs": None}],
                "usage": {"prompt_tokens": n_in, "completion_tokens": n_out, "total_tokens": n_in + n_out}}
    stop = {"length": "max_tokens", "refusal": "refusal"}.get(kind, "end_turn")
    return {"id": "msg_fault", "type": "message", "role": "assistant", "model": model,
            "content": [{"type": "text", "text": text}], "stop_reason": stop, "stop_sequence": None,
            "usage": {"input_tokens": n_in, "output_tokens": n_out}}


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: "_Server"

    def log_message(self, format: str, *args: Any) -> None:  # silence the default stderr log
        return

    # -- plumbing -------------------------------------------------------------------------
    def _send_json(self, status: int, obj: Any, headers: dict[str, str] | None = None) -> bytes:
        data = (obj if isinstance(obj, str) else json.dumps(obj)).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)
        self.wfile.flush()
        return data

    def _sse_start(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Connection", "close")     # body ends when the connection closes
        self.end_headers()
        self.close_connection = True

    def _sse(self, data: Any, event: str | None = None) -> None:
        out = ""
        if event:
            out += f"event: {event}\n"
        out += "data: " + (data if isinstance(data, str) else json.dumps(data)) + "\n\n"
        self.wfile.write(out.encode())
        self.wfile.flush()

    def _hard_close(self) -> None:
        self.close_connection = True
        try:
            self.wfile.flush()
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    # -- request handling -----------------------------------------------------------------
    def do_POST(self) -> None:  # noqa: N802
        srv = self.server.owner
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        path = self.path.split("?")[0]
        if srv.batches.handles("POST", path):
            return self._batch("POST", path, raw)
        if path.endswith("/chat/completions"):
            route = "openai"
        elif path.endswith("/v1/messages") or path.endswith("/messages"):
            route = "anthropic"
        else:
            route = "unknown"
        try:
            body = json.loads(raw or b"{}")
        except ValueError:
            body = {}
        cred = self.headers.get("Authorization") or self.headers.get("x-api-key") or ""
        entry, fault = srv._arrive(route, path, raw, body, bool(cred))
        try:
            if route == "unknown":
                self._send_json(404, {"error": {"message": f"no route {path}"}})
                entry.status = 404
                return
            delay = srv.latency_s + fault.delay_s
            if delay > 0:
                srv._stop.wait(delay)
            entry.status = fault.status if fault.kind in ("status", "echo_auth") else 200
            if fault.kind == "echo_auth":
                entry.status = 401
                self._send_error_body(route, 401, {}, None, echo=cred)
            elif fault.kind == "status":
                self._send_error_body(route, fault.status, fault.headers, fault.body)
            elif body.get("stream"):
                self._stream(route, body, fault)
            else:
                self._plain(route, body, fault)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
        finally:
            srv._leave(entry)

    def do_GET(self) -> None:  # noqa: N802
        path = self.path.split("?")[0]
        if self.server.owner.batches.handles("GET", path):
            return self._batch("GET", path, b"")
        self._send_json(404, {"error": {"message": f"no route {path}"}})

    def _batch(self, method: str, path: str, raw: bytes) -> None:
        srv = self.server.owner
        cred = self.headers.get("Authorization") or self.headers.get("x-api-key") or ""
        route = "batch:" + ("anthropic" if "/messages/batches" in path else "openai")
        entry, fault = srv._arrive(route, f"{method} {path}", raw, {}, bool(cred))
        try:
            base = f"http://127.0.0.1:{srv.port}"
            if fault.kind == "status":
                if fault.lose_response:
                    srv.batches.handle(method, path, raw, self.headers.get("Content-Type", ""), base)
                entry.status = fault.status
                self._send_error_body(route[6:], fault.status, fault.headers, fault.body)
                return
            status, obj, ctype = srv.batches.handle(method, path, raw, self.headers.get("Content-Type", ""), base)
            entry.status = status
            if ctype == "application/json":
                self._send_json(status, obj)
            else:
                data = obj.encode()
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
                self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
        finally:
            srv._leave(entry)

    def _send_error_body(self, route: str, status: int, headers: dict[str, str], body: Any,
                         echo: str | None = None) -> None:
        if body is None:
            etype = {429: "rate_limit_error", 401: "authentication_error", 400: "invalid_request_error",
                     404: "not_found_error", 529: "overloaded_error"}.get(status, "api_error")
            msg = f"fault server: status {status}"
            if echo is not None:
                msg = f"Incorrect API key provided: {echo}"
            if route == "anthropic":
                body = {"type": "error", "error": {"type": etype, "message": msg}}
            else:
                body = {"error": {"message": msg, "type": etype, "param": None, "code": None}}
        self._send_json(status, body, headers)

    # -- completions ------------------------------------------------------------------------
    def _text(self, body: dict[str, Any], fault: Fault) -> str:
        if fault.text is not None:
            return fault.text
        echo = _last_user_text(body.get("messages", []))[:400]
        if self.server.owner.echo_seed:       # a deterministic server that honours the seed
            return f"echo (seed {body.get('seed')}): {echo}"
        return "echo: " + echo

    @staticmethod
    def _usage_in(body: dict[str, Any]) -> int:
        n = sum(len(str(m.get("content", ""))) for m in body.get("messages", []))
        return max(1, (n + len(str(body.get("system", "")))) // 4)

    def _plain(self, route: str, body: dict[str, Any], fault: Fault) -> None:
        obj = completion_object(route, body, fault.kind, self._text(body, fault))
        data = json.dumps(obj).encode()
        srv = self.server.owner
        if fault.kind == "stall":
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.flush()
            srv._stop.wait(fault.stall_s)
            self._hard_close()
            return
        if fault.kind in ("truncate", "truncate_eof"):
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            if fault.kind == "truncate":
                self.send_header("Content-Length", str(len(data)))
            else:
                self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(data[: len(data) // 2])
            self._hard_close()
            return
        self._send_json(200, data.decode())

    def _stream(self, route: str, body: dict[str, Any], fault: Fault) -> None:
        srv = self.server.owner
        text = self._text(body, fault)
        words = text.split(" ")
        pieces = [w + (" " if i < len(words) - 1 else "") for i, w in enumerate(words)]
        model = body.get("model", "")
        n_in, n_out = self._usage_in(body), max(1, len(words))
        self._sse_start()
        if fault.kind == "stall":
            srv._stop.wait(fault.stall_s)
            self._hard_close()
            return
        if fault.kind == "sse_drip":
            pieces = ["drip "] * fault.cut_after
        cut = fault.kind in ("sse_cut", "truncate", "truncate_eof", "sse_error")
        if cut:
            pieces = pieces[: fault.cut_after]
        if route == "openai":
            def chunk(delta: dict[str, Any], finish: str | None) -> dict[str, Any]:
                return {"id": "chatcmpl-fault", "object": "chat.completion.chunk", "created": int(time.time()),
                        "model": model, "choices": [{"index": 0, "delta": delta, "finish_reason": finish,
                                                     "logprobs": None}]}
            self._sse(chunk({"role": "assistant", "content": ""}, None))
            if fault.kind == "refusal":
                self._sse(chunk({"refusal": "I can't help with that."}, None))
                pieces = []
            for p in pieces:
                if fault.kind == "sse_drip":
                    srv._stop.wait(fault.drip_s)
                self._sse(chunk({"content": p}, None))
            if cut:
                if fault.kind == "sse_error":
                    self._sse({"error": {"message": "The server is overloaded", "type": "server_error"}})
                elif fault.kind != "sse_cut":
                    self.wfile.write(b'data: {"id":"chatcmpl-fault","choi')
                self._hard_close()
                return
            finish = {"length": "length", "content_filter": "content_filter"}.get(fault.kind, "stop")
            self._sse(chunk({}, finish))
            if (body.get("stream_options") or {}).get("include_usage"):
                self._sse({"id": "chatcmpl-fault", "object": "chat.completion.chunk", "created": int(time.time()),
                           "model": model, "choices": [],
                           "usage": {"prompt_tokens": n_in, "completion_tokens": n_out,
                                     "total_tokens": n_in + n_out}})
            self._sse("[DONE]")
        else:
            self._sse({"type": "message_start", "message": {
                "id": "msg_fault", "type": "message", "role": "assistant", "model": model, "content": [],
                "stop_reason": None, "stop_sequence": None,
                "usage": {"input_tokens": n_in, "output_tokens": 1}}}, "message_start")
            self._sse({"type": "content_block_start", "index": 0,
                       "content_block": {"type": "text", "text": ""}}, "content_block_start")
            self._sse({"type": "ping"}, "ping")
            for p in pieces:
                if fault.kind == "sse_drip":
                    srv._stop.wait(fault.drip_s)
                self._sse({"type": "content_block_delta", "index": 0,
                           "delta": {"type": "text_delta", "text": p}}, "content_block_delta")
            if cut:
                if fault.kind == "sse_error":
                    self._sse({"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}},
                              "error")
                elif fault.kind != "sse_cut":
                    self.wfile.write(b'event: content_block_delta\ndata: {"type":"content_blo')
                self._hard_close()
                return
            self._sse({"type": "content_block_stop", "index": 0}, "content_block_stop")
            stop = {"length": "max_tokens", "refusal": "refusal"}.get(fault.kind, "end_turn")
            self._sse({"type": "message_delta", "delta": {"stop_reason": stop, "stop_sequence": None},
                       "usage": {"output_tokens": n_out}}, "message_delta")
            self._sse({"type": "message_stop"}, "message_stop")
        self._hard_close()


class BatchState:
    """The batch side of the stand-in: OpenAI Files + Batch, Anthropic Message Batches.

    A batch is answered when it is created (each request as the plain endpoint would,
    with ``item_faults`` applied) and reports itself ended after ``polls_to_end``
    retrievals. ``item_faults`` maps a custom_id to a list of one-shot outcomes
    ("errored", "expired", "length", "refusal", "invalid"); each use pops one, so a
    resubmitted item succeeds. Results come back in reverse order, so a client that
    joins by position instead of custom_id gets them wrong.
    """

    def __init__(self) -> None:
        self.polls_to_end = 1
        self.item_faults: dict[str, list[str]] = {}
        self.files: dict[str, str] = {}
        self.openai: dict[str, dict[str, Any]] = {}      # id -> batch object (+ "_polls")
        self.anthropic: dict[str, dict[str, Any]] = {}
        self.created: list[tuple[str, str]] = []          # (provider, batch id), in creation order
        self.requests_of: dict[str, list[str]] = {}       # batch id -> the custom_ids it was sent
        self._results: dict[str, tuple[str, str | None]] = {}   # batch id -> (output jsonl, error jsonl)
        self._n = 0
        self._lock = threading.Lock()

    def handles(self, method: str, path: str) -> bool:
        return "/batches" in path or (path.rstrip("/").endswith("/files") and method == "POST") or \
            ("/files/" in path and method == "GET")

    def _id(self, prefix: str) -> str:
        self._n += 1
        return f"{prefix}{self._n:06d}"

    def _outcome(self, custom_id: str) -> str:
        q = self.item_faults.get(custom_id)
        return q.pop(0) if q else "ok"

    def handle(self, method: str, path: str, raw: bytes, ctype: str, base: str) -> tuple[int, Any, str]:
        with self._lock:
            parts = [p for p in path.split("/") if p]
            if parts[:2] == ["v1", "files"]:
                return self._files(method, parts, raw, ctype)
            if parts[:2] == ["v1", "batches"]:
                return self._openai(method, parts, raw)
            if parts[:3] == ["v1", "messages", "batches"]:
                return self._anthropic(method, parts, raw, base)
            return 404, {"error": {"message": f"no route {path}"}}, "application/json"

    # OpenAI ---------------------------------------------------------------------------------------
    def _files(self, method: str, parts: list[str], raw: bytes, ctype: str) -> tuple[int, Any, str]:
        if method == "POST":
            import email

            msg = email.message_from_bytes(b"Content-Type: " + ctype.encode() + b"\r\n\r\n" + raw)
            content = ""
            for part in msg.walk():
                if part.get_param("name", header="content-disposition") == "file":
                    content = part.get_payload(decode=True).decode()
            fid = self._id("file-")
            self.files[fid] = content
            return 200, {"id": fid, "object": "file", "bytes": len(content), "created_at": int(time.time()),
                         "filename": "batch.jsonl", "purpose": "batch", "status": "processed"}, "application/json"
        if len(parts) == 4 and parts[3] == "content" and parts[2] in self.files:
            return 200, self.files[parts[2]], "application/jsonl"
        return 404, {"error": {"message": "no such file"}}, "application/json"

    def _openai(self, method: str, parts: list[str], raw: bytes) -> tuple[int, Any, str]:
        if method == "POST" and len(parts) == 2:
            body = json.loads(raw)
            lines = [json.loads(x) for x in self.files.get(body["input_file_id"], "").splitlines() if x.strip()]
            out, err = [], []
            for ln in lines:
                outcome = self._outcome(ln["custom_id"])
                if outcome == "ok" or outcome in ("length", "refusal"):
                    obj = completion_object("openai", ln["body"], outcome,
                                            "echo: " + _last_user_text(ln["body"].get("messages", [])))
                    out.append({"id": self._id("batch_req_"), "custom_id": ln["custom_id"],
                                "response": {"status_code": 200, "request_id": "r", "body": obj}, "error": None})
                elif outcome == "invalid":
                    err.append({"id": self._id("batch_req_"), "custom_id": ln["custom_id"],
                                "response": {"status_code": 400, "request_id": "r", "body": {"error": {
                                    "message": "invalid request", "type": "invalid_request_error"}}},
                                "error": None})
                elif outcome == "expired":
                    err.append({"id": self._id("batch_req_"), "custom_id": ln["custom_id"], "response": None,
                                "error": {"code": "batch_expired", "message": "expired"}})
                else:
                    err.append({"id": self._id("batch_req_"), "custom_id": ln["custom_id"],
                                "response": {"status_code": 500, "request_id": "r", "body": {"error": {
                                    "message": "server error", "type": "server_error"}}}, "error": None})
            bid = self._id("batch_")
            out_id, err_id = self._id("file-"), (self._id("file-") if err else None)
            self.files[out_id] = "".join(json.dumps(x) + "\n" for x in reversed(out))
            if err_id:
                self.files[err_id] = "".join(json.dumps(x) + "\n" for x in reversed(err))
            self._results[bid] = (out_id, err_id)
            self.openai[bid] = {"id": bid, "object": "batch", "endpoint": body["endpoint"], "errors": None,
                                "input_file_id": body["input_file_id"], "completion_window": "24h",
                                "status": "validating", "output_file_id": None, "error_file_id": None,
                                "created_at": int(time.time()), "metadata": body.get("metadata"),
                                "request_counts": {"total": len(lines), "completed": 0, "failed": 0},
                                "_polls": 0, "_counts": (len(out), len(err))}
            self.created.append(("openai", bid))
            self.requests_of[bid] = [ln["custom_id"] for ln in lines]
            return 200, self._public(self.openai[bid]), "application/json"
        if method == "GET" and len(parts) == 2:
            data = [self._public(b) for b in sorted(self.openai.values(), key=lambda b: b["id"], reverse=True)]
            return 200, {"object": "list", "data": data, "first_id": data[0]["id"] if data else None,
                         "last_id": data[-1]["id"] if data else None, "has_more": False}, "application/json"
        if method == "GET" and len(parts) == 3 and parts[2] in self.openai:
            b = self.openai[parts[2]]
            b["_polls"] += 1
            if b["_polls"] >= self.polls_to_end and b["status"] != "completed":
                b["status"] = "completed"
                b["output_file_id"], b["error_file_id"] = self._results[b["id"]]
                ok, bad = b["_counts"]
                b["request_counts"] = {"total": ok + bad, "completed": ok, "failed": bad}
            else:
                b["status"] = "in_progress" if b["status"] != "completed" else "completed"
            return 200, self._public(b), "application/json"
        return 404, {"error": {"message": "no such batch"}}, "application/json"

    @staticmethod
    def _public(b: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in b.items() if not k.startswith("_")}

    # Anthropic ------------------------------------------------------------------------------------
    def _anthropic(self, method: str, parts: list[str], raw: bytes, base: str) -> tuple[int, Any, str]:
        now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        if method == "POST" and len(parts) == 3:
            reqs = json.loads(raw)["requests"]
            results, counts = [], {"processing": 0, "succeeded": 0, "errored": 0, "canceled": 0, "expired": 0}
            for r in reqs:
                outcome = self._outcome(r["custom_id"])
                if outcome in ("ok", "length", "refusal"):
                    msg = completion_object("anthropic", r["params"], outcome,
                                            "echo: " + _last_user_text(r["params"].get("messages", [])))
                    res = {"type": "succeeded", "message": msg}
                    counts["succeeded"] += 1
                elif outcome == "expired":
                    res = {"type": "expired"}
                    counts["expired"] += 1
                else:
                    etype = "invalid_request_error" if outcome == "invalid" else "api_error"
                    res = {"type": "errored", "error": {"type": "error", "error": {"type": etype,
                                                                                   "message": outcome}}}
                    counts["errored"] += 1
                results.append({"custom_id": r["custom_id"], "result": res})
            bid = self._id("msgbatch_")
            self._results[bid] = ("".join(json.dumps(x) + "\n" for x in reversed(results)), None)
            self.anthropic[bid] = {"id": bid, "type": "message_batch", "processing_status": "in_progress",
                                   "request_counts": {**{k: 0 for k in counts}, "processing": len(reqs)},
                                   "ended_at": None, "created_at": now, "expires_at": now,
                                   "cancel_initiated_at": None, "archived_at": None, "results_url": None,
                                   "_polls": 0, "_counts": counts}
            self.created.append(("anthropic", bid))
            self.requests_of[bid] = [r["custom_id"] for r in reqs]
            return 200, self._public(self.anthropic[bid]), "application/json"
        if method == "GET" and len(parts) == 3:
            data = [self._public(b) for b in sorted(self.anthropic.values(), key=lambda b: b["id"], reverse=True)]
            return 200, {"data": data, "has_more": False, "first_id": data[0]["id"] if data else None,
                         "last_id": data[-1]["id"] if data else None}, "application/json"
        if method == "GET" and len(parts) >= 4 and parts[3] in self.anthropic:
            b = self.anthropic[parts[3]]
            if len(parts) == 5 and parts[4] == "results":
                if b["processing_status"] != "ended":
                    return 404, {"type": "error", "error": {"type": "not_found_error",
                                                            "message": "not ended"}}, "application/json"
                return 200, self._results[b["id"]][0], "application/binary"
            b["_polls"] += 1
            if b["_polls"] >= self.polls_to_end and b["processing_status"] != "ended":
                b["processing_status"], b["ended_at"] = "ended", now
                b["request_counts"] = dict(b["_counts"])
                b["results_url"] = f"{base}/v1/messages/batches/{b['id']}/results"
            return 200, self._public(b), "application/json"
        return 404, {"type": "error", "error": {"type": "not_found_error", "message": "no batch"}}, \
            "application/json"


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 1024
    owner: "FaultServer"


class FaultServer:
    """The stand-in server. Use as a context manager; it listens on 127.0.0.1:<random port>."""

    def __init__(self, latency_s: float = 0.0, default: Fault | None = None, echo_seed: bool = False):
        self.latency_s = latency_s
        self.echo_seed = echo_seed     # the echo names the request's seed (a seeded, deterministic server)
        self.default = default or Fault.ok()
        self.ledger: list[LedgerEntry] = []
        self.max_in_flight = 0
        self._plan: list[Fault] = []
        self._in_flight = 0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self.batches = BatchState()
        self._httpd: _Server | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle ---------------------------------------------------------------------------
    def start(self) -> "FaultServer":
        self._httpd = _Server(("127.0.0.1", 0), _Handler)
        self._httpd.owner = self
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="fault-server", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    def __enter__(self) -> "FaultServer":
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    @property
    def port(self) -> int:
        assert self._httpd is not None, "server not started"
        return self._httpd.server_address[1]

    @property
    def openai_base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    @property
    def anthropic_base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # -- script and ledger -----------------------------------------------------------------
    def plan(self, *faults: Fault) -> "FaultServer":
        """Append faults to the plan; each is used by exactly one request."""
        with self._lock:
            self._plan.extend(faults)
        return self

    @property
    def pending(self) -> int:
        with self._lock:
            return len(self._plan)

    def statuses(self) -> list[int | None]:
        return [e.status for e in self.ledger]

    def _arrive(self, route: str, path: str, raw: bytes, body: dict[str, Any],
                auth: bool, use_plan: bool = True) -> tuple[LedgerEntry, Fault]:
        with self._lock:
            fault = self.default if not route.startswith("batch") else Fault.ok()
            for i, f in enumerate(self._plan if use_plan else []):
                # batch endpoints only take faults addressed to them (route="batch")
                if f.path is not None and f.path not in path:
                    continue
                if f.route == route or (f.route is None and not route.startswith("batch")) or \
                        (f.route == "batch" and route.startswith("batch")):
                    fault = self._plan.pop(i)
                    break
            self._in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self._in_flight)
            entry = LedgerEntry(index=len(self.ledger), route=route, path=path,
                                body_sha256=hashlib.sha256(raw).hexdigest(), model=str(body.get("model", "")),
                                stream=bool(body.get("stream")), fault=fault.kind, status=None,
                                in_flight=self._in_flight, t_received=time.monotonic(), auth_present=auth,
                                body=body)
            self.ledger.append(entry)
        return entry, fault

    def _leave(self, entry: LedgerEntry) -> None:
        with self._lock:
            self._in_flight -= 1
            entry.t_done = time.monotonic()


if __name__ == "__main__":  # manual use: python -m tests.servers.fault_server [latency_s]
    import sys

    with FaultServer(latency_s=float(sys.argv[1]) if len(sys.argv) > 1 else 0.0) as s:
        print(f"fault server (a stand-in, not a provider) on {s.openai_base_url} / {s.anthropic_base_url}",
              flush=True)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass
