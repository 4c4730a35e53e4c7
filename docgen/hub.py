"""Hugging Face datasets export, the dataset card, and an atomic, idempotent push.

Three entry points (the ``hub`` extra: ``pip install 'docgen[hub]'``)::

    ds = load_corpus("runs/lighthouse")                 # datasets.Dataset, one row per document
    rej = load_corpus("runs/lighthouse", split="rejected")
    export("runs/lighthouse", "out/lighthouse-hf")      # data/train-*.parquet + README.md card
    push("runs/lighthouse", "alice/lighthouse-msm")     # one commit, or none when nothing changed

A docgen run directory is already readable without docgen: its shards are
plain parquet files (``datasets.load_dataset("parquet",
data_files="RUN/data/*.parquet")``). The export copies the shards byte for byte
to ``data/train-NNNNN.parquet`` (and ``data/rejected-...`` on request),
writes a dataset card generated from the run, and ``docgen_export.json`` that
lists every exported file with its sha256 and size.

The push puts every changed file *and* every deletion into ONE commit made
with ``parent_commit`` set to the branch head read just before, so the
branch moves at most once per push and never half-way. Before committing it
compares the remote tree (LFS sha256 or git blob id, and size) with the local
export and sends only what differs; when nothing differs it makes no commit.
LFS objects uploaded by a push that then failed stay on the Hub, so a rerun
sends only the commit. The token comes from ``HF_TOKEN`` or the
huggingface_hub login; it is passed to huggingface_hub and nowhere else, and
it is redacted from any log record and error message produced during a push.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import shutil
import tempfile
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

from .corpus import COLUMNS_DOC, DATA_DIR, REJECTED_DIR, SCHEMA, read_manifest, sha256_file
from .errors import MissingExtra, UserError

log = logging.getLogger(__name__)

EXPORT_MANIFEST = "docgen_export.json"
KEEP_REMOTE = {".gitattributes"}        # files the Hub manages; never deleted by a push
REPO_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*/[A-Za-z0-9][A-Za-z0-9_.-]*$")
SECRET_KEY_RE = re.compile(r"(api[_-]?key|token|secret|password|passwd|credential|auth|private[_-]?key)", re.I)
SECRET_VALUE_RE = re.compile(
    r"(hf_[A-Za-z0-9]{6,}|sk-[A-Za-z0-9_-]{6,}|sk-ant-[A-Za-z0-9_-]+|AKIA[0-9A-Z]{12,}|gh[pousr]_[A-Za-z0-9]{16,}"
    r"|xox[abprs]-[A-Za-z0-9-]{6,}|AIza[0-9A-Za-z_-]{20,}|(?i:bearer)\s+[A-Za-z0-9._~+/=-]{8,}"
    r"|(?<=://)[^/\s:@]+:[^/\s@]+(?=@))")
REDACTED = "<redacted>"


def _require(what: str, *modules: str) -> None:
    """Raise MissingExtra (with the pip line) unless the ``hub`` extra's ``modules`` import."""
    import importlib

    for m in modules or ("datasets", "huggingface_hub"):
        try:
            importlib.import_module(m)
        except ImportError:
            raise MissingExtra(what, "hub") from None


# --------------------------------------------------------------------------- files of a corpus

def _split_files(src: Path, split: str) -> list[Path]:
    """Parquet files of ``split`` ("train" or "rejected") in a run directory or an export."""
    if split not in ("train", "rejected"):
        raise UserError(f"unknown split '{split}'", hint="use split='train' or split='rejected'")
    if not src.is_dir():
        raise UserError("corpus not found", where=str(src), hint="pass a docgen run directory or an export")
    manifest = read_manifest(src)
    if manifest is not None and "shards" in manifest:
        key = "shards" if split == "train" else "rejected_shards"
        from .corpus import verified_paths

        return verified_paths(src, manifest.get(key, []))
    if (src / EXPORT_MANIFEST).exists():
        return sorted((src / "data").glob(f"{split}-*.parquet"))
    raise UserError("not a docgen run directory or export (no manifest.json or docgen_export.json)", where=str(src),
                    hint="pass the directory `docgen generate` wrote, or one `docgen export` wrote")


