"""Provider batch APIs (OpenAI Batch, Anthropic Message Batches) that survive a crash.

    journal = BatchJournal(RunDir(run_dir).batches_path)
    results = await run_batches(backend, requests, journal, poll_interval=60)
    # results: {custom_id: Completion | BackendError}, one entry per request

What it guarantees:

- **Intent first.** A chunk (its items and their request keys) is committed to
  sqlite *before* the remote batch is created; the remote id is committed right
  after. A crash between the two leaves an ``intent`` row: on the next run the
  backend's ``batch_find`` looks for the batch that was created (OpenAI: by the
  ``metadata.docgen_chunk`` label; Anthropic: the one unclaimed batch of the
  right size created since the intent) and adopts it; only when there is none
  is a batch created. So each chunk has exactly one remote batch after any
  crash, and a failed create (5xx, timeout: did it happen or not?) is retried the
  same way, find first.
- **Join by custom_id**, never by order (providers return results in any order).
- **Resubmit only what failed retryably** (errored 5xx, expired, canceled, missing),
  in a new chunk, up to ``max_rounds`` chunks per item; non-retryable errors
  (invalid request) are final. Every request ends as a Completion or a
  BackendError: accepted + failed == planned.
- **Nothing collected is fetched twice**: results are committed per item as they
  are collected; a rerun after collection sends nothing.
- Chunks respect the provider's limits (``batch_max_requests``/``batch_max_bytes``
  on the backend).

Crash points (for tests): ``crash_hook(name)`` is called at ``after_intent``,
``after_batch_create`` (created, id not yet persisted) and ``after_collect``;
the environment variable ``DOCGEN_CRASHPOINT=<name>`` SIGKILLs the process there.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import re
import sqlite3
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any, Callable

from .backends.base import Backend, BackendError, Completion, Request
from .errors import ConfigError
from .retry import RetryPolicy

log = logging.getLogger("docgen.batch")

__all__ = ["BatchJournal", "run_batches", "remote_custom_id"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS batch_chunks (
  chunk_id TEXT PRIMARY KEY, backend TEXT, model TEXT, state TEXT NOT NULL,
  remote_id TEXT, created_at REAL NOT NULL, n_items INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS batch_items (
  chunk_id TEXT NOT NULL, remote_cid TEXT NOT NULL, custom_id TEXT NOT NULL, key TEXT NOT NULL,
  PRIMARY KEY (chunk_id, remote_cid));
CREATE INDEX IF NOT EXISTS batch_items_cid ON batch_items(custom_id);
CREATE TABLE IF NOT EXISTS batch_results (
  custom_id TEXT PRIMARY KEY, key TEXT NOT NULL, ok INTEGER NOT NULL, completion TEXT, reason TEXT,
  retryable INTEGER, status INTEGER);
"""

_CID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


def remote_custom_id(custom_id: str) -> str:
    """The id sent to the provider: the plan id if both APIs accept it, else a hash of it."""
    return custom_id if _CID.match(custom_id) else "h" + hashlib.sha256(custom_id.encode()).hexdigest()[:40]


