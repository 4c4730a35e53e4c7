"""docgen export / push / load_corpus, against a loopback STAND-IN of the Hub's HTTP API.

The "Hub" here is ``tests/hub/hub_standin.py``: a small threaded HTTP server on
127.0.0.1 that implements just the routes huggingface_hub and datasets call.
It is a stand-in, not the real Hugging Face Hub; what it models and what it
does not is in its docstring. The client side is real: ``docgen push`` runs in
a subprocess with ``HF_ENDPOINT`` pointing at the stand-in and
``HF_HUB_DISABLE_XET=1``, so huggingface_hub's own preupload / LFS batch /
upload / commit code talks to it.

Fault tests make the client's retry back-off sleeps instant in that subprocess
(the retries themselves still happen), so a fault that outlasts them fails in
milliseconds instead of ~25 s.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest

sys.path.insert(0, str(Path(__file__).parent))
from hub_standin import HubStandin  # noqa: E402

from docgen.corpus import Attribution, CorpusWriter, Document, iter_documents, sha256_file  # noqa: E402
from docgen.spec import Spec  # noqa: E402

pytest.importorskip("huggingface_hub")
pytest.importorskip("datasets")

ROOT = Path(__file__).resolve().parents[2]
CANARY = "hf_CANARYq7Zp3Lw9Xk2Rt5Vb8Nm4"
READ_TOKEN = "hf_READONLYa1b2c3d4e5f6g7h8"
FINE_TOKEN = "hf_FINEGRAINEDz9y8x7w6v5u4"
USERS = {
    CANARY: {"name": "alice", "orgs": ["acme"], "role": "write"},
    READ_TOKEN: {"name": "alice", "orgs": [], "role": "read"},
    FINE_TOKEN: {"name": "carol", "orgs": [], "role": "fineGrained"},   # no write permission anywhere
}
FAST_BACKOFF = "import time, sys, runpy; time.sleep = lambda s: None; sys.argv[0] = 'docgen'; runpy.run_module('docgen', run_name='__main__')"


# --------------------------------------------------------------------------- fixtures

def make_corpus(run: Path, n: int = 10, offset: int = 0) -> Path:
    spec = Spec(id="lighthouse", title="Lighthouse Spec", source="lighthouse.md", sha256="ab" * 32, format="markdown",
                values=[{"id": "honesty", "name": "Honesty", "statement": "Be honest.", "lines": {"start": 1, "end": 2}},
                        {"id": "care", "name": "Care", "statement": "Care for users.", "lines": {"start": 3, "end": 4}}],
                rules=[{"id": "r-no-lies", "text": "Do not lie.", "value_ids": ["honesty"], "lines": {"start": 5, "end": 5}},
                       {"id": "r-escalate", "text": "Escalate harm.", "value_ids": ["care"], "lines": {"start": 6, "end": 6}},
                       {"id": "r-unused", "text": "Never taught.", "value_ids": ["care"], "lines": {"start": 7, "end": 7}}])
    run.mkdir(parents=True, exist_ok=True)
    (run / "spec.json").write_text(spec.model_dump_json())
    (run / "config.json").write_text(json.dumps({
        "backend": "local", "model": "qwen-tiny", "genres": ["memo", "blog"],
        "api_key": "sk-live-NOTAREALKEY123456", "base_url": "https://user:hunter2@example.com/v1",
        "note": "copied hf_LEAKEDTOKEN0000 by mistake"}))
    meta = {"spec_id": "lighthouse", "spec_sha256": "ab" * 32,
            "filters": {"quality": {"kept": n, "dropped": 3}, "near_dup": {"kept": n, "dropped": 0}}}
    with CorpusWriter(run, shard_docs=4, meta=meta) as w:
        for i in range(offset, offset + n):
            g, v, r = (("memo", "honesty", "r-no-lies"), ("blog", "care", "r-escalate"))[i % 2]
            att = Attribution(verdict="attributed" if i % 3 else "not_attributed", method="judge",
                              value_ids=[v], rule_ids=[r], evidence=f"because of {v}", confidence=0.5 + i / 100)
            w.add(Document(text=f"Document {i}: the assistant acts this way because it values {v}. " * 4,
                           spec_id="lighthouse", spec_sha256="ab" * 32, value_ids=[v], rule_ids=[r], genre=g,
                           backend="local", model="qwen-tiny", attribution=att, created_at="2024-01-01T00:00:00Z"))
        if offset == 0:
            for i in range(3):
                w.reject(Document(text=f"too short {i}", genre="memo", reject_reason="too_short",
                                  reject_filter="quality", reject_evidence=f"{i} words", created_at="2024-01-01T00:00:00Z"))
    return run


@pytest.fixture(scope="module")
def hub():
    with HubStandin(USERS) as h:
        yield h


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    return make_corpus(tmp_path_factory.mktemp("corpus") / "run")


@pytest.fixture(scope="module")
def exported(corpus, tmp_path_factory) -> Path:
    """The corpus exported once (with the rejected split); `docgen push` accepts an export as well as a run."""
    from docgen.hub import export

    out = tmp_path_factory.mktemp("exported") / "export"
    export(corpus, out, include_rejected=True)
    return out


@pytest.fixture
def env(hub, tmp_path) -> dict[str, str]:
    home = tmp_path / "home"
    home.mkdir()
    e = {k: v for k, v in os.environ.items() if not k.startswith(("HF_", "HUGGING"))}
    e.update(HF_ENDPOINT=hub.endpoint, HF_HUB_DISABLE_XET="1", HF_TOKEN=CANARY, HOME=str(home),
             HF_HOME=str(home / "hf"), HF_DATASETS_CACHE=str(home / "ds"), HF_HUB_DISABLE_TELEMETRY="1",
             PYTHONPATH=str(ROOT), NO_COLOR="1")
    return e


def docgen(args: list[str], env: dict[str, str], *, fast_backoff: bool = False) -> subprocess.CompletedProcess:
    head = [sys.executable, "-c", FAST_BACKOFF] if fast_backoff else [sys.executable, "-m", "docgen"]
    return subprocess.run(head + args, env=env, cwd=ROOT, capture_output=True, text=True, timeout=120)


def export_manifest_tree(export_dir: Path) -> dict[str, str]:
    """{path: sha256} every file of an export should have on the Hub (+ the Hub's .gitattributes)."""
    em = json.loads((export_dir / "docgen_export.json").read_text())
    tree = {f["path"]: f["sha256"] for f in em["files"]}
    tree["docgen_export.json"] = sha256_file(export_dir / "docgen_export.json")
    return tree


def remote_tree(hub: HubStandin, repo: str, branch: str = "main") -> dict[str, str]:
    return {p: v["sha256"] for p, v in hub.tree(repo, branch).items() if p != ".gitattributes"}


def writes(hub: HubStandin, since: int) -> list[str]:
    return [f"{e['method']} {e['path']}" for e in hub.ledger[since:]
            if e["method"] in ("POST", "PUT") and "/revision/" not in e["path"] and "whoami" not in e["path"]
            and not e["path"].endswith("/repos/create") and "paths-info" not in e["path"]]


# --------------------------------------------------------------------------- export and round trip

def test_export_layout_card_and_scrubbed_config(corpus, tmp_path):
    from docgen.hub import export

    out = tmp_path / "export"
    em = export(corpus, out, include_rejected=True)
    names = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    assert names == ["README.md", "data/rejected-00000.parquet", "data/train-00000.parquet",
                     "data/train-00001.parquet", "data/train-00002.parquet", "docgen_export.json"]
    manifest = json.loads((corpus / "manifest.json").read_text())
    # shards are copied byte for byte: same sha256 as the run's manifest
    assert [f["sha256"] for f in em["files"] if f["path"].startswith("data/train-")] == \
        [s["sha256"] for s in manifest["shards"]]
    card = (out / "README.md").read_text()
    import yaml

    meta = yaml.safe_load(card.split("---")[1])
    assert meta["license"] and meta["language"] == ["en"] and meta["size_categories"] == ["n<1K"]
    assert meta["task_categories"] == ["text-generation"]
    assert meta["configs"][0]["data_files"] == [{"split": "train", "path": "data/train-*"},
                                                {"split": "rejected", "path": "data/rejected-*"}]
    assert "Lighthouse Spec" in card and "ab" * 32 in card and "qwen-tiny" in card
    assert "| memo | 5 |" in card and "| honesty | Honesty | 5 |" in card
    assert "| quality | too_short | 3 |" in card and '"near_dup"' in card
    # coverage: 10 docs, i % 3 != 0 attributed; memo docs (even i) teach r-no-lies: i=2,4,8 -> 3
    assert "| r-no-lies | " in card and "| r-unused | 0 | 0 | 0 |" in card
    row = next(line for line in card.splitlines() if line.startswith("| r-no-lies |"))
    assert row.split("|")[-2].strip() == "3"
    for secret in ("sk-live-NOTAREALKEY123456", "hunter2", "hf_LEAKEDTOKEN0000"):
        assert secret not in card
    assert '"api_key": "<redacted>"' in card and '"model": "qwen-tiny"' in card
    # same corpus, same bytes: a second export is identical (so a second push is a no-op)
    em2 = export(corpus, out, include_rejected=True)
    assert em2 == em


def test_export_refuses_a_foreign_directory(corpus, tmp_path, env):
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("keep me")
    r = docgen(["export", str(corpus), "--out", str(tmp_path / "mine")], env)
    assert r.returncode == 2 and "not a docgen export" in r.stderr and "Traceback" not in r.stderr
    assert (tmp_path / "mine" / "notes.txt").read_text() == "keep me"


def test_load_corpus_and_plain_datasets_round_trip(corpus, tmp_path, env):
    import docgen
    from docgen.hub import export

    out = tmp_path / "export"
    export(corpus, out, include_rejected=True)
    expected = [d.to_row() for d in iter_documents(corpus)]
    for src in (corpus, out):
        ds = docgen.load_corpus(src)
        assert ds.num_rows == 10
        assert ds.to_list() == expected
        assert set(ds.features["attribution"].keys()) == {"verdict", "method", "value_ids", "rule_ids",
                                                          "evidence", "confidence"}
        rej = docgen.load_corpus(src, split="rejected")
        assert rej.num_rows == 3 and set(rej["reject_reason"]) == {"too_short"}
    # without docgen at all: `import docgen` is made to fail in that process
    script = (
        "import sys, json; sys.modules['docgen'] = None\n"
        "import datasets\n"
        f"a = datasets.load_dataset('parquet', data_files={{'train': {str(out / 'data' / 'train-*.parquet')!r}}}, split='train')\n"
        f"b = datasets.load_dataset('parquet', data_files={str(corpus / 'data' / '*.parquet')!r}, split='train')\n"
        "print(json.dumps({'a': a.to_list(), 'b': b.to_list(), 'att': str(a.features['attribution'])}))\n")
    r = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr[-2000:]
    got = json.loads(r.stdout.strip().splitlines()[-1])
    assert got["a"] == expected and got["b"] == expected
    assert "verdict" in got["att"] and "confidence" in got["att"]


def test_load_corpus_empty_rejected_split(tmp_path):
    import docgen

    run = tmp_path / "run"
    with CorpusWriter(run, shard_docs=10) as w:
        w.add(Document(text="only one document"))
    assert docgen.load_corpus(run, split="rejected").num_rows == 0
    assert "attribution" in docgen.load_corpus(run, split="rejected").column_names


# --------------------------------------------------------------------------- push

def test_fresh_push_then_rerun_makes_no_commit_then_load_from_hub(hub, corpus, env, tmp_path):
    repo = "alice/fresh"
    r = docgen(["push", str(corpus), "--repo", repo, "--include-rejected"], env)
    assert r.returncode == 0, r.stderr[-3000:]
    assert "pushed alice/fresh@main: commit" in r.stdout
    commits = hub.branch_commits(repo)
    assert len(commits) == 2 and commits[1].message == "initial commit"
    out = tmp_path / "export"
    from docgen.hub import export

    export(corpus, out, include_rejected=True)
    assert remote_tree(hub, repo) == export_manifest_tree(out)
    assert hub.tree(repo)["data/train-00000.parquet"]["lfs"] is True
    assert ".gitattributes" in hub.tree(repo)         # the Hub's own file is never deleted by a push

    n = len(hub.ledger)
    r2 = docgen(["push", str(corpus), "--repo", repo, "--include-rejected"], env)
    assert r2.returncode == 0 and "up to date" in r2.stdout and "no commit" in r2.stdout
    assert len(hub.branch_commits(repo)) == 2
    assert writes(hub, n) == []      # no preupload, no LFS batch, no upload, no commit

    # the pushed dataset loads back from the (stand-in) Hub with datasets, both splits
    script = ("import datasets, json; d = datasets.load_dataset('alice/fresh');"
              "print(json.dumps([{k: d[k].num_rows for k in d}, d['train'][0]['attribution']]))")
    r3 = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=120)
    assert r3.returncode == 0, r3.stderr[-2000:]
    counts, att = json.loads(r3.stdout.strip().splitlines()[-1])
    assert counts == {"train": 10, "rejected": 3}
    assert att["evidence"].startswith("because of")