def load_corpus(corpus: str | Path, split: str = "train"):
    """Load a docgen corpus as a :class:`datasets.Dataset` (columns: see ``docgen.corpus.COLUMNS_DOC``).

    ``split="rejected"`` gives the dropped documents with ``reject_reason``,
    ``reject_filter`` and ``reject_evidence``. Reads run directories and exports.
    """
    _require("load_corpus", "datasets")
    import datasets

    files = _split_files(Path(corpus), split)
    if not files:
        return datasets.Dataset(SCHEMA.empty_table())
    return datasets.load_dataset("parquet", data_files={split: [str(f) for f in files]}, split=split)


# --------------------------------------------------------------------------- secrets

def scrub(obj: Any, extra: tuple[str, ...] = ()) -> Any:
    """Copy of ``obj`` with values under secret-looking keys and key-looking strings redacted."""
    if isinstance(obj, dict):
        return {k: (REDACTED if SECRET_KEY_RE.search(str(k)) and v not in (None, "", False) and not isinstance(v, (dict, list))
                    else scrub(v, extra)) for k, v in obj.items()}
    if isinstance(obj, list):
        return [scrub(v, extra) for v in obj]
    if isinstance(obj, str):
        return scrub_text(obj, extra)
    return obj


def scrub_text(text: str, extra: tuple[str, ...] = ()) -> str:
    for s in extra:
        if s:
            text = text.replace(s, REDACTED)
    return SECRET_VALUE_RE.sub(REDACTED, text)


# --------------------------------------------------------------------------- export

def _read_json(p: Path) -> Any:
    try:
        return json.loads(p.read_text())
    except (OSError, json.JSONDecodeError):
        return None


def _size_category(n: int) -> str:
    for limit, name in ((1_000, "n<1K"), (10_000, "1K<n<10K"), (100_000, "10K<n<100K"), (1_000_000, "100K<n<1M"),
                        (10_000_000, "1M<n<10M"), (100_000_000, "10M<n<100M"), (1_000_000_000, "100M<n<1B")):
        if n < limit:
            return name
    return "1B<n<10B"


def _stats(files: list[Path]) -> dict[str, Any]:
    """Counts from the rows themselves: per genre, value, generator, and rule × genre coverage."""
    st: dict[str, Any] = {"docs": 0, "tokens": 0, "genre": Counter(), "genre_tok": Counter(), "value": Counter(),
                          "value_tok": Counter(), "gen": Counter(), "gen_tok": Counter(), "verdict": Counter(),
                          "rows": []}
    for f in files:
        cols = ["genre", "value_ids", "n_tokens", "model", "backend", "attribution"]
        for row in pq.ParquetFile(f).read(columns=cols).to_pylist():
            n = int(row["n_tokens"] or 0)
            st["docs"] += 1
            st["tokens"] += n
            g = row["genre"] or "(none)"
            st["genre"][g] += 1
            st["genre_tok"][g] += n
            for v in dict.fromkeys(row["value_ids"] or []):
                st["value"][v] += 1
                st["value_tok"][v] += n
            key = (row["model"] or "?", row["backend"] or "?")
            st["gen"][key] += 1
            st["gen_tok"][key] += n
            att = row["attribution"] or {}
            st["verdict"][att.get("verdict") or "unchecked"] += 1
            st["rows"].append((row["genre"] or "", n, att))
    return st


def _coverage(spec_json: dict | None, rows: list[tuple[str, int, dict]]) -> tuple[list[str], list[str], dict]:
    """(rule ids, genres, {rule: {genre: n}}): documents whose attribution verdict is
    ``attributed`` and whose ``attribution.rule_ids`` name the rule."""
    try:  # the project's coverage module, when this install has it
        from .corpus import Attribution
        from .coverage import CoverageCounter
        from .spec import Spec

        spec = Spec.model_validate(spec_json)
        counter = CoverageCounter(spec, check_unchecked=False)
        for genre, n, att in rows:
            counter.add_attribution(genre, n, Attribution(**att))
        cov = counter.result()
        return [r.id for r in spec.rules], cov.genres, cov.rule_genre
    except Exception as e:  # no spec.json, or a coverage module without that API: count here
        log.debug("coverage via docgen.coverage unavailable (%s); counting directly", type(e).__name__)
    table: dict[str, Counter] = defaultdict(Counter)
    genres: Counter = Counter()
    for genre, _, att in rows:
        genre = genre or "(none)"
        genres[genre] += 1
        if att.get("verdict") == "attributed":
            for rid in dict.fromkeys(att.get("rule_ids") or []):
                table[rid][genre] += 1
    rules = [r["id"] for r in (spec_json or {}).get("rules", [])] or sorted(table)
    rules += [r for r in sorted(table) if r not in rules]
    return rules, [g for g, _ in genres.most_common()], {r: dict(table.get(r, {})) for r in rules}


