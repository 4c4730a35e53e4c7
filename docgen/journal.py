"""The run journal: a sqlite file that is the source of truth of a run.

* ``responses``: every completion received, keyed by the content hash of its
  canonical request (:meth:`docgen.backends.Request.key`). A response is
  committed before anything is done with it, so a crash after receiving it
  never pays for it twice.
* ``items``: the state of each planned item, with the accepted document's JSON,
  and every attempt that was rejected::

      pending ──▶ accepted
         │  └──▶ failed     permanent: every attempt rejected, or a 4xx; `--retry-failed` retries it
         └─────▶ error      transient: connection, timeout, 429/5xx after retries; a rerun retries it

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


class JournalDamaged(Exception):
    """The journal file is not a readable sqlite database (truncated, overwritten)."""


class Journal:
    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        existed = self.path.exists() and self.path.stat().st_size > 0
        try:
            self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
            self._db.execute("PRAGMA journal_mode=WAL")
            # NORMAL under WAL: a committed row survives the process being killed (kill -9);
            # only a power loss can take back the last commits
            self._db.execute("PRAGMA synchronous=NORMAL")
            if existed:
                bad = self._db.execute("PRAGMA quick_check").fetchone()[0]
                if bad != "ok":
                    raise JournalDamaged(str(bad)[:200])
            self._db.executescript(SCHEMA)
            cols = {r[1] for r in self._db.execute("PRAGMA table_info(items)")}
            if "budget" not in cols:      # journals written before --retry-failed existed
                self._db.execute("ALTER TABLE items ADD COLUMN budget INTEGER")
        except sqlite3.DatabaseError as e:
            if "locked" in str(e) or "disk is full" in str(e):
                raise
            raise JournalDamaged(str(e)) from None
        self._loop: Any = None
        self._closed = False
        self._commit_error: sqlite3.Error | None = None

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
            self._loop.call_soon(self._commit_at_end_of_tick)

    def _commit_at_end_of_tick(self) -> None:
        """The event loop's commit of an open group. A failure (disk full) is left for the next
        commit point, which raises it to the engine as the same error: a callback must not
        raise into the loop, where it would only be logged."""
        try:
            self.commit()
        except sqlite3.Error as e:
            self._commit_error = e        # the next lookup or commit point raises it: nothing more is sent

    def commit(self) -> None:
        """Commit what the open group holds (a no-op outside group commit)."""
        self._commit_error = None         # tried again here: raises again if it still fails
        with self._lock:
            if not self._closed and self._db.in_transaction:
                self._db.execute("COMMIT")

    # -- responses -------------------------------------------------------
    def get_response(self, key: str) -> Completion | None:
        if self._commit_error is not None:
            raise self._commit_error
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

    def failures(self, status: str = "failed") -> dict[str, int]:
        """Items that ended as ``failed`` (permanent) or ``error`` (transient), counted by reason."""
        with self._lock:
            rows = self._db.execute("SELECT reason, COUNT(*) FROM items WHERE status=? GROUP BY reason",
                                    (status,)).fetchall()
        return dict(rows)

    def budget_of(self, item_id: str, default: int) -> int:
        """How many attempts the item may have made in all (grows with each --retry-failed)."""
        with self._lock:
            row = self._db.execute("SELECT budget FROM items WHERE item_id=?", (item_id,)).fetchone()
        return row[0] if row and row[0] is not None else default

    def reopen(self, status: str, extra_attempts: int | None = None) -> int:
        """Set every item in ``status`` back to pending; with ``extra_attempts``, grant it that many more."""
        with self._lock:
            self._db.execute("BEGIN")
            if extra_attempts is not None:
                self._db.execute("UPDATE items SET budget=attempts+? WHERE status=?", (extra_attempts, status))
            n = self._db.execute("UPDATE items SET status='pending', reason='' WHERE status=?", (status,)).rowcount
            self._db.execute("COMMIT")
        return n

    def counts(self) -> dict[str, int]:
        with self._lock:
            return dict(self._db.execute("SELECT status, COUNT(*) FROM items GROUP BY status").fetchall())

    def accepted_ids(self) -> set[str]:
        with self._lock:
            return {r[0] for r in self._db.execute("SELECT item_id FROM items WHERE status='accepted'")}

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
        try:
            self.commit()                 # a failure here (disk full) still closes, then raises
        finally:
            self._loop = None
            with self._lock:
                self._closed = True
                self._db.close()
