"""The public functions of :mod:`docgen` (re-exported there; the CLI is a thin layer over them).

Each takes a spec as a path or a parsed :class:`~docgen.spec.Spec`, and the same
options as the command of the same name, with the flag's name in snake case.
Bad input raises a :class:`~docgen.errors.UserError` that says what to do.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable

from .errors import UserError
from .spec import Spec, parse_spec

if TYPE_CHECKING:
    from .backends.base import Backend
    from .config import RunConfig
    from .coverage import Validation
    from .engine import RunResult
    from .plan import Plan


def _spec_path(spec: str | Path | Spec) -> str:
    if isinstance(spec, Spec):
        if not spec.source or not Path(spec.source).is_file():
            raise UserError("this Spec was not read from a file, and a run records its spec file",
                            hint="pass the spec's path, or parse it with docgen.parse_spec(PATH)")
        return spec.source
    return str(spec)


def run_config(spec: str | Path | Spec, out: str | Path | None = None, *, config: str | Path | None = None,
               **options: Any) -> RunConfig:
    """The validated run config for ``spec`` (a config file, if given, overridden by ``options``).

    ``options`` are :class:`~docgen.config.RunConfig` fields (``docs``, ``genres``, ``backend``,
    ``model``, ``params``, ``filters``, ``max_cost``, ...); ``None`` leaves a field at its default.
    """
    from .config import load_config

    return load_config(config, {"spec": _spec_path(spec), "out": str(out) if out is not None else "-", **options})


def plan(spec: str | Path | Spec, *, docs: int | None = None, target_tokens: int | None = None,
         genres: list[str] | None = None, seed: int | None = None, config: str | Path | None = None,
         **options: Any) -> Plan:
    """Plan a corpus without sending anything: cells, documents and a token/cost estimate.

    >>> p = docgen.plan("corpora/examples/wren_spec.md", docs=10)          # doctest: +SKIP
    >>> len(p.items), p.items[0].rule_id, p.items[0].genre                  # doctest: +SKIP
    (10, 'W1', 'memo')
    >>> p.estimate["output_tokens"]                                         # doctest: +SKIP
    1350

    ``backend`` and ``model`` (in ``options``) only shape the estimate.
    """
    from .engine import Engine

    cfg = run_config(spec, None, config=config, docs=docs, target_tokens=target_tokens, genres=genres, seed=seed,
                     **options)
    eng = Engine(cfg)                  # no backend is created: nothing is sent
    p = eng.plan
    p.estimate, p.spec = eng.estimate(), eng.spec
    return p


def generate(spec: str | Path | Spec, out: str | Path, *, docs: int | None = None,
             target_tokens: int | None = None, genres: list[str] | None = None, backend: str | Backend | None = None,
             model: str | None = None, progress: bool | None = None, fill_gaps: Any = None,
             retry_failed: bool = False, config: str | Path | None = None, **options: Any) -> RunResult:
    """Generate (or resume) a corpus in the run directory ``out``; return what was kept, dropped and spent.

    >>> run = docgen.generate("corpora/examples/wren_spec.md", "runs/wren", docs=6,
    ...                       progress=False)                               # doctest: +SKIP
    >>> run.accepted, run.failed                                            # doctest: +SKIP
    (4, {'max_attempts: quality: too_short': 2})

    Rerunning with the same arguments resumes: what is done is not sent again.
    ``backend`` is a name (``local``, the embedded model; ``openai``, ``anthropic``,
    ``vllm``) or a backend object. ``progress``: a bar on a terminal (None: when stderr
    is one), plain lines (True off a terminal), or nothing at all (False).
    ``fill_gaps``: coverage :class:`~docgen.coverage.Thresholds`; plans and generates
    only what the run directory lacks to meet them. ``retry_failed`` gives items that failed
    permanently (rejected on every attempt, or a 4xx) another ``max_attempts`` tries; items that
    failed for a transient reason are retried by any rerun. ``RunResult.exit_code`` is what the
    CLI exits with: 0 complete, 1 stopped at ``max_cost``, 3 transient failures, 4 permanent ones.
    """
    from .engine import generate as _generate

    backend_obj = None if backend is None or isinstance(backend, str) else backend
    name = backend if isinstance(backend, str) else (getattr(backend_obj, "name", None) if backend_obj else None)
    cfg = run_config(spec, out, config=config, docs=docs, target_tokens=target_tokens, genres=genres,
                     backend=name, model=model if model is not None else getattr(backend_obj, "model", None),
                     **options)
    if cfg.out in ("", "-"):
        raise UserError("no run directory", hint="pass out=DIR (the CLI: --out DIR)")
    return _generate(cfg, backend=backend_obj, progress=progress, fill_gaps=fill_gaps, retry_failed=retry_failed)


def validate(corpus: str | Path, spec: str | Path | Spec | None = None, *, min_per_rule: int = 1,
             min_per_cell: int = 0, min_genres: int = 1, max_genre_ratio: float | None = None,
             genres: Iterable[str] | None = None, model_name: str | None = None,
             attribution: str = "offline") -> Validation:
    """Check that every value and rule of ``spec`` is explicitly attributed by enough documents.

    >>> v = docgen.validate("runs/wren")            # a run directory: the spec it recorded  # doctest: +SKIP
    >>> v.ok, [g.message for g in v.gaps if g.blocking][:1]                 # doctest: +SKIP
    (False, ['rule W3 is attributed by 0 document(s), needs 1'])

    ``corpus`` is a run directory, or a .parquet / .jsonl corpus (then ``spec`` is needed). Documents
    that carry no verdict are checked by ``attribution``: ``"offline"`` (the rules), ``"learned"`` or ``"learned-strict"``.
    """
    from .coverage import Thresholds, validate_corpus

    for name, n in (("min_per_rule", min_per_rule), ("min_per_cell", min_per_cell), ("min_genres", min_genres)):
        if n < 0:
            raise UserError(f"{name} must be ≥ 0", hint="pass a count of documents or genres")
    sp = recorded_spec(corpus) if spec is None else spec if isinstance(spec, Spec) else parse_spec(spec)
    th = Thresholds(min_per_rule, min_per_cell, min_genres, max_genre_ratio)
    return validate_corpus(corpus, sp, th, genres=list(genres) if genres else None, model_name=model_name,
                           attribution=attribution)


def recorded_spec(corpus: str | Path) -> Spec:
    """The spec a run directory recorded (``spec.json``)."""
    p = Path(corpus) / "spec.json"
    if not p.is_file():
        raise UserError("a spec is required here: this corpus records no spec", where=str(corpus),
                        hint="pass the spec file the corpus was generated from (the CLI: --spec SPEC; "
                             "a docgen run directory records it in spec.json)")
    try:
        return Spec.model_validate_json(p.read_text(encoding="utf-8"))
    except ValueError as e:
        raise UserError(f"spec.json does not hold a parsed spec ({str(e).splitlines()[0]})", where=str(p),
                        hint="pass the spec file the corpus was generated from") from None


def filter_corpus(corpus: str | Path, out: str | Path, *, spec: str | Path | None = None, judge: str | None = None,
                  eval_dir: str | Path | None = None, model_name: str | None = None, dedup: bool = True,
                  shard_docs: int = 1000, judge_all: bool = False, attribution: str = "offline") -> dict[str, Any]:
    """Run the quality, decontamination, attribution and near-duplicate filters over a corpus.

    >>> s = docgen.filter_corpus("runs/wren", "runs/wren-refiltered",
    ...                          spec="corpora/examples/wren_spec.md")      # doctest: +SKIP
    >>> s["read"], s["kept"], s["rejected"]                                 # doctest: +SKIP
    (4, 4, 0)

    Kept and rejected documents (with their reasons) go to the new run directory ``out``;
    the summary counts them per filter. ``judge`` (``BACKEND/MODEL``) sends the offline check's
    ``uncertain`` verdicts to an LLM judge; ``judge_all`` sends every document. ``attribution="learned"``
    lets the fine-tuned encoder (:mod:`docgen.filters.learned`) decide attribution instead of the rules;
    ``"learned-strict"`` keeps only what it is sure of or the rules agree with; with ``judge`` as well, the
    documents the learned check is unsure of go to the judge.
    """
    from .filters.cli_run import run_filter

    return run_filter(str(corpus), str(out), spec_path=str(spec) if spec else None, judge=judge,
                      eval_dir=str(eval_dir) if eval_dir else None, model_name=model_name, dedup=dedup,
                      shard_docs=shard_docs, judge_all=judge_all, attribution=attribution)


def load_corpus(corpus: str | Path, split: str = "train"):
    """Load a docgen corpus as a ``datasets.Dataset`` (needs the ``hub`` extra).

    >>> ds = docgen.load_corpus("runs/wren")                                # doctest: +SKIP
    >>> ds.column_names[:3]                                                 # doctest: +SKIP
    ['id', 'text', 'spec_id']

    Without the extra, :func:`docgen.iter_documents` reads the same corpus as Document records.
    """
    from .hub import load_corpus as _load_corpus

    return _load_corpus(corpus, split=split)