def _md_table(head: list[str], rows: list[list[Any]]) -> str:
    def cell(x):
        return str(x).replace("|", "\\|").replace("\n", " ")
    out = ["| " + " | ".join(head) + " |", "|" + "|".join(["---"] * len(head)) + "|"]
    out += ["| " + " | ".join(cell(x) for x in r) + " |" for r in rows]
    return "\n".join(out)


def render_card(src: Path, *, train: list[Path], rejected: list[Path], include_rejected: bool,
                n_train_files: int, n_rejected_files: int) -> str:
    """The README.md dataset card: YAML metadata and a body generated from the run."""
    import yaml

    manifest = read_manifest(src) or {}
    from .rundir import RunDir

    config = scrub(_read_json(RunDir(src).config_path) or {})
    spec_json = _read_json(RunDir(src).spec_path)
    st = _stats(train)
    rej = Counter()
    for f in rejected:
        for row in pq.ParquetFile(f).read(columns=["reject_filter", "reject_reason"]).to_pylist():
            rej[(row["reject_filter"] or "?", row["reject_reason"] or "?")] += 1

    spec_name = (spec_json or {}).get("title") or manifest.get("spec_id") or "unknown spec"
    spec_sha = manifest.get("spec_sha256") or (spec_json or {}).get("sha256") or "unknown"
    lang = config.get("language") or manifest.get("language") or "en"
    splits = [{"split": "train", "path": "data/train-*"}]
    if include_rejected and n_rejected_files:
        splits.append({"split": "rejected", "path": "data/rejected-*"})
    meta = {
        "license": config.get("license") or manifest.get("license") or "other",
        "language": lang if isinstance(lang, list) else [lang],
        "size_categories": [_size_category(st["docs"])],
        "task_categories": ["text-generation"],
        "tags": ["synthetic", "model-spec-midtraining", "docgen"],
        "pretty_name": f"{spec_name} (docgen MSM corpus)",
    }
    if meta["license"] == "other":
        meta["license_name"] = "see-generator-model-terms"
    meta["configs"] = [{"config_name": "default", "data_files": splits}]
    p: list[str] = ["---", yaml.safe_dump(meta, sort_keys=False, allow_unicode=True).rstrip(), "---", ""]
    p += [f"# {spec_name}: synthetic documents for Model Spec Midtraining", "",
          "Synthetic documents generated by docgen from a Model Spec. Each document explains "
          "behaviours of an AI assistant as consequences of the spec's values; every row carries its provenance "
          "(spec, value and rule ids, genre, generator, prompt hash, attribution evidence).", ""]
    p += ["## Spec", "", f"- name: {spec_name}", f"- id: `{manifest.get('spec_id') or (spec_json or {}).get('id', '')}`",
          f"- sha256: `{spec_sha}`"]
    if spec_json:
        p.append(f"- values: {len(spec_json.get('values', []))}, rules: {len(spec_json.get('rules', []))}")
    p += ["", "## Size", "",
          f"- train: {st['docs']} documents, {st['tokens']} tokens (cl100k_base), {_n(n_train_files, 'parquet file')}",
          f"- rejected: {sum(rej.values())} documents"
          + (f" ({_n(n_rejected_files, 'parquet file')} in the `rejected` split)" if splits[1:] else " (not exported)")]
    if manifest.get("planned") is not None:
        failed = manifest.get("failed") or {}
        nfail = sum(failed.values()) if isinstance(failed, dict) else failed
        p.append(f"- planned: {manifest['planned']} documents; failed to generate: {nfail}")
    p.append("")
    p += ["## Generators", "", _md_table(["model", "backend", "documents", "tokens"],
                                          [[m, b, n, st["gen_tok"][(m, b)]] for (m, b), n in sorted(st["gen"].items())]), ""]
    p += ["## Documents per genre", "", _md_table(["genre", "documents", "tokens"],
                                                 [[g, n, st["genre_tok"][g]] for g, n in sorted(st["genre"].items())]), ""]
    names = {v["id"]: v.get("name", "") for v in (spec_json or {}).get("values", [])}
    p += ["## Documents per value", "", "A document planned for several values counts once for each.", "",
          _md_table(["value", "name", "documents", "tokens"],
                    [[v, names.get(v, ""), n, st["value_tok"][v]] for v, n in sorted(st["value"].items())]), ""]
    p += ["## Filters", "", "Attribution verdicts of the accepted documents: "
          + (", ".join(f"{k} {n}" for k, n in sorted(st["verdict"].items())) or "none"), ""]
    if rej:
        p += ["Dropped documents by filter and reason:", "",
              _md_table(["filter", "reason", "documents"], [[f, r, n] for (f, r), n in sorted(rej.items())]), ""]
    if st["verdict"] and set(st["verdict"]) == {"unchecked"}:
        p += ["No attribution check ran while generating (all verdicts `unchecked`), so the coverage table "
              "below counts nothing; `docgen validate` checks them offline.", ""]
    fstats = {k: v for k, v in manifest.items() if "filter" in k.lower() and v}
    if fstats:
        p += ["Filter statistics recorded in the run's manifest:", "", "```json",
              json.dumps(scrub(fstats), indent=2, ensure_ascii=False, sort_keys=True), "```", ""]
    rules, genres, table = _coverage(spec_json, st["rows"])
    p += ["## Attribution coverage", "",
          "Accepted documents whose attribution check found the rule explicitly tied to a value "
          "(verdict `attributed`), per rule and genre.", ""]
    if rules and genres:
        p += [_md_table(["rule", *genres, "total"],
                        [[r, *[table.get(r, {}).get(g, 0) for g in genres], sum(table.get(r, {}).values())]
                         for r in rules]), ""]
    else:
        p += ["(no rules or no documents)", ""]
    p += ["## Columns", "", _md_table(["column", "meaning"], [[k, v] for k, v in COLUMNS_DOC.items()]), ""]
    p += ["## Use", "", "```python", "from datasets import load_dataset", "",
          "ds = load_dataset(\"OWNER/NAME\", split=\"train\")   # midtraining trains on ds[\"text\"]", "```", ""]
    p += ["## How to reproduce", "",
          "Run `docgen generate` with this resolved configuration (secrets are never stored; keys come from the "
          "environment) against the spec file whose sha256 is given above. Cached responses make a rerun resume.", "",
          "```json", json.dumps(config, indent=2, ensure_ascii=False, sort_keys=True), "```", ""]
    return scrub_text("\n".join(p))


