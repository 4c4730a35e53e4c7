"""What a run asks for: the spec, genres and plan of a run config, the request of each
planned item, the estimate before anything is sent, gap top-ups, and the run's identity.

:class:`docgen.engine.Engine` builds on this and does the asking.
"""

from __future__ import annotations

from typing import Any

from .backends import Backend, Request
from .config import RunConfig
from .errors import UserError
from .genres import Genre, load_genres
from .plan import Plan, PlanItem, item_id, make_plan
from .prompts import prompt_context
from .prompts import render, sha256, template_version
from .rundir import RunDir
from .spec import Spec, parse_spec

BRIEF_MIN_WORDS = 40


class RunPlan:
    def __init__(self, cfg: RunConfig, *, backend: Backend | None = None):
        self.cfg = cfg
        self.rd = RunDir(cfg.out)
        self.run_dir = self.rd.path
        self.spec: Spec = parse_spec(cfg.spec)
        self.genres: dict[str, Genre] = load_genres(cfg.genres_dir, cfg.genres, cfg.templates_dir)
        self.model_name = self.spec.resolved_model_name(cfg.model_name)
        self._backend = backend
        backend_name = backend.name if backend is not None else cfg.backend
        self.brief = cfg.prompt_style == "brief" or (cfg.prompt_style == "auto" and backend_name == "local")
        self.params = cfg.params.to_generation(self.brief, backend_name)
        from .pricing import load_prices, output_ratio

        default_model = "smollm2-135m" if backend_name == "local" else ""
        ratio = output_ratio(backend_name, cfg.model or default_model, load_prices(cfg.prices))
        self.plan: Plan = make_plan(self.spec, self.genres, docs=cfg.docs, target_tokens=cfg.target_tokens,
                                    seed=cfg.seed, max_tokens=self.params.max_tokens, brief=self.brief,
                                    output_ratio=ratio)
        self.template_versions = {g.name: template_version(g.template, cfg.templates_dir) for g in self.genres.values()}
        self.plan.items += [PlanItem(**row) for row in self.rd.read_topups()]

    # ----------------------------------------------------------------- requests
    def request_for(self, item: PlanItem, attempt: int) -> tuple[Request, str]:
        genre = self.genres[item.genre]
        ctx = prompt_context(self.spec, item, genre, self.model_name, self.brief)
        system = render("system.j2", ctx, self.cfg.templates_dir)
        user = render(genre.template, ctx, self.cfg.templates_dir)
        messages = [{"role": "system", "content": system}, {"role": "user", "content": user}]
        # items of one cell may render the same prompt: the item's index keeps their requests apart
        # (backends send it as part of the seed; it is part of the journal key)
        req = Request(messages=messages, params=self.params, sample_index=item.index * 1000 + attempt,
                      template_version=self.template_versions[item.genre], custom_id=item.id)
        return req, sha256(system + "\n\n" + user)

    # ----------------------------------------------------------------- estimate
    def estimate(self) -> dict[str, Any]:
        """Requests, input/output tokens and dollars for the whole plan, before anything is sent."""
        from .corpus import count_tokens
        from .pricing import load_prices, price_for

        backend = self._backend.name if self._backend is not None else self.cfg.backend
        model = self._backend.model if self._backend is not None else self.cfg.model
        price = price_for(backend, model, self.cfg.backend_options, load_prices(self.cfg.prices))
        inp = 0
        for item in self.plan.items:
            req, _ = self.request_for(item, 0)
            inp += sum(count_tokens(m["content"]) for m in req.messages) + 4 * len(req.messages)
        out = self.plan.est_output_tokens()
        return {
            "requests": len(self.plan.items), "input_tokens": inp, "output_tokens": out,
            "usd": None if price is None else round(price.cost(inp, out), 4),
            "price_known": price is not None, "backend": backend, "model": model,
        }

    # ----------------------------------------------------------------- gap filling
    def add_gap_items(self, thresholds) -> list[PlanItem]:
        """Plan documents for the coverage gaps of this run directory and append them to the run."""
        from .coverage import missing_cells, validate_corpus

        if not self.rd.manifest_path.exists():
            raise UserError("nothing to fill: this run directory has no corpus yet", where=str(self.run_dir),
                            hint="run the same command without --fill-gaps first")
        v = validate_corpus(self.run_dir, self.spec, thresholds, genres=list(self.genres), model_name=self.model_name)
        counts: dict[str, int] = {}
        for it in self.plan.items:
            counts[it.cell] = counts.get(it.cell, 0) + 1
        new: list[PlanItem] = []
        for rule_id, genre, n in missing_cells(self.spec, v.coverage, thresholds, list(self.genres)):
            g = self.genres[genre]
            cell = f"{rule_id}|{genre}"
            for _ in range(n):
                k = counts.get(cell, 0)
                counts[cell] = k + 1
                new.append(PlanItem(id=item_id(self.spec.sha256, cell, k), cell=cell, rule_id=rule_id,
                                    value_ids=list(self.spec.rule(rule_id).value_ids), genre=genre,
                                    audience=g.audiences[k % len(g.audiences)], angle=g.angles[k % len(g.angles)],
                                    index=k, est_output_tokens=self.plan.items[0].est_output_tokens if self.plan.items else 0))
        if new:
            self.rd.append_topups([i.to_dict() for i in new])
            self.plan.items += new
        return new

    # ----------------------------------------------------------------- run identity
    def prepare_run_dir(self, backend: Backend) -> None:
        """Refuse a directory holding another run (content settings differ); write config, spec, plan.

        Transport settings (base URL, timeouts, concurrency, key variable) may differ: a rerun
        with a corrected --base-url resumes the same run."""
        rd = self.rd
        resolved = {**self.cfg.model_dump(mode="json"), "resolved": {
            "model_name": self.model_name, "spec_sha256": self.spec.sha256, "spec_id": self.spec.id,
            "backend": backend.describe(), "template_versions": self.template_versions,
            "planned": len(self.plan.items)}}
        old = rd.read_config()
        if old is not None:
            old_id = _identity_of(old)
            new_id = self.cfg.identity()
            diff = sorted(k for k in set(old_id) | set(new_id) if old_id.get(k) != new_id.get(k))
            if old.get("resolved", {}).get("spec_sha256") != self.spec.sha256:
                diff.append("spec contents")
            if diff:
                raise UserError(f"this run directory holds a different run (differs in: {', '.join(diff)})",
                                where=str(rd.path), hint="rerun with the same content settings to resume it "
                                "(base URL, timeouts, concurrency and the key variable may change), or choose another --out")
        rd.check_usable()
        rd.path.mkdir(parents=True, exist_ok=True)
        rd.write_config(resolved)
        rd.write_spec(self.spec.model_dump(mode="json"))
        self.write_plan()

    def write_plan(self) -> None:
        self.rd.write_plan([i.to_dict() for i in self.plan.items])


def _identity_of(old: dict[str, Any]) -> dict[str, Any]:
    """The identity of a stored config (written by this or an earlier version)."""
    from pydantic import ValidationError

    raw = {k: v for k, v in old.items() if k != "resolved"}
    try:
        return RunConfig.model_validate(raw).identity()
    except ValidationError:
        from .config import TRANSPORT_FIELDS

        return {k: v for k, v in raw.items() if k not in TRANSPORT_FIELDS}