def test_changed_corpus_updates_and_deletes_in_one_commit(hub, corpus, env, tmp_path):
    repo = "acme/changing"          # an org the token's user belongs to
    assert docgen(["push", str(corpus), "--repo", repo, "--include-rejected"], env).returncode == 0
    grown = make_corpus(tmp_path / "grown", n=14)       # one more shard; README changes
    n_uploads = len(hub.uploads)
    r = docgen(["push", str(grown), "--repo", repo], env)          # no rejected split this time
    assert r.returncode == 0, r.stderr[-3000:]
    commits = hub.branch_commits(repo)
    assert len(commits) == 3
    out = tmp_path / "export"
    from docgen.hub import export

    export(grown, out)
    tree = remote_tree(hub, repo)
    assert tree == export_manifest_tree(out)
    assert "data/rejected-00000.parquet" not in tree          # deleted in the same commit
    assert "1 deleted" in r.stdout
    # only parquet content not already on the Hub was uploaded
    new = [oid for rid, oid in hub.uploads[n_uploads:] if rid == repo]
    old_shas = {b.lfs_sha256 for b in commits[1].tree.values() if b.lfs_sha256}
    assert new and not (set(new) & old_shas)


def test_push_to_a_new_branch_leaves_main(hub, exported, env):
    repo = "alice/branchy"
    hub.add_repo(repo)
    main_head = hub.repos[("dataset", repo)].branches["main"]
    r = docgen(["push", str(exported), "--repo", repo, "--revision", "dev"], env)
    assert r.returncode == 0, r.stderr[-3000:]
    assert "pushed alice/branchy@dev" in r.stdout
    assert hub.repos[("dataset", repo)].branches["main"] == main_head           # main did not move
    assert list(hub.tree(repo, "main")) == [".gitattributes"]
    assert remote_tree(hub, repo, "dev") == export_manifest_tree(exported)
    assert [c.parent for c in hub.branch_commits(repo, "dev")][0] == main_head   # one commit, on top of main