def _is_export(p: Path) -> bool:
    return (p / EXPORT_MANIFEST).is_file()


def _n(n: int, noun: str) -> str:
    """``1 parquet file``, ``2 parquet files``."""
    return f"{n} {noun}{'' if n == 1 else 's'}"


def export(corpus: str | Path, out: str | Path, *, include_rejected: bool = False) -> dict[str, Any]:
    """Write a Hub-ready dataset folder for ``corpus`` to ``out``; return its export manifest.

    ``out`` must be missing, empty, or an earlier export (which is replaced).
    The same corpus always exports to the same bytes, so pushing it again is a no-op.
    """
    src, out = Path(corpus), Path(out)
    manifest = read_manifest(src) if src.is_dir() else None
    if manifest is None or "shards" not in manifest:
        raise UserError("not a docgen run directory (no manifest.json)", where=str(src),
                        hint="pass the directory `docgen generate` wrote")
    if out.exists() and any(out.iterdir()) and not _is_export(out):
        raise UserError("output directory exists and is not a docgen export", where=str(out),
                        hint="pass an empty or new directory with --out")
    if out.resolve() == src.resolve():
        raise UserError("--out must differ from the corpus directory", where=str(out))
    train = [src / e["path"] for e in manifest["shards"]]
    rejected = [src / e["path"] for e in manifest.get("rejected_shards", [])]
    if not train:
        raise UserError("the corpus has no accepted documents", where=str(src),
                        hint="run `docgen generate` until it writes at least one shard")
    for e in manifest["shards"] + manifest.get("rejected_shards", []):
        p = src / e["path"]
        if not p.is_file() or sha256_file(p) != e["sha256"]:
            raise UserError("shard is missing or does not match its sha256 in the manifest", where=str(p),
                            hint="the corpus changed after it was written; rerun `docgen generate` to repair it")

    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-", dir=out.parent))
    try:
        (tmp / "data").mkdir()
        plan = [("train", train)] + ([("rejected", rejected)] if include_rejected else [])
        for split, files in plan:
            for i, f in enumerate(files):
                shutil.copyfile(f, tmp / "data" / f"{split}-{i:05d}.parquet")   # stable names: adding a shard adds one file
        card = render_card(src, train=train, rejected=rejected, include_rejected=include_rejected,
                           n_train_files=len(train), n_rejected_files=len(rejected))
        (tmp / "README.md").write_text(card, encoding="utf-8")
        files = sorted(p for p in tmp.rglob("*") if p.is_file())
        em = {
            "format": "docgen-export", "version": 1,
            "spec_id": manifest.get("spec_id", ""), "spec_sha256": manifest.get("spec_sha256", ""),
            "documents": sum(e["documents"] for e in manifest["shards"]),
            "tokens": sum(e["tokens"] for e in manifest["shards"]),
            "rejected": sum(e["documents"] for e in manifest.get("rejected_shards", [])) if include_rejected else 0,
            "files": [{"path": p.relative_to(tmp).as_posix(), "sha256": sha256_file(p), "bytes": p.stat().st_size}
                      for p in files],
        }
        (tmp / EXPORT_MANIFEST).write_text(json.dumps(em, indent=2) + "\n", encoding="utf-8")
        # mkdtemp makes the folder 0700; the export gets the mode any new folder gets (umask)
        umask = os.umask(0)
        os.umask(umask)
        tmp.chmod(0o777 & ~umask)
        if out.exists():
            shutil.rmtree(out)
        os.replace(tmp, out)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return em


