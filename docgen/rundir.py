"""The run directory: every file name and format in it, and the lock that keeps it single-writer.

    rd = RunDir("runs/lighthouse")
    with rd.locked():                   # a second process gets exit 2 naming this pid
        rd.write_config(cfg_dict)       # credentials in URLs are stripped first
        journal = rd.open_journal()     # a damaged or emptied journal is refused, not re-paid

Layout (one owner each; the parquet shards and manifest are written by
:class:`docgen.corpus.CorpusWriter` under the names given here)::

    RUN/
      .docgen.lock            held (flock) while a process writes the run; holds its pid
      config.json             resolved run config (no secrets, no URL credentials)
      spec.json               the parsed spec the run was planned from
      plan.jsonl              one planned item per line (stable ids)
      topups.jsonl            items added by --fill-gaps
      journal.sqlite          requests, responses, item status: the source of truth
      batches.sqlite          provider batch intents and ids (--batch)
      data/shard-NNNNN.parquet, rejected/shard-NNNNN.parquet
      manifest.json           per-shard sha256, document and token counts; totals
      dedup_clusters.jsonl    one line per near-duplicate dropped: {"removed", "kept", "jaccard"}
      summary.json            what the run kept, dropped, spent
      report.html             `docgen report`

Nothing else in docgen spells these names.
"""

from __future__ import annotations

import errno
import json
import os
import sqlite3
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator
from urllib.parse import urlsplit, urlunsplit

from .errors import UserError

CONFIG = "config.json"
SPEC = "spec.json"
PLAN = "plan.jsonl"
TOPUPS = "topups.jsonl"
JOURNAL = "journal.sqlite"
BATCHES = "batches.sqlite"
MANIFEST = "manifest.json"
SUMMARY = "summary.json"
CLUSTERS = "dedup_clusters.jsonl"
REPORT = "report.html"
LOCK = ".docgen.lock"
DATA_DIR = "data"
REJECTED_DIR = "rejected"


class DiskFull(UserError):
    def __init__(self, where: str):
        super().__init__(f"disk full at {where}: free space and rerun", where=None,
                         hint="nothing written so far is lost; the same command resumes the run")


def is_disk_full(e: BaseException) -> bool:
    if isinstance(e, OSError) and e.errno in (errno.ENOSPC, errno.EDQUOT):
        return True
    msg = str(e).lower()
    return isinstance(e, (OSError, sqlite3.OperationalError)) and (
        "database or disk is full" in msg or "no space left" in msg or "errno 28" in msg)


# -- atomic files ----------------------------------------------------------------------------------

def fsync_dir(d: Path) -> None:
    try:
        fd = os.open(d, os.O_RDONLY)
    except OSError:  # pragma: no cover
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write to a temporary name, fsync, rename: a reader sees the old file or the new one."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        with open(tmp, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    fsync_dir(path.parent)


def atomic_write_json(path: Path, obj: Any) -> None:
    atomic_write_bytes(path, (json.dumps(obj, indent=2, sort_keys=False, ensure_ascii=False) + "\n").encode())


def jsonl_bytes(rows: list[dict[str, Any]]) -> bytes:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows).encode()


# -- secrets ----------------------------------------------------------------------------------------

def strip_url_credentials(url: str) -> str:
    """``http://user:key@host:1/v1?k=v`` → ``http://host:1/v1``: userinfo and query can hold secrets."""
    try:
        p = urlsplit(url)
    except ValueError:
        return url
    if not p.scheme or not p.netloc:
        return url
    host = p.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    netloc = host + (f":{p.port}" if p.port else "")
    return urlunsplit((p.scheme, netloc, p.path, "", ""))