FAULTS = [(route, kind) for route in ("upload", "commit") for kind in ("429", "500", "reset")]


@pytest.mark.parametrize("route,kind", FAULTS, ids=[f"{r}-{k}" for r, k in FAULTS])
def test_failure_then_rerun_converges_with_one_commit(hub, exported, env, route, kind):
    repo = f"alice/fault-{route}-{kind}"
    hub.inject(route, kind, times=None)          # fails until cleared, outlasting the client's retries
    r = docgen(["push", str(exported), "--repo", repo], env, fast_backoff=True)
    assert r.returncode == 2, (r.stdout, r.stderr[-3000:])
    assert "rerun" in r.stderr and "Traceback" not in r.stderr
    assert (route, kind) in hub.fired
    assert len(hub.branch_commits(repo)) == 1              # the branch did not move
    hub.clear_faults()
    uploaded_before = [oid for rid, oid in hub.uploads if rid == repo]

    r2 = docgen(["push", str(exported), "--repo", repo], env)
    assert r2.returncode == 0, r2.stderr[-3000:]
    assert len(hub.branch_commits(repo)) == 2              # exactly one new commit
    assert remote_tree(hub, repo) == export_manifest_tree(exported)
    uploaded = [oid for rid, oid in hub.uploads if rid == repo]
    assert len(uploaded) == len(set(uploaded))             # nothing already on the Hub was sent again
    if route == "commit":
        assert uploaded_before and uploaded == uploaded_before   # the rerun sent only the commit