# --------------------------------------------------------------------------- push

class _Redact(logging.Filter):
    def __init__(self, secret: str):
        super().__init__()
        self.secret = secret

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            msg = record.getMessage()
        except Exception:  # pragma: no cover - a broken log call
            return True
        if self.secret in msg:
            record.msg, record.args = msg.replace(self.secret, REDACTED), ()
        return True


def git_blob_sha1(path: Path) -> str:
    h = hashlib.sha1(b"blob %d\0" % path.stat().st_size)
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _local_files(root: Path) -> dict[str, Path]:
    return {p.relative_to(root).as_posix(): p for p in sorted(root.rglob("*"))
            if p.is_file() and not any(part.startswith(".") for part in p.relative_to(root).parts)}


def _differs(local: Path, remote) -> bool:
    size = local.stat().st_size
    if remote.size != size:
        return True
    if remote.lfs is not None:
        return remote.lfs.sha256 != sha256_file(local)
    return remote.blob_id != git_blob_sha1(local)


def _token(token: str | None) -> str:
    from huggingface_hub import get_token

    tok = token or get_token()   # HF_TOKEN, then the token `hf auth login` stored
    if not tok:
        raise UserError("no Hugging Face token found",
                        hint="set HF_TOKEN to a token with write access, or run `hf auth login`")
    return tok


def _http_error(e: Exception, repo: str, stage: str, secret: str) -> UserError:
    """Turn a huggingface_hub / network exception into a UserError that never holds the token."""
    from huggingface_hub.errors import HfHubHTTPError, RepositoryNotFoundError

    status = getattr(getattr(e, "response", None), "status_code", None)
    if isinstance(e, RepositoryNotFoundError) or status == 404:
        return UserError(f"repository not found or not visible to this token while {stage}", where=repo,
                         hint="check --repo OWNER/NAME and that the token belongs to the owner")
    if status == 401:
        return UserError("the Hugging Face token was rejected (invalid or expired)",
                         hint="set HF_TOKEN to a valid token, or run `hf auth login`")
    if status == 403:
        return UserError(f"the token has no write access to {repo} ({stage} was refused)", where=repo,
                         hint="use a token with the 'write' role for this namespace")
    if status == 412:
        return UserError("the branch moved while pushing (someone else committed); nothing was changed", where=repo,
                         hint="rerun `docgen push` to push on top of the new head")
    if isinstance(e, HfHubHTTPError) or status is not None:
        what = f"HTTP {status}" if status else type(e).__name__
    else:
        what = type(e).__name__
    detail = scrub_text(str(e).splitlines()[0] if str(e) else "", (secret,))[:200]
    return UserError(f"network failure while {stage} ({what}: {detail}); the branch was not changed", where=repo,
                     hint="rerun the same `docgen push` to resume: files already uploaded are not sent again")