def scrub_urls(obj: Any) -> Any:
    """Every string that is a URL, anywhere in ``obj``, without its credentials."""
    if isinstance(obj, dict):
        return {k: scrub_urls(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [scrub_urls(v) for v in obj]
    if isinstance(obj, str) and "://" in obj:
        return strip_url_credentials(obj)
    return obj


# -- the run directory -----------------------------------------------------------------------------

class RunDir:
    """One run directory. Paths are attributes; reads and writes are methods."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self._lock_fd: int | None = None

    def __repr__(self) -> str:
        return f"RunDir({str(self.path)!r})"

    def __truediv__(self, name: str) -> Path:
        return self.path / name

    config_path = property(lambda self: self.path / CONFIG)
    spec_path = property(lambda self: self.path / SPEC)
    plan_path = property(lambda self: self.path / PLAN)
    topups_path = property(lambda self: self.path / TOPUPS)
    journal_path = property(lambda self: self.path / JOURNAL)
    batches_path = property(lambda self: self.path / BATCHES)
    manifest_path = property(lambda self: self.path / MANIFEST)
    summary_path = property(lambda self: self.path / SUMMARY)
    clusters_path = property(lambda self: self.path / CLUSTERS)
    report_path = property(lambda self: self.path / REPORT)
    lock_path = property(lambda self: self.path / LOCK)

    def is_run(self) -> bool:
        return self.config_path.exists()

    def check_usable(self) -> None:
        """Refuse a directory that holds other files (docgen never overwrites them)."""
        d = self.path
        if not self.is_run() and d.exists() and any(p for p in d.iterdir() if not p.name.startswith(".")):
            raise UserError("output directory exists and is not a docgen run", where=str(d),
                            hint="choose a new --out directory (docgen never overwrites other files)")

    # -- lock -------------------------------------------------------------------------------------
    @contextmanager
    def locked(self) -> Iterator["RunDir"]:
        """Hold an exclusive lock on the directory (re-entrant within one RunDir object)."""
        if self._lock_fd is not None:
            yield self
            return
        import fcntl

        self.path.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(fd, 64).decode(errors="replace").strip() or "unknown"
            os.close(fd)
            raise UserError(f"run directory is in use by another docgen process (pid {holder})",
                            where=str(self.path),
                            hint="wait for that process to finish (or stop it), then rerun; "
                                 "two writers would pay for everything twice") from None
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self._lock_fd = fd
        try:
            yield self
        finally:
            self._lock_fd = None
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)

    # -- config and identity ------------------------------------------------------------------------
    def read_config(self) -> dict[str, Any] | None:
        if not self.config_path.exists():
            return None
        try:
            return json.loads(self.config_path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as e:
            raise UserError(f"config.json is not valid JSON: {e.msg}", where=f"{self.config_path}:{e.lineno}",
                            hint="restore it from a backup, or generate into a new --out") from None

    def write_config(self, resolved: dict[str, Any]) -> None:
        atomic_write_json(self.config_path, scrub_urls(resolved))

    def write_spec(self, spec_dict: dict[str, Any]) -> None:
        atomic_write_json(self.spec_path, spec_dict)

    def read_spec(self) -> dict[str, Any] | None:
        return _read_json(self.spec_path)

    # -- plan ----------------------------------------------------------------------------------------
    def write_plan(self, rows: list[dict[str, Any]]) -> None:
        atomic_write_bytes(self.plan_path, jsonl_bytes(rows))

    def read_plan(self) -> list[dict[str, Any]]:
        return _read_jsonl(self.plan_path)

    def read_topups(self) -> list[dict[str, Any]]:
        return _read_jsonl(self.topups_path)

    def append_topups(self, rows: list[dict[str, Any]]) -> None:
        old = self.topups_path.read_bytes() if self.topups_path.exists() else b""
        atomic_write_bytes(self.topups_path, old + jsonl_bytes(rows))

    # -- outputs ----------------------------------------------------------------------------------------
    def write_summary(self, d: dict[str, Any]) -> None:
        atomic_write_json(self.summary_path, d)

    def read_summary(self) -> dict[str, Any] | None:
        return _read_json(self.summary_path)

    def write_clusters(self, rows: list[dict[str, Any]]) -> None:
        """Near-duplicate clusters: one line per removed document, ``{"removed", "kept", "jaccard"}``."""
        atomic_write_bytes(self.clusters_path, jsonl_bytes(rows))

    def read_clusters(self) -> list[dict[str, Any]]:
        return _read_jsonl(self.clusters_path)

    def clusters(self) -> list[dict[str, Any]]:
        """Near-duplicate clusters, largest first: ``{"kept", "members" (kept first), "size", "jaccard"}``
        where ``jaccard`` is the highest similarity of a removed member to the kept document."""
        groups: dict[str, dict[str, Any]] = {}
        for row in self.read_clusters():
            if not isinstance(row, dict) or not isinstance(row.get("kept"), str):
                continue
            g = groups.setdefault(row["kept"], {"kept": row["kept"], "members": [row["kept"]], "jaccard": 0.0})
            g["members"].append(str(row.get("removed", "")))
            g["jaccard"] = max(g["jaccard"], float(row.get("jaccard") or 0.0))
        out = [{**g, "size": len(g["members"])} for g in groups.values()]
        return sorted(out, key=lambda c: -c["size"])

    # -- journal ----------------------------------------------------------------------------------------
    def open_journal(self):
        """The run journal; a damaged file is a clear error, never a traceback or a silent restart."""
        from .journal import Journal, JournalDamaged

        try:
            return Journal(self.journal_path)
        except JournalDamaged as e:
            raise UserError(f"the run journal is damaged ({e})", where=str(self.journal_path),
                            hint="restore journal.sqlite from a backup, or generate into a new --out; "
                                 "the sealed shards in data/ stay readable with `docgen filter`/`export`") from None


def _read_json(p: Path) -> dict[str, Any] | None:
    if not p.exists():
        return None
    try:
        return json.loads(p.read_text(encoding="utf-8"))
    except json.JSONDecodeError as e:
        raise UserError(f"not valid JSON: {e.msg}", where=f"{p}:{e.lineno}",
                        hint="rerun `docgen generate` with the same arguments to rebuild it") from None


def _read_jsonl(p: Path) -> list[dict[str, Any]]:
    if not p.exists():
        return []
    out = []
    for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1):
        if line.strip():
            try:
                out.append(json.loads(line))
            except json.JSONDecodeError as e:
                raise UserError(f"not valid JSON: {e.msg}", where=f"{p}:{n}",
                                hint="the file was damaged; restore it or rerun the command that wrote it") from None
    return out
