"""Batch APIs (OpenAI Batch, Anthropic Message Batches) through docgen.batch.

Against the loopback fault server, a stand-in for the providers' batch
endpoints that answers in reverse order, ends a batch after a set number of
polls, and fails chosen items (errored, expired, invalid) once — things the
real services cannot be asked to do. The server records every batch created
and the custom_ids it held; the tests assert exactly one remote batch per
chunk after crashes at the named points, including a real SIGKILL.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import textwrap
from collections import Counter
from pathlib import Path

import pytest

from docgen.backends import get_backend
from docgen.backends.base import BackendError, Completion, Request
from docgen.batch import BatchJournal, remote_custom_id, run_batches
from docgen.retry import RetryPolicy
from tests.servers.fault_server import Fault

PROVIDERS = ["openai", "anthropic"]
FAST = RetryPolicy(max_attempts=4, base_delay=0.01, max_delay=0.05, seed=0)


class SimulatedCrash(BaseException):
    """Raised by a crash hook; BaseException so nothing in docgen swallows it."""


def reqs(n: int) -> list[Request]:
    return [Request([{"role": "user", "content": f"doc {i}"}], custom_id=f"item-{i}") for i in range(n)]


def backend(srv, provider):
    url = srv.openai_base_url if provider == "openai" else srv.anthropic_base_url
    return get_backend(provider, "batch-model", base_url=url)


def go(srv, provider, requests, db, **kw):
    async def main():
        b = backend(srv, provider)
        try:
            return await run_batches(b, requests, BatchJournal(db), poll_interval=0.01, policy=FAST, **kw)
        finally:
            await b.aclose()

    return asyncio.run(main())


def per_item_batches(srv) -> Counter:
    return Counter(cid for bid in srv.batches.requests_of for cid in srv.batches.requests_of[bid])


@pytest.mark.parametrize("provider", PROVIDERS)
def test_chunks_poll_and_join_by_custom_id(fault_server, keys, tmp_path, provider):
    fault_server.batches.polls_to_end = 3
    res = go(fault_server, provider, reqs(10), tmp_path / "b.sqlite", chunk_size=4)
    assert list(res) == [f"item-{i}" for i in range(10)]
    # results come back reversed; each must still land on its own request
    assert all(isinstance(c, Completion) and c.text == f"echo: doc {i}" and c.finish_reason == "stop"
               for i, c in enumerate(res.values()))
    assert [len(v) for v in fault_server.batches.requests_of.values()] == [4, 4, 2]
    assert per_item_batches(fault_server) == Counter({f"item-{i}": 1 for i in range(10)})


@pytest.mark.parametrize("provider", PROVIDERS)
def test_only_retryable_failures_are_resubmitted(fault_server, keys, tmp_path, provider):
    fault_server.batches.item_faults = {"item-1": ["errored"], "item-2": ["expired"], "item-3": ["invalid"],
                                        "item-4": ["length"]}
    res = go(fault_server, provider, reqs(6), tmp_path / "b.sqlite")
    created = list(fault_server.batches.requests_of.values())
    assert len(created) == 2 and sorted(created[1]) == ["item-1", "item-2"]   # only these went again
    assert isinstance(res["item-3"], BackendError) and not res["item-3"].retryable
    assert res["item-4"].finish_reason == "length"        # a response, but the engine will not accept it
    ok = [c for c in res.values() if isinstance(c, Completion) and c.finish_reason == "stop"]
    failed = [c for c in res.values() if not (isinstance(c, Completion) and c.finish_reason == "stop")]
    assert len(ok) + len(failed) == 6 and len(ok) == 4


@pytest.mark.parametrize("provider", PROVIDERS)
def test_resubmission_is_bounded(fault_server, keys, tmp_path, provider):
    fault_server.batches.item_faults = {"item-0": ["errored"] * 5}
    res = go(fault_server, provider, reqs(2), tmp_path / "b.sqlite", max_rounds=3)
    assert isinstance(res["item-0"], BackendError) and res["item-0"].retryable
    assert per_item_batches(fault_server)["item-0"] == 3


@pytest.mark.parametrize("provider", PROVIDERS)
@pytest.mark.parametrize("point", ["after_intent", "after_batch_create", "after_collect"])
def test_crash_at_named_points_then_rerun_one_batch_per_chunk(fault_server, keys, tmp_path, provider, point):
    db = tmp_path / "b.sqlite"
    seen = []

    def hook(name):
        seen.append(name)
        if name == point and seen.count(name) == 2:          # crash at the second chunk
            raise SimulatedCrash(name)

    with pytest.raises(SimulatedCrash):
        go(fault_server, provider, reqs(9), db, chunk_size=3, crash_hook=hook)
    before = len(fault_server.batches.created)
    res = go(fault_server, provider, reqs(9), db, chunk_size=3)
    assert all(isinstance(c, Completion) and c.text == f"echo: doc {i}" for i, c in enumerate(res.values()))
    assert len(fault_server.batches.created) == 3                 # exactly one remote batch per chunk
    assert per_item_batches(fault_server) == Counter({f"item-{i}": 1 for i in range(9)})
    # all intents are journalled before any create; all creates before the first poll
    assert before == {"after_intent": 0, "after_batch_create": 2, "after_collect": 3}[point]


@pytest.mark.parametrize("provider", PROVIDERS)
def test_rerun_after_completion_sends_nothing(fault_server, keys, tmp_path, provider):
    db = tmp_path / "b.sqlite"
    first = go(fault_server, provider, reqs(5), db)
    n = len(fault_server.ledger)
    again = go(fault_server, provider, reqs(5), db)
    assert len(fault_server.ledger) == n
    assert [c.text for c in again.values()] == [c.text for c in first.values()]


@pytest.mark.parametrize("provider", PROVIDERS)
def test_failed_create_is_retried_find_first(fault_server, keys, tmp_path, provider):
    fault_server.plan(Fault.error(500, route="batch", path="POST"), Fault.error(503, route="batch", path="POST"))
    res = go(fault_server, provider, reqs(4), tmp_path / "b.sqlite")
    assert all(isinstance(c, Completion) for c in res.values())
    assert len(fault_server.batches.created) == 1
    posts = [e.status for e in fault_server.ledger if e.route.startswith("batch") and e.path.startswith("POST")]
    assert posts[:2] == [500, 503]


@pytest.mark.parametrize("provider", PROVIDERS)
def test_create_whose_answer_was_lost_is_adopted_not_repeated(fault_server, keys, tmp_path, provider):
    # the server creates the batch, then the answer is lost (a 502 here; a timeout is the same)
    create = "POST /v1/batches" if provider == "openai" else "POST /v1/messages/batches"
    fault_server.plan(Fault.error(502, route="batch", path=create, lose_response=True))
    res = go(fault_server, provider, reqs(4), tmp_path / "b.sqlite")
    assert all(isinstance(c, Completion) and c.finish_reason == "stop" for c in res.values())
    assert len(fault_server.batches.created) == 1
    assert 502 in [e.status for e in fault_server.ledger]


@pytest.mark.parametrize("provider", PROVIDERS)
def test_transient_errors_while_polling_are_retried(fault_server, keys, tmp_path, provider):
    fault_server.batches.polls_to_end = 2
    fault_server.plan(Fault.error(503, route="batch", path="GET"), Fault.error(429, route="batch", path="GET"))
    res = go(fault_server, provider, reqs(3), tmp_path / "b.sqlite")
    assert all(isinstance(c, Completion) for c in res.values()) and len(fault_server.batches.created) == 1
    assert [e.status for e in fault_server.ledger if e.status in (429, 503)] == [503, 429]


def test_changed_request_is_not_served_from_an_old_result(fault_server, keys, tmp_path):
    db = tmp_path / "b.sqlite"
    go(fault_server, "openai", reqs(2), db)
    changed = reqs(2)
    changed[1].messages = [{"role": "user", "content": "doc changed"}]
    res = go(fault_server, "openai", changed, db)
    assert res["item-1"].text == "echo: doc changed" and res["item-0"].text == "echo: doc 0"
    assert fault_server.batches.requests_of[fault_server.batches.created[-1][1]] == ["item-1"]


def test_remote_custom_ids_are_valid_for_both_apis():
    assert remote_custom_id("item-1_a") == "item-1_a"
    rid = remote_custom_id("spec/v1:value 3#idea")
    assert rid != remote_custom_id("spec/v1:value 3#idea2") and len(rid) <= 64 and rid.isalnum()


_CHILD = textwrap.dedent("""
    import asyncio, sys
    sys.path.insert(0, {root!r})
    from docgen.backends import get_backend
    from docgen.backends.base import Request
    from docgen.batch import BatchJournal, run_batches
    async def main():
        b = get_backend("openai", "batch-model", base_url={url!r})
        reqs = [Request([{{"role": "user", "content": f"doc {{i}}"}}], custom_id=f"item-{{i}}") for i in range(6)]
        res = await run_batches(b, reqs, BatchJournal({db!r}), chunk_size=2, poll_interval=0.01)
        print(sum(1 for c in res.values() if c.finish_reason == "stop"))
    asyncio.run(main())
""")


@pytest.mark.slow          # starts real processes (~3 s each); the in-process crash tests above are fast
@pytest.mark.parametrize("point", ["after_batch_create", "after_intent"])
def test_sigkill_at_a_named_point_then_rerun(fault_server, keys, tmp_path, point):
    root = str(Path(__file__).resolve().parents[2])
    code = _CHILD.format(root=root, url=fault_server.openai_base_url, db=str(tmp_path / "b.sqlite"))
    env = {**os.environ, "DOCGEN_CRASHPOINT": point}
    p = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
    assert p.returncode == -signal.SIGKILL, p.stderr
    assert len(fault_server.batches.created) == (1 if point == "after_batch_create" else 0)
    env.pop("DOCGEN_CRASHPOINT")
    p = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    assert p.stdout.strip() == "6"
    assert len(fault_server.batches.created) == 3
    assert per_item_batches(fault_server) == Counter({f"item-{i}": 1 for i in range(6)})