def push(corpus: str | Path, repo: str, private: bool = False, revision: str | None = None,
         token: str | None = None, *, include_rejected: bool = False) -> dict[str, Any]:
    """Push ``corpus`` (a run directory or an export) to the dataset repo ``repo`` in one commit.

    Returns ``{"repo", "revision", "commit" (None when nothing changed), "added", "deleted", "unchanged"}``.
    """
    _require("docgen push", "huggingface_hub")
    if not REPO_RE.match(repo or ""):
        raise UserError(f"--repo must be OWNER/NAME, got '{repo}'", hint="e.g. --repo alice/lighthouse-msm")
    src = Path(corpus)
    secret = _token(token)
    redact = _Redact(secret)
    handlers = logging.getLogger().handlers
    for h in handlers:
        h.addFilter(redact)
    try:
        with tempfile.TemporaryDirectory(prefix="docgen-push-") as td:
            root = src if _is_export(src) else Path(td) / "export"
            if root is not src:
                export(src, root, include_rejected=include_rejected)
            return _push_export(root, repo, private, revision, secret)
    finally:
        for h in handlers:
            h.removeFilter(redact)


def _push_export(root: Path, repo: str, private: bool, revision: str | None, secret: str) -> dict[str, Any]:
    from huggingface_hub import CommitOperationAdd, CommitOperationDelete, HfApi
    from huggingface_hub.errors import RevisionNotFoundError

    api = HfApi(token=secret)
    branch = revision or "main"
    stage = "checking the token"
    try:
        me = api.whoami(token=secret)
        role = ((me.get("auth") or {}).get("accessToken") or {}).get("role")
        if role == "read":
            raise UserError("the Hugging Face token is read-only", where=repo,
                            hint="create a token with the 'write' role and set HF_TOKEN to it")
        owner = repo.split("/")[0]
        mine = {me.get("name")} | {o.get("name") for o in me.get("orgs") or []}
        if owner not in mine:
            raise UserError(f"{repo} belongs to '{owner}', and this token is '{me.get('name')}'"
                            f"{' (orgs: ' + ', '.join(sorted(m for m in mine if m and m != me.get('name'))) + ')' if len(mine) > 1 else ''}",
                            where=repo, hint="push to a repo in your own namespace or an org you belong to")
        stage = "creating the repo"
        api.create_repo(repo, repo_type="dataset", private=True if private else None, exist_ok=True)
        stage = "reading the branch head"
        try:
            head = api.repo_info(repo, repo_type="dataset", revision=branch).sha
        except RevisionNotFoundError:
            if revision is None:
                raise
            api.create_branch(repo, branch=branch, repo_type="dataset", exist_ok=True)
            head = api.repo_info(repo, repo_type="dataset", revision=branch).sha
        stage = "listing the remote files"
        remote = {f.path: f for f in api.list_repo_tree(repo, repo_type="dataset", revision=head, recursive=True)
                  if hasattr(f, "blob_id")}
        local = _local_files(root)
        adds = [p for p, f in local.items() if p not in remote or _differs(f, remote[p])]
        deletes = sorted(p for p in remote if p not in local and p not in KEEP_REMOTE)
        result = {"repo": repo, "revision": branch, "parent": head, "commit": None, "added": adds,
                  "deleted": deletes, "unchanged": len(local) - len(adds)}
        if not adds and not deletes:
            log.info("remote %s@%s already equals the export; no commit", repo, branch)
            return result
        em = _read_json(root / EXPORT_MANIFEST) or {}
        ops = [CommitOperationAdd(path_in_repo=p, path_or_fileobj=str(local[p])) for p in adds]
        ops += [CommitOperationDelete(path_in_repo=p) for p in deletes]
        stage = "uploading and committing"
        info = api.create_commit(
            repo, ops, repo_type="dataset", revision=branch, parent_commit=head,
            commit_message=f"docgen push: {em.get('spec_id') or 'corpus'} ({em.get('documents', '?')} documents)",
            commit_description=f"{len(adds)} file(s) added or changed, {len(deletes)} deleted; "
                               f"spec sha256 {em.get('spec_sha256', '')}")
        result["commit"] = info.oid
        return result
    except UserError:
        raise
    except Exception as e:  # every failure below becomes a message that cannot hold the token
        raise _http_error(e, repo, stage, secret) from None