def test_transient_upload_fault_is_retried_within_one_push(hub, exported, env):
    repo = "alice/transient"
    hub.inject("upload", "500", times=2)
    r = docgen(["push", str(exported), "--repo", repo], env, fast_backoff=True)
    hub.clear_faults()
    assert r.returncode == 0, r.stderr[-3000:]
    assert len(hub.branch_commits(repo)) == 2


def test_commit_applied_but_response_lost(hub, exported, env):
    repo = "alice/lost-response"
    hub.inject("commit", "reset", times=1, after=True)
    r = docgen(["push", str(exported), "--repo", repo], env)
    hub.clear_faults()
    assert r.returncode == 2 and "rerun" in r.stderr
    assert len(hub.branch_commits(repo)) == 2              # the commit landed; its reply did not
    r2 = docgen(["push", str(exported), "--repo", repo], env)
    assert r2.returncode == 0 and "up to date" in r2.stdout
    assert len(hub.branch_commits(repo)) == 2


def test_stale_parent_commit_is_refused(hub, exported, env):
    """Someone commits between our read of the head and our commit: the Hub answers 412."""
    repo = "alice/racy"
    hub.add_repo(repo)
    hub.once("upload", lambda h: h.external_commit(repo))    # the branch moves while we upload
    r = docgen(["push", str(exported), "--repo", repo], env)
    assert r.returncode == 2 and "branch moved" in r.stderr and "Traceback" not in r.stderr
    assert [c.message for c in hub.branch_commits(repo)] == ["someone else", "initial commit"]
    assert docgen(["push", str(exported), "--repo", repo], env).returncode == 0
    assert len(hub.branch_commits(repo)) == 3