class BatchJournal:
    """A small sqlite store for batch intent, remote ids and collected results."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(str(self.path), isolation_level=None)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=FULL")
        self.db.executescript(_SCHEMA)

    def close(self) -> None:
        self.db.close()

    # chunks
    def add_intent(self, chunk_id: str, backend: str, model: str,
                   items: list[tuple[str, str, str]]) -> None:
        with self.db:   # one transaction: the chunk and its items, or nothing
            self.db.execute("BEGIN IMMEDIATE")
            self.db.execute("INSERT INTO batch_chunks VALUES (?,?,?,?,?,?,?)",
                            (chunk_id, backend, model, "intent", None, time.time(), len(items)))
            self.db.executemany("INSERT INTO batch_items VALUES (?,?,?,?)",
                                [(chunk_id, rc, cid, key) for rc, cid, key in items])

    def set_remote(self, chunk_id: str, remote_id: str) -> None:
        with self.db:
            self.db.execute("UPDATE batch_chunks SET remote_id=?, state='submitted' WHERE chunk_id=?",
                            (remote_id, chunk_id))

    def set_state(self, chunk_id: str, state: str) -> None:
        with self.db:
            self.db.execute("UPDATE batch_chunks SET state=? WHERE chunk_id=?", (state, chunk_id))

    def open_chunks(self) -> list[dict[str, Any]]:
        rows = self.db.execute("SELECT chunk_id, state, remote_id, created_at, n_items FROM batch_chunks "
                               "WHERE state IN ('intent','submitted') ORDER BY created_at, chunk_id").fetchall()
        return [dict(zip(("chunk_id", "state", "remote_id", "created_at", "n_items"), r)) for r in rows]

    def chunk_items(self, chunk_id: str) -> list[tuple[str, str, str]]:
        return self.db.execute("SELECT remote_cid, custom_id, key FROM batch_items WHERE chunk_id=? "
                               "ORDER BY remote_cid", (chunk_id,)).fetchall()

    def remote_ids(self) -> set[str]:
        return {r[0] for r in self.db.execute("SELECT remote_id FROM batch_chunks WHERE remote_id IS NOT NULL")}

    def rounds(self, custom_id: str) -> int:
        return self.db.execute("SELECT COUNT(*) FROM batch_items i JOIN batch_chunks c USING (chunk_id) "
                               "WHERE i.custom_id=? AND c.state != 'foreign'", (custom_id,)).fetchone()[0]

    def n_chunks(self) -> int:
        return self.db.execute("SELECT COUNT(*) FROM batch_chunks").fetchone()[0]

    # results
    def put_results(self, rows: list[tuple[str, str, Completion | BackendError]]) -> None:
        with self.db:
            self.db.execute("BEGIN IMMEDIATE")
            for cid, key, r in rows:
                if isinstance(r, Completion):
                    self.db.execute("INSERT OR REPLACE INTO batch_results VALUES (?,?,?,?,?,?,?)",
                                    (cid, key, 1, json.dumps(asdict(r)), None, None, None))
                else:
                    self.db.execute("INSERT OR REPLACE INTO batch_results VALUES (?,?,?,?,?,?,?)",
                                    (cid, key, 0, None, str(r), int(r.retryable), r.status))

    def results(self) -> dict[str, tuple[str, Completion | BackendError]]:
        out: dict[str, tuple[str, Completion | BackendError]] = {}
        for cid, key, ok, comp, reason, retryable, status in self.db.execute("SELECT * FROM batch_results"):
            out[cid] = (key, Completion(**json.loads(comp)) if ok else
                        BackendError(reason, retryable=bool(retryable), status=status))
        return out


def _crashpoint(name: str, hook: Callable[[str], None] | None) -> None:
    if hook is not None:
        hook(name)
    from .calls import crashpoint

    crashpoint(name)          # the one crash hook (DOCGEN_CRASHPOINT=NAME[:N])


def _chunks(items: list[tuple[str, str, Request, int]], max_n: int, max_bytes: int) -> list[list]:
    out: list[list] = []
    cur: list = []
    size = 0
    for it in items:
        if cur and (len(cur) >= max_n or size + it[3] > max_bytes):
            out.append(cur)
            cur, size = [], 0
        cur.append(it)
        size += it[3]
    if cur:
        out.append(cur)
    return out


async def _submit_once(backend: Any, chunk: dict[str, Any], items: list[tuple[str, Request]],
                       journal: BatchJournal, policy: RetryPolicy,
                       crash_hook: Callable[[str], None] | None) -> None:
    """Find-or-create the remote batch of an ``intent`` chunk, retrying ambiguous failures."""
    attempt = 0
    while True:
        attempt += 1
        try:
            rid = await backend.batch_find(chunk["chunk_id"], chunk["n_items"], chunk["created_at"],
                                           exclude=journal.remote_ids())
            if rid is not None:
                log.info("chunk %s: re-attached to batch %s", chunk["chunk_id"], rid)
            else:
                rid = await backend.batch_submit(items, chunk["chunk_id"])
                _crashpoint("after_batch_create", crash_hook)
            journal.set_remote(chunk["chunk_id"], rid)
            return
        except BackendError as e:
            delay = policy.delay_for(e, attempt)
            if delay is None:
                raise
            log.info("chunk %s: batch create failed (%s); retrying in %.1fs", chunk["chunk_id"], e, delay)
            await asyncio.sleep(delay)


async def run_batches(backend: Backend, requests: list[Request], journal: BatchJournal, *,
                      chunk_size: int | None = None, poll_interval: float = 30.0, max_rounds: int = 3,
                      policy: RetryPolicy | None = None,
                      crash_hook: Callable[[str], None] | None = None,
                      call: Callable[..., Any] | None = None) -> dict[str, Completion | BackendError]:
    """Send ``requests`` through the backend's batch API; returns one result per custom_id.

    ``call(fn, *args)`` runs each poll and download (the engine passes the model-call gateway's
    :meth:`~docgen.calls.Calls.operation`); by default they are retried under ``policy``."""
    if not getattr(backend, "supports_batch", False):
        raise ConfigError(f"backend '{backend.name}' has no batch API", hint="run without --batch")
    ids = [r.custom_id for r in requests]
    if not all(ids) or len(set(ids)) != len(ids):
        raise ConfigError("batch requests need unique, non-empty custom_ids")
    policy = policy or RetryPolicy(max_attempts=5, base_delay=2.0, max_delay=60.0)
    if call is None:
        from .calls import Calls

        call = Calls(backend, policy=policy).operation
    by_id = {r.custom_id: r for r in requests}
    keys = {r.custom_id: r.key(backend.name, backend.model) for r in requests}
    max_n = min(chunk_size or backend.batch_max_requests, backend.batch_max_requests)  # type: ignore[attr-defined]
    max_bytes = backend.batch_max_bytes  # type: ignore[attr-defined]

    def done() -> dict[str, Completion | BackendError]:
        # a result counts only for the request it answered (same key): a changed request is redone
        return {cid: r for cid, (key, r) in journal.results().items() if keys.get(cid) == key}

    while True:
        finished = done()
        open_chunks = journal.open_chunks()
        in_open = {cid for c in open_chunks for _, cid, _ in journal.chunk_items(c["chunk_id"])}
        todo = [cid for cid in ids if cid not in finished and cid not in in_open]
        if not todo and not open_chunks:
            break
        # 1. journal the intent of every new chunk before anything is sent
        sized = [(remote_custom_id(cid), cid, by_id[cid], len(json.dumps(by_id[cid].messages)) + 512)
                 for cid in todo]
        for group in _chunks(sized, max_n, max_bytes):
            round_no = max(journal.rounds(cid) for _, cid, _, _ in group)
            digest = hashlib.sha256(json.dumps([[rc, keys[cid]] for rc, cid, _, _ in group]).encode())
            chunk_id = f"c{journal.n_chunks():05d}-r{round_no}-{digest.hexdigest()[:16]}"
            journal.add_intent(chunk_id, backend.name, backend.model, [(rc, cid, keys[cid]) for rc, cid, _, _ in group])
            _crashpoint("after_intent", crash_hook)
        # 2. find-or-create the remote batch of every intent
        for chunk in journal.open_chunks():
            if chunk["state"] == "intent":
                items = [(rc, by_id[cid]) for rc, cid, _ in journal.chunk_items(chunk["chunk_id"]) if cid in by_id]
                await _submit_once(backend, chunk, items, journal, policy, crash_hook)
        # 3. poll until every submitted chunk has ended, collecting as they end
        pending = {c["chunk_id"]: c for c in journal.open_chunks()}
        while pending:
            for chunk_id, chunk in list(pending.items()):
                state = await call(backend.batch_poll, chunk["remote_id"])  # type: ignore[attr-defined]
                if state == "running":
                    continue
                results = (await call(backend.batch_results, chunk["remote_id"])  # type: ignore
                           if state == "ended" else {})
                _collect(journal, chunk_id, results, max_rounds, keys)
                _crashpoint("after_collect", crash_hook)
                del pending[chunk_id]
            if pending:
                await asyncio.sleep(poll_interval)
    final = done()
    return {cid: final[cid] for cid in ids}


def _collect(journal: BatchJournal, chunk_id: str, results: dict[str, Completion | BackendError],
             max_rounds: int, keys: dict[str, str]) -> None:
    items = journal.chunk_items(chunk_id)
    ours = {rc for rc, _, _ in items}
    if results and not ours & set(results):
        log.warning("chunk %s: adopted batch holds none of its requests; resubmitting", chunk_id)
        journal.set_state(chunk_id, "foreign")
        return
    rows: list[tuple[str, str, Completion | BackendError]] = []
    for rc, cid, key in items:
        r = results.get(rc)
        if r is None:
            r = BackendError("batch ended without a result for this request", retryable=True)
        if isinstance(r, BackendError) and r.retryable and journal.rounds(cid) < max_rounds:
            continue                       # left undone: the next round puts it in a new chunk
        if keys.get(cid, key) == key:
            rows.append((cid, key, r))
    journal.put_results(rows)
    journal.set_state(chunk_id, "collected")


# -- the engine's --batch mode ----------------------------------------------------------------------

async def run_batch_mode(engine: Any, pending: list, journal: Any, writer: Any, chain: Any, calls: Any) -> None:
    """--batch: each round sends the next attempt of every unfinished item as provider batches.

    batches.sqlite journals each chunk's intent before the remote batch exists and re-attaches
    after a crash; results join by custom_id and are recorded through the gateway
    (:meth:`docgen.calls.Calls.record`: journal first, then spend)."""
    from .engine import _error_reason

    bj = BatchJournal(engine.rd.batches_path)
    todo = list(pending)
    try:
        while todo:
            reqs: dict[str, tuple[Any, int, str, str, Request]] = {}
            still: list = []
            for item in todo:
                done_attempts = journal.attempts_of(item.id)
                attempt = len(done_attempts)
                if attempt >= journal.budget_of(item.id, engine.cfg.max_attempts):
                    journal.finish_item(item.id, "failed",
                                        (done_attempts[-1][3] if done_attempts else "") or "no attempt left")
                    engine._count_done(item)
                    continue
                req, prompt_sha = engine.request_for(item, attempt)
                key = calls.key(req)
                comp = journal.get_response(key)
                if comp is not None:
                    calls.ledger.cached += 1
                    done, _ = await engine._take(item, attempt, key, comp, prompt_sha, journal, writer, chain)
                    (engine._count_done if done else still.append)(item)
                    continue
                req.custom_id = f"{item.id}-a{attempt}"
                reqs[req.custom_id] = (item, attempt, key, prompt_sha, req)
                still.append(item)
            if reqs:
                results = await run_batches(calls.backend, [r[4] for r in reqs.values()], bj,
                                            poll_interval=engine.cfg.batch_poll_s, call=calls.operation)
                for cid, res in results.items():
                    item, attempt, key, prompt_sha, _ = reqs[cid]
                    if isinstance(res, BackendError):
                        journal.finish_item(item.id, "error" if res.retryable else "failed", _error_reason(res))
                        still.remove(item)
                        engine._count_done(item)
                        continue
                    calls.ledger.sent += 1
                    calls.record(key, res, batch=True)
                    done, _ = await engine._take(item, attempt, key, res, prompt_sha, journal, writer, chain)
                    if done:
                        still.remove(item)
                        engine._count_done(item)
            todo = still
    finally:
        bj.close()
