"""A small asyncio OpenAI-compatible server on 127.0.0.1, for throughput benchmarks.

    python benchmarks/loopback_server.py [--port 0] [--latency 0.0] [--max-seconds 600]

It prints ``PORT <n>`` on its first stdout line once it listens, then answers:

- ``POST /v1/chat/completions`` (or ``/chat/completions``): a fixed small
  completion (``finish_reason: stop``, usage filled in), after ``--latency``
  seconds (0: at once). The text carries the request number, so documents
  built from it differ.
- ``GET /_stats``: requests answered, first-request and last-response times
  (``time.monotonic()`` of this process, so only differences mean anything),
  the most connections and requests in flight at once.
- ``POST /_reset``: zero the counters (a client calls it after its warm-up).
- anything else: 404.

It is a raw HTTP/1.1 server on ``asyncio.Protocol`` (keep-alive, Content-Length
bodies, no chunked uploads, no TLS) so that the server costs the client under
test as little CPU as possible. It binds 127.0.0.1 only and stops by itself
after ``--max-seconds``, after ``--max-requests``, or when its stdin closes
(the benchmark holds the other end, so a crashed benchmark leaves no server).
This is a stand-in for a real inference server: it measures the client, not
a model.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time

_REASONS = {200: "OK", 400: "Bad Request", 404: "Not Found", 411: "Length Required"}


class Stats:
    def __init__(self) -> None:
        self.reset()
        self.connections = 0
        self.max_connections = 0

    def reset(self) -> None:
        self.requests = 0
        self.first = None
        self.last = None
        self.in_flight = 0
        self.max_in_flight = 0

    def to_dict(self) -> dict:
        return {"requests": self.requests, "first": self.first, "last": self.last,
                "window_s": (self.last - self.first) if self.first is not None and self.last is not None else None,
                "max_in_flight": self.max_in_flight, "max_connections": self.max_connections}


def _response(status: int, body: bytes, keep_alive: bool) -> bytes:
    head = (f"HTTP/1.1 {status} {_REASONS.get(status, 'OK')}\r\n"
            f"content-type: application/json\r\ncontent-length: {len(body)}\r\n"
            f"connection: {'keep-alive' if keep_alive else 'close'}\r\n\r\n")
    return head.encode("latin-1") + body


class Handler(asyncio.Protocol):
    def __init__(self, server: "LoopbackServer"):
        self.srv = server
        self.buf = b""
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport) -> None:
        self.transport = transport
        st = self.srv.stats
        st.connections += 1
        st.max_connections = max(st.max_connections, st.connections)

    def connection_lost(self, exc) -> None:
        self.srv.stats.connections -= 1
        self.transport = None

    def data_received(self, data: bytes) -> None:
        self.buf += data
        while True:
            end = self.buf.find(b"\r\n\r\n")
            if end < 0:
                if len(self.buf) > 65536:
                    self._send(_response(400, b'{"error":"header too large"}', False), close=True)
                return
            head = self.buf[:end].decode("latin-1")
            lines = head.split("\r\n")
            parts = lines[0].split(" ")
            if len(parts) < 3:
                self._send(_response(400, b'{"error":"bad request line"}', False), close=True)
                return
            method, path = parts[0], parts[1]
            headers = {}
            for line in lines[1:]:
                k, _, v = line.partition(":")
                headers[k.strip().lower()] = v.strip()
            if "chunked" in headers.get("transfer-encoding", "").lower():
                self._send(_response(411, b'{"error":"send a content-length"}', False), close=True)
                return
            n = int(headers.get("content-length") or 0)
            if len(self.buf) < end + 4 + n:
                return                      # wait for the rest of the body
            body = self.buf[end + 4:end + 4 + n]
            self.buf = self.buf[end + 4 + n:]
            keep = headers.get("connection", "").lower() != "close"
            self.srv.handle(self, method, path.split("?", 1)[0], body, keep)

    def _send(self, data: bytes, close: bool = False) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(data)
            if close:
                self.transport.close()


class LoopbackServer:
    def __init__(self, latency: float = 0.0, max_requests: int = 10_000_000, text_words: int = 40):
        self.latency = latency
        self.max_requests = max_requests
        self.stats = Stats()
        self.total = 0
        self.done = asyncio.Event()
        filler = " ".join(["The assistant explains its reasoning because it values honesty."] * max(1, text_words // 9))
        self._text = "Document {n}. " + filler
        self._created = int(time.time())

    def completion(self) -> bytes:
        n = self.total
        return json.dumps({
            "id": f"chatcmpl-loop{n}", "object": "chat.completion", "created": self._created,
            "model": "loopback-model",
            "choices": [{"index": 0, "finish_reason": "stop", "logprobs": None,
                         "message": {"role": "assistant", "content": self._text.format(n=n)}}],
            "usage": {"prompt_tokens": 100, "completion_tokens": 60, "total_tokens": 160},
        }, separators=(",", ":")).encode()

    def handle(self, h: Handler, method: str, path: str, body: bytes, keep: bool) -> None:
        if method == "POST" and path.endswith("/chat/completions"):
            st = self.stats
            now = time.monotonic()
            if st.first is None:
                st.first = now
            st.in_flight += 1
            st.max_in_flight = max(st.max_in_flight, st.in_flight)
            self.total += 1
            data = _response(200, self.completion(), keep)
            if self.latency > 0:
                asyncio.get_running_loop().call_later(self.latency, self._finish, h, data, keep)
            else:
                self._finish(h, data, keep)
            if self.total >= self.max_requests:
                self.done.set()
        elif method == "GET" and path == "/_stats":
            h._send(_response(200, json.dumps(self.stats.to_dict()).encode(), keep), close=not keep)
        elif method == "POST" and path == "/_reset":
            self.stats.reset()
            h._send(_response(200, b'{"ok":true}', keep), close=not keep)
        else:
            h._send(_response(404, b'{"error":{"message":"not found","type":"not_found"}}', keep), close=not keep)

    def _finish(self, h: Handler, data: bytes, keep: bool) -> None:
        st = self.stats
        st.in_flight = max(0, st.in_flight - 1)
        st.requests += 1
        st.last = time.monotonic()
        h._send(data, close=not keep)


async def serve(port: int, latency: float, max_seconds: float, max_requests: int) -> None:
    loop = asyncio.get_running_loop()
    srv = LoopbackServer(latency=latency, max_requests=max_requests)
    server = await loop.create_server(lambda: Handler(srv), host="127.0.0.1", port=port, backlog=2048,
                                      reuse_address=True)
    sys.stdout.write(f"PORT {server.sockets[0].getsockname()[1]}\n")
    sys.stdout.flush()

    def stdin_closed() -> None:
        if not os.read(sys.stdin.fileno(), 4096):   # EOF: whoever started us is gone
            srv.done.set()
            loop.remove_reader(sys.stdin.fileno())

    try:
        loop.add_reader(sys.stdin.fileno(), stdin_closed)
    except (ValueError, OSError, NotImplementedError):   # stdin is not pollable (a file, a tty on some OSes)
        pass
    try:
        await asyncio.wait_for(srv.done.wait(), timeout=max_seconds)
    except asyncio.TimeoutError:
        pass
    server.close()
    await asyncio.sleep(0.05)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--port", type=int, default=0, help="0: any free port (printed as PORT <n>)")
    ap.add_argument("--latency", type=float, default=0.0, help="seconds before each completion is sent")
    ap.add_argument("--max-seconds", type=float, default=600.0, help="stop after this long whatever happens")
    ap.add_argument("--max-requests", type=int, default=10_000_000, help="stop after answering this many completions")
    a = ap.parse_args(argv)
    asyncio.run(serve(a.port, a.latency, a.max_seconds, a.max_requests))
    return 0


if __name__ == "__main__":
    sys.exit(main())
