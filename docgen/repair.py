"""Check a run directory's shards and manifest against its journal, and repair them from it.

The journal is the source of truth. Before a run continues, :func:`check_run` verifies:

- the manifest parses and every shard it lists exists and matches its sha256;
- no planned item appears twice in the shards, and every row's (item, text) is a
  document the journal accepted.

When any of that fails, the shards and manifest are removed and rebuilt from the
journal (the engine re-adds every accepted and rejected document on resume). The
one thing the journal cannot repair is itself: when the shards hold documents the
journal knows nothing about (an emptied, replaced or older journal), the run is
refused with a clear error rather than requesting and storing everything again.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pyarrow.parquet as pq

from .corpus import check_shard, read_manifest
from .errors import UserError
from .journal import Journal
from .rundir import DATA_DIR, REJECTED_DIR, RunDir


def _shard_rows(run_dir: Path, entries: list[dict]) -> list[tuple[str, str]]:
    rows: list[tuple[str, str]] = []
    for e in entries:
        t = pq.read_table(run_dir / e["path"], columns=["id", "item_id"])
        rows += list(zip(t.column("item_id").to_pylist(), t.column("id").to_pylist()))
    return rows


def problems(rd: RunDir, journal: Journal) -> str | None:
    """What is wrong with the shards/manifest (None: they agree with the journal)."""
    try:
        manifest = read_manifest(rd.path)
    except UserError:
        return "manifest.json is damaged"
    if manifest is None:
        return None            # nothing sealed yet, or the manifest was deleted: the writer starts over
    for key in ("shards", "rejected_shards"):
        for e in manifest.get(key, []):
            bad = check_shard(rd.path, e)
            if bad:
                return bad
    try:
        rows = _shard_rows(rd.path, manifest.get("shards", []))
    except Exception as e:  # noqa: BLE001 - an unreadable shard that still matched its sha256
        return f"a shard cannot be read ({type(e).__name__})"
    accepted = {item: d["id"] for item, d in journal.docs("accepted")}
    known = [r for r in rows if r[0] in accepted]
    if rows and not known and journal.count_responses() == 0:
        raise UserError(f"the journal does not match the shards: data/ holds {len(rows)} document(s) that "
                        "journal.sqlite has no record of (was the journal emptied or replaced?)",
                        where=str(rd.journal_path),
                        hint="restore journal.sqlite from a backup, or generate into a new --out; rerunning here "
                             "would request and store every document again")
    items = [r[0] for r in rows]
    if len(items) != len(set(items)):
        return f"{len(items) - len(set(items))} planned item(s) appear twice in the shards"
    stray = [r for r in rows if accepted.get(r[0]) != r[1]]
    if stray:
        return f"{len(stray)} shard row(s) are not documents the journal accepted"
    return None


def check_run(rd: RunDir, journal: Journal) -> str | None:
    """Verify; rebuild when needed. Returns what was wrong (and is now repaired), or None."""
    what = problems(rd, journal)
    if what is None:
        return None
    for sub in (DATA_DIR, REJECTED_DIR):
        shutil.rmtree(rd.path / sub, ignore_errors=True)
    rd.manifest_path.unlink(missing_ok=True)
    return what