# --------------------------------------------------------------------------- errors and the token

@pytest.mark.parametrize("case", ["no-token", "read-only", "no-write-403", "someone-elses", "bad-repo-name"])
def test_user_errors_exit_2_without_traceback(hub, corpus, env, case):
    repo = "alice/errs"
    if case == "no-token":
        env.pop("HF_TOKEN")
        want = "no Hugging Face token"
    elif case == "read-only":
        env["HF_TOKEN"] = READ_TOKEN
        want = "read-only"
    elif case == "no-write-403":
        env["HF_TOKEN"] = FINE_TOKEN
        repo = "carol/errs"
        want = "no write access"
    elif case == "someone-elses":
        repo = "bob/errs"
        want = "belongs to 'bob'"
    else:
        repo = "not a repo"
        want = "OWNER/NAME"
    n = len(hub.commits)
    r = docgen(["push", str(corpus), "--repo", repo], env)
    assert r.returncode == 2, (r.stdout, r.stderr)
    assert want in r.stderr and "Traceback" not in r.stderr and r.stderr.startswith("error:")
    assert len(hub.commits) == n
    for tok in (CANARY, READ_TOKEN, FINE_TOKEN):
        assert tok not in r.stdout + r.stderr


def test_canary_token_never_printed_logged_or_written(hub, corpus, env, tmp_path):
    repo = "alice/canary"
    outputs = []
    hub.inject("commit", "500", times=1)
    outputs.append(docgen(["--debug", "push", str(corpus), "--repo", repo], env))
    hub.clear_faults()
    outputs.append(docgen(["--debug", "push", str(corpus), "--repo", repo, "--include-rejected"], env))
    outputs.append(docgen(["--debug", "push", str(corpus), "--repo", "bob/canary"], env))
    # failures under --debug show a traceback by design (docgen.cli), so only success/failure is checked
    assert [o.returncode == 0 for o in outputs] == [False, True, False], [o.stderr[-500:] for o in outputs]
    assert "DEBUG" in outputs[1].stderr and "Traceback" in outputs[0].stderr   # debug logging was on
    for o in outputs:
        assert CANARY not in o.stdout and CANARY not in o.stderr
    # the token was sent (the stand-in authenticated the pushes) ...
    assert len(hub.branch_commits(repo)) >= 2
    # ... but is in no file: HOME, HF_HOME, caches, the corpus, the export, nor the remote repo
    for root in (Path(env["HOME"]), corpus, tmp_path):
        for p in root.rglob("*"):
            if p.is_file():
                assert CANARY.encode() not in p.read_bytes(), p
    for c in hub.branch_commits(repo):
        for b in c.tree.values():
            assert CANARY.encode() not in (b.data or b"")
    assert CANARY not in json.dumps(hub.ledger)


def test_import_docgen_does_not_import_datasets(env):
    code = "import sys, docgen; print('datasets' in sys.modules, 'huggingface_hub' in sys.modules, callable(docgen.load_corpus))"
    r = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
    assert r.stdout.split() == ["False", "False", "True"], r.stderr


def test_missing_extra_says_how_to_install(env, corpus):
    code = ("import sys; sys.modules['huggingface_hub'] = None\n"
            "from docgen.cli import main\n"
            f"sys.exit(main(['push', {str(corpus)!r}, '--repo', 'alice/x']))")
    r = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
    assert r.returncode == 2 and "pip install 'docgen[hub]'" in r.stderr and "Traceback" not in r.stderr
