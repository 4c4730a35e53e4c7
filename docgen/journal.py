"""The run journal: a sqlite file that is the source of truth of a run.

* ``responses``: every completion received, keyed by the content hash of its
  canonical request (:meth:`docgen.backends.Request.key`). A response is
  committed before anything is done with it, so a crash after receiving it
  never pays for it twice.
* ``items``: the state of each planned item (pending → accepted | failed),
  with the accepted document's JSON, and every attempt that was rejected.
* ``meta``: small key/values (filter counters, batch ids).

WAL mode with synchronous=NORMAL: a committed row survives kill -9 of the process.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any, Iterator

from .backends.base import Completion

SCHEMA = """
CREATE TABLE IF NOT EXISTS responses (
  key TEXT PRIMARY KEY, backend TEXT, model TEXT, text TEXT, finish_reason TEXT,
  input_tokens INTEGER, output_tokens INTEGER, latency_s REAL, created_at REAL
);
CREATE TABLE IF NOT EXISTS items (
  item_id TEXT PRIMARY KEY, status TEXT NOT NULL, attempts INTEGER DEFAULT 0,
  reason TEXT DEFAULT '', doc_json TEXT, updated_at REAL
);
CREATE TABLE IF NOT EXISTS attempts (
  item_id TEXT, attempt INTEGER, key TEXT, outcome TEXT, reason TEXT, doc_json TEXT,
  PRIMARY KEY (item_id, attempt)
);
CREATE TABLE IF NOT EXISTS meta (k TEXT PRIMARY KEY, v TEXT);
"""


class Journal:
    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        # NORMAL under WAL: a committed row survives the process being killed (kill -9);
        # only a power loss can take back the last commits
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(SCHEMA)
        self._loop: Any = None
        self._closed = False

    # -- group commit ----------------------------------------------------
    def group_commits(self, loop: Any) -> None:
        """Commit in groups on ``loop`` (the engine's event loop) instead of once per statement.

        Commit points stay as they were: ``put_response`` and ``finish_item`` return only once their
        row is committed (a response is still journalled before it is used). The other writes
        (``record_attempt``, ``set_meta``) join the open transaction, which the next commit point or
        the end of the current loop iteration commits, whichever comes first: two commits per
        document instead of one per statement (four or five), on the event-loop thread."""
        self._loop = loop

    def _begin(self) -> None:
        if self._loop is not None and not self._db.in_transaction:
            self._db.execute("BEGIN")
            self._loop.call_soon(self.commit)

    def commit(self) -> None:
        """Commit what the open group holds (a no-op outside group commit)."""
        with self._lock:
            if not self._closed and self._db.in_transaction:
                self._db.execute("COMMIT")

    # -- responses -------------------------------------------------------
    def get_response(self, key: str) -> Completion | None:
        with self._lock:
            row = self._db.execute(
                "SELECT text, finish_reason, input_tokens, output_tokens, model, latency_s FROM responses WHERE key=?",
                (key,)).fetchone()
        if row is None:
            return None
        return Completion(text=row[0], finish_reason=row[1], input_tokens=row[2], output_tokens=row[3],
                          model=row[4], latency_s=row[5], raw={"cached": True})

    def put_response(self, key: str, backend: str, c: Completion) -> None:
        with self._lock:
            self._begin()
            self._db.execute(
                "INSERT OR IGNORE INTO responses VALUES (?,?,?,?,?,?,?,?,?)",
                (key, backend, c.model, c.text, c.finish_reason, c.input_tokens, c.output_tokens, c.latency_s, time.time()))
        self.commit()

    def count_responses(self) -> int:
        with self._lock:
            return self._db.execute("SELECT COUNT(*) FROM responses").fetchone()[0]

    # -- items -------------------------------------------------------------
    def ensure_items(self, item_ids: list[str]) -> None:
        self.commit()
        with self._lock:
            self._db.execute("BEGIN")
            self._db.executemany("INSERT OR IGNORE INTO items(item_id, status, updated_at) VALUES (?, 'pending', ?)",
                                 [(i, time.time()) for i in item_ids])
            self._db.execute("COMMIT")

    def statuses(self) -> dict[str, str]:
        with self._lock:
            return dict(self._db.execute("SELECT item_id, status FROM items").fetchall())

    def record_attempt(self, item_id: str, attempt: int, key: str, outcome: str, reason: str = "",
                       doc: dict[str, Any] | None = None) -> None:
        with self._lock:
            self._begin()
            self._db.execute("INSERT OR REPLACE INTO attempts VALUES (?,?,?,?,?,?)",
                             (item_id, attempt, key, outcome, reason, json.dumps(doc) if doc else None))
            self._db.execute("UPDATE items SET attempts=?, updated_at=? WHERE item_id=?", (attempt + 1, time.time(), item_id))

    def finish_item(self, item_id: str, status: str, reason: str = "", doc: dict[str, Any] | None = None) -> None:
        with self._lock:
            self._begin()
            self._db.execute("UPDATE items SET status=?, reason=?, doc_json=?, updated_at=? WHERE item_id=?",
                             (status, reason, json.dumps(doc) if doc else None, time.time(), item_id))
        self.commit()

    def attempts_of(self, item_id: str) -> list[tuple[int, str, str, str, dict | None]]:
        with self._lock:
            rows = self._db.execute("SELECT attempt, key, outcome, reason, doc_json FROM attempts WHERE item_id=? ORDER BY attempt",
                                    (item_id,)).fetchall()
        return [(a, k, o, r, json.loads(d) if d else None) for a, k, o, r, d in rows]

    def docs(self, status: str = "accepted") -> Iterator[tuple[str, dict[str, Any]]]:
        with self._lock:
            rows = self._db.execute("SELECT item_id, doc_json FROM items WHERE status=? AND doc_json IS NOT NULL ORDER BY rowid",
                                    (status,)).fetchall()
        for item_id, d in rows:
            yield item_id, json.loads(d)

    def rejected_docs(self) -> Iterator[dict[str, Any]]:
        with self._lock:
            rows = self._db.execute("SELECT doc_json FROM attempts WHERE outcome='rejected' AND doc_json IS NOT NULL ORDER BY rowid").fetchall()
        for (d,) in rows:
            yield json.loads(d)

    def failures(self) -> dict[str, int]:
        with self._lock:
            rows = self._db.execute("SELECT reason, COUNT(*) FROM items WHERE status='failed' GROUP BY reason").fetchall()
        return dict(rows)

    # -- meta ---------------------------------------------------------------
    def get_meta(self, k: str, default: Any = None) -> Any:
        with self._lock:
            row = self._db.execute("SELECT v FROM meta WHERE k=?", (k,)).fetchone()
        return json.loads(row[0]) if row else default

    def set_meta(self, k: str, v: Any) -> None:
        with self._lock:
            self._begin()
            self._db.execute("INSERT OR REPLACE INTO meta VALUES (?,?)", (k, json.dumps(v)))

    def close(self) -> None:
        self.commit()
        self._loop = None
        with self._lock:
            self._closed = True
            self._db.close()
