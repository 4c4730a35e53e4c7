"""Batch what is waiting: the shared queue of the in-process engines (vllm, transformers).

Each ``generate`` call puts its request on a queue and awaits a future; one task per event
loop collects what arrives within ``window`` seconds (up to ``max_batch``), groups it by
:meth:`BatchingQueue.batch_key`, and runs each group with ``_run(requests)`` in a worker
thread, which returns one Completion or BackendError per request.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from .base import BackendError, Completion, Request


class BatchingQueue:
    window: float = 0.05
    max_batch: int = 64

    def _init_queue(self) -> None:
        self._queue: asyncio.Queue | None = None
        self._worker: asyncio.Task | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def batch_key(self, request: Request) -> Any:
        """Requests with the same key run in one batch (default: all together)."""
        return None

    def _run(self, requests: list[Request]) -> list[Completion | BackendError]:
        raise NotImplementedError

    async def generate(self, request: Request) -> Completion:
        loop = asyncio.get_running_loop()
        if self._loop is not loop:                    # first call, or a new asyncio.run()
            self._loop, self._queue = loop, asyncio.Queue()
            self._worker = loop.create_task(self._run_batches())
        fut: asyncio.Future = loop.create_future()
        t0 = time.monotonic()
        await self._queue.put((request, fut))
        completion = await fut
        completion.latency_s = time.monotonic() - t0
        return completion

    async def _run_batches(self) -> None:
        assert self._queue is not None
        while True:
            batch = [await self._queue.get()]
            await asyncio.sleep(self.window)
            while len(batch) < self.max_batch and not self._queue.empty():
                batch.append(self._queue.get_nowait())
            groups: dict[Any, list] = {}
            for r, f in batch:
                if not f.cancelled():
                    groups.setdefault(self.batch_key(r), []).append((r, f))
            for items in groups.values():
                results = await asyncio.to_thread(self._run, [r for r, _ in items])
                for (_, fut), res in zip(items, results):
                    if fut.done():
                        continue
                    if isinstance(res, BaseException):
                        fut.set_exception(res)
                    else:
                        fut.set_result(res)

    async def aclose(self) -> None:
        """Stop the batching task; a loaded model stays for the next run in this process."""
        if self._worker is not None:
            self._worker.cancel()
            self._worker = self._loop = self._queue = None
