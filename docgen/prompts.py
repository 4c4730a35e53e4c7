"""The one sandboxed Jinja environment, prompt rendering, and the prompt context.

Templates ship inside the package (``docgen/templates/``, loaded through
:mod:`importlib.resources` by Jinja's ``PackageLoader``); a user directory
(``--templates-dir``) is searched first, so a user template of the same name
overrides the packaged one. Templates render with StrictUndefined in a
SandboxedEnvironment, so a typo fails at load time, not halfway through a paid
run. The sandbox is bounded: ``range`` gives at most ``MAX_RANGE`` numbers,
``*`` and ``**`` may not build huge strings, lists or numbers, and a render
that uses a user's template directory may run at most ``RENDER_SECONDS`` (a
clock checked on every line of template code: 0.37 ms a prompt against 0.08 ms,
BENCHMARKS.md; the packaged templates skip it) and write at most ``MAX_OUTPUT`` characters
beyond the text it is given. A template declares its version in its first
line: ``{#- version: 3 -#}``; the version is part of every request's cache key.

The prompt context (:func:`prompt_context`) turns a plan item into the words a
template uses: the behaviour in the third person, and the reason as a clause.
"""

from __future__ import annotations

import hashlib
import operator
import re
import sys
import time
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jinja2
from jinja2.sandbox import SandboxedEnvironment

from .errors import ConfigError
from .plan import BRIEF_WORDS

if TYPE_CHECKING:
    from .genres import Genre
    from .plan import PlanItem
    from .spec import Rule, Spec

PACKAGE_TEMPLATES = "docgen/templates"   # where the packaged templates live (for messages)
_VERSION = re.compile(r"\{#-?\s*version:\s*([\w.-]+)\s*-?#\}")

RENDER_SECONDS = 2.0        # wall-clock budget of one render
MAX_RANGE = 10_000          # numbers one range() may give
MAX_SIZE = 100_000          # items or characters one `*` may build
MAX_OUTPUT = 200_000        # characters of one rendered prompt


class TemplateBudgetExceeded(Exception):
    """Raised inside a render that ran past its time budget."""


def _bounded_range(*args: int) -> range:
    r = range(*args)
    if len(r) > MAX_RANGE:
        raise jinja2.exceptions.SecurityError(f"range() of {len(r):,} numbers (the sandbox allows {MAX_RANGE:,})")
    return r


class _BoundedSandbox(SandboxedEnvironment):
    """The sandbox with arithmetic that cannot build huge values."""

    intercepted_binops = frozenset({"*", "**"})

    def call_binop(self, context, operator_: str, left: Any, right: Any) -> Any:
        if operator_ == "**":
            if isinstance(left, int) and isinstance(right, int) and abs(left) > 1 and \
                    right * max(abs(left).bit_length(), 1) > 4096:
                raise jinja2.exceptions.SecurityError(f"{left} ** {right} is too large a number for a template")
            return operator.pow(left, right)
        for seq, n in ((left, right), (right, left)):
            if isinstance(seq, (str, list, tuple)) and isinstance(n, int) and len(seq) * n > MAX_SIZE:
                raise jinja2.exceptions.SecurityError(f"`*` would build {len(seq) * n:,} items (the sandbox allows {MAX_SIZE:,})")
        return operator.mul(left, right)


@lru_cache(maxsize=8)
def environment(templates_dir: str | None = None) -> SandboxedEnvironment:
    loaders: list[jinja2.BaseLoader] = [jinja2.FileSystemLoader(str(templates_dir))] if templates_dir else []
    loaders.append(jinja2.PackageLoader("docgen", "templates"))
    env = _BoundedSandbox(
        loader=jinja2.ChoiceLoader(loaders),
        undefined=jinja2.StrictUndefined,
        autoescape=False,
        keep_trailing_newline=False,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals["range"] = _bounded_range
    env.globals.pop("lipsum", None)
    env.filters["a"] = lambda s: f"{'an' if str(s)[:1].lower() in 'aeiou' else 'a'} {s}"
    return env


def template_version(name: str, templates_dir: str | Path | None = None) -> str:
    env = environment(str(templates_dir) if templates_dir else None)
    src, filename, _ = env.loader.get_source(env, name)
    m = _VERSION.search(src)
    return f"{name}@{m.group(1) if m else '0'}"


def _run_bounded(env: SandboxedEnvironment, tpl: jinja2.Template, context: dict[str, Any],
                 seconds: float) -> str:
    """Render with a wall-clock deadline (checked on every line of template code) and an output cap."""
    deadline = time.monotonic() + seconds

    def line_tracer(frame, event, arg):
        if event == "line" and time.monotonic() > deadline:
            raise TemplateBudgetExceeded()
        return line_tracer

    def call_tracer(frame, event, arg):
        # trace lines only in compiled template code, whose globals hold this environment
        if frame.f_globals.get("environment") is env:
            return line_tracer
        return None

    parts: list[str] = []
    size = 0
    cap = MAX_OUTPUT + 2 * len(repr(context))      # room for the text the context carries
    previous = sys.gettrace()
    sys.settrace(call_tracer)
    try:
        for chunk in tpl.generate(**context):
            size += len(chunk)
            if size > cap:
                raise jinja2.exceptions.SecurityError(f"the output passed {cap:,} characters")
            parts.append(chunk)
    finally:
        sys.settrace(previous)
    return "".join(parts)


def render(name: str, context: dict[str, Any], templates_dir: str | Path | None = None,
           seconds: float | None = None) -> str:
    env = environment(str(templates_dir) if templates_dir else None)
    where = str(templates_dir) if templates_dir else PACKAGE_TEMPLATES
    try:
        tpl = env.get_template(name)
        if not templates_dir:           # the packaged templates are ours: no clock needed (4.6x faster)
            return tpl.render(**context).strip()
        return _run_bounded(env, tpl, context, RENDER_SECONDS if seconds is None else seconds).strip()
    except jinja2.TemplateNotFound as e:
        if e.name == name:
            raise ConfigError(f"template '{name}' not found", where=where,
                              hint="add it to your --templates-dir or fix the genre's `template` field") from None
        inc = str(e.name)
        why = ("a template may include only templates from the template directories, by a relative name "
               "without '..'" if (".." in inc.replace("\\", "/").split("/") or inc.startswith("/"))
               else "no template of that name is in the template directories")
        raise ConfigError(f"template '{name}' includes '{inc}', which it may not read: {why}",
                          where=f"{_template_path(env, name)}:{_template_line(e)}",
                          hint="include a template that lives in your --templates-dir, e.g. {% include \"part.j2\" %}") from None
    except jinja2.TemplateSyntaxError as e:
        raise ConfigError(f"template syntax error: {e.message}", where=f"{e.filename or name}:{e.lineno}",
                          hint="fix the Jinja syntax at that line") from None
    except jinja2.UndefinedError as e:
        line = _template_line(e)
        raise ConfigError(f"template uses an undefined variable: {e.message}", where=f"{_template_path(env, name)}:{line}",
                          hint="templates may use: " + ", ".join(sorted(context))) from None
    except TemplateBudgetExceeded as e:
        raise ConfigError(f"template took longer than {RENDER_SECONDS if seconds is None else seconds:g}s to render",
                          where=f"{_template_path(env, name)}:{_template_line(e)}",
                          hint="a prompt template should only arrange the text it is given; remove the long loop") from None
    except jinja2.exceptions.SecurityError as e:
        raise ConfigError(f"template does something the sandbox forbids: {e}",
                          where=f"{_template_path(env, name)}:{_template_line(e)}",
                          hint="templates may only read and arrange the variables they are given") from None


def _template_path(env, name: str) -> str:
    try:
        return env.loader.get_source(env, name)[1] or name
    except Exception:
        return name


def _template_line(e: Exception) -> int:
    """The template line a render error came from (from Jinja's rewritten traceback)."""
    tb = e.__traceback__
    line = 1
    while tb is not None:
        if tb.tb_frame.f_code.co_filename.endswith(".j2") or \
                tb.tb_frame.f_globals.get("__jinja_template__"):
            line = tb.tb_lineno
        tb = tb.tb_next
    return line


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def sample_context(genre) -> dict[str, Any]:
    """A context with every variable the writing templates may use, for validation."""
    rule = {"id": "R1", "text": "Explains its reasoning.", "subpoints": ["Shows its work."],
            "rationale": "People can check it.", "kind": "rule"}
    value = {"id": "v", "name": "Transparency", "statement": "The model values transparency.", "rationale": ""}
    return {
        "spec": {"id": "sample", "title": "Sample spec"},
        "model_name": "Model",
        "genre": genre.model_dump(),
        "audience": genre.audiences[0],
        "angle": genre.angles[0],
        "idea": "",
        "values": [value],
        "rule": rule,
        "behaviour": "explains its reasoning",
        "reason": "it values transparency.",
        "reason_clause": "it values transparency.",
        "examples": ["Shows its work"],
        "words": genre.target_words,
        "brief": False,
    }


def validate_genre(genre, templates_dir: str | Path | None = None) -> None:
    for brief in (False, True):
        ctx = {**sample_context(genre), "brief": brief}
        for name in (genre.template, "system.j2"):
            try:
                render(name, ctx, templates_dir)
            except ConfigError as e:
                raise ConfigError(f"genre '{genre.name}': {e.message}", where=e.where or genre.source,
                                  hint=e.hint) from None


# --------------------------------------------------------------------------- prompt context
# the plan item → the words a template uses (behaviour in the third person, reason as a clause)

def fill_names(text: str, model_name: str, provider: str = "its developer") -> str:
    return text.replace("{model_name}", model_name).replace("{provider_name}", provider)


_NO_E = {"open", "listen", "happen", "visit", "consider", "offer", "deliver", "enter", "answer", "follow",
         "gather", "limit", "edit", "credit", "benefit", "develop", "budget", "monitor", "govern", "exhibit"}
_ADD_E = {"acquir", "requir", "inquir", "argu", "continu", "pursu", "issu", "valu"}
_OBJ = [(r"\byou are\b", "it is"), (r"\byou're\b", "it is"), (r"\byourself\b", "itself"), (r"\byour\b", "its"),
        (r"\byou\b", "it")]


def _base(gerund: str) -> str:
    stem = gerund[:-3]
    if stem in ("be", "do", "go", "see"):
        return stem
    if stem.endswith("y") and len(stem) <= 3:             # trying → try
        return stem
    if len(stem) > 2 and stem[-1] == stem[-2] and stem[-1] not in "lsz":   # preferring → prefer
        return stem[:-1]
    if stem in _ADD_E or (len(stem) >= 3 and stem[-1] not in "aeiouwxy" and stem[-2] in "aeiou"
                          and stem[-3] not in "aeiou" and stem not in _NO_E):
        return stem + "e"                                  # giving → give, undermining → undermine
    return stem


def _third(verb: str) -> str:
    v = verb.lower()
    if v in ("be",):
        return "is"
    if v == "have":
        return "has"
    if v == "do":
        return "does"
    if v.endswith(("s", "sh", "ch", "x", "z", "o")):
        return v + "es"
    if v.endswith("y") and len(v) > 1 and v[-2] not in "aeiou":
        return v[:-1] + "ies"
    return v + "s"


def third_person(rule_text: str) -> str:
    """'Do not undermine your oversight.' → 'does not undermine its oversight'."""
    t = rule_text.strip().rstrip(".")
    for pat, rep in _OBJ:
        t = re.sub(pat, rep, t)
    m = re.match(r"(?i)(do not|don't|never|always)\s+(\w+)(.*)$", t)
    if m:
        lead = m.group(1).lower()
        if lead in ("do not", "don't"):
            return f"does not {m.group(2).lower()}{m.group(3)}"
        return f"{lead} {_third(m.group(2))}{m.group(3)}"
    m = re.match(r"(?i)not\s+(\w+ly\s+)?(\w+ing)\b(.*)$", t)
    if m:
        return f"does not {(m.group(1) or '').lower()}{_base(m.group(2).lower())}{m.group(3)}"
    m = re.match(r"(?i)(\w+ly\s+)?(\w+ing)\b(.*)$", t)
    if m:
        return f"{(m.group(1) or '').lower()}{_third(_base(m.group(2).lower()))}{m.group(3)}"
    m = re.match(r"([A-Z][a-z]+)\b(.*)$", t)
    if m:
        return f"{_third(m.group(1))}{m.group(2)}"
    return f"follows the rule \u2018{t}\u2019"


def behaviour_phrase(rule: Rule | None, model_name: str, spec: Spec | None = None) -> str:
    """'likes mild cheddar' from 'Llama likes mild cheddar.'; an imperative rule in the third person."""
    if rule is None:
        return "acts on this value"
    t = fill_names(spec.fill_name(rule.text, model_name) if spec else rule.text, model_name).strip().rstrip(".")
    for subj in (model_name, "It", "it", "The model", "the model"):
        if t.startswith(subj + " "):
            return t[len(subj) + 1:]
    first = t.split(" ", 1)[0]
    if rule.kind == "rule" and rule.label and first[:1].isupper():
        # labelled rules are imperatives ("Do not ...", "Avoiding ...", "Say how ..."): first clause only
        head = re.split(r"(?<=[a-z])\.\s", t, maxsplit=1)[0]
        return third_person(head)
    return f"follows the rule \u2018{t}\u2019"


def reason_phrase(values: list[dict[str, Any]], model_name: str) -> str:
    st = [v["statement"].strip() for v in values if v.get("statement")]
    if not st:
        return "of its values."
    s = st[0]
    if len(s.split()) <= 6 and not s.endswith("."):
        return f"of its commitment to {s.lower()}."
    return s if s.endswith((".", "!", "?")) else s + "."


def _clause(sentence: str, model_name: str) -> str:
    """The reason as a clause after 'because': lower-case its first word unless it is a name."""
    first = sentence.split(" ", 1)[0]
    if first == model_name or (first[:1].isupper() and not first[1:2].islower()):
        return sentence
    return sentence[:1].lower() + sentence[1:]


def dictated_sentence(spec: Spec, rule_id: str, value_ids: list[str], model_name: str) -> str:
    """The opening sentence a brief prompt dictates for this rule: "<name> <behaviour> because <reason>"."""
    rule = None if rule_id.startswith("value:") else spec.rule(rule_id)
    values = [{"statement": fill_names(spec.fill_name(spec.value(v).statement, model_name), model_name)}
              for v in value_ids]
    behaviour = behaviour_phrase(rule, model_name, spec) if rule else "acts on this value"
    reason = _clause(re.sub(r"\s+", " ", reason_phrase(values, model_name)), model_name)
    return f"{model_name} {behaviour} because {reason}"


def prompt_context(spec: Spec, item: PlanItem, genre: Genre, model_name: str, brief: bool = False) -> dict[str, Any]:
    fn = lambda s: fill_names(spec.fill_name(s, model_name), model_name)  # noqa: E731
    if item.rule_id.startswith("value:"):
        rule = None
    else:
        rule = spec.rule(item.rule_id)
    values = []
    for vid in item.value_ids:
        v = spec.value(vid)
        values.append({"id": v.id, "name": fn(v.name), "statement": fn(v.statement), "rationale": fn(v.rationale)})
    rule_ctx = {
        "id": rule.id if rule else item.rule_id,
        "text": fn(rule.text) if rule else (values[0]["statement"] if values else ""),
        "subpoints": [fn(s.text) for s in rule.subpoints] if rule else [],
        "rationale": fn(rule.rationale) if rule else (values[0]["rationale"] if values else ""),
        "kind": rule.kind if rule else "value",
    }
    return {
        "spec": {"id": spec.id, "title": fn(spec.title)},
        "model_name": model_name,
        "genre": genre.model_dump(),
        "audience": item.audience,
        "angle": item.angle,
        "idea": item.idea,
        "values": values,
        "rule": rule_ctx,
        "behaviour": behaviour_phrase(rule, model_name, spec) if rule else "acts on this value",
        "reason": re.sub(r"\s+", " ", reason_phrase(values, model_name)),
        "reason_clause": _clause(re.sub(r"\s+", " ", reason_phrase(values, model_name)), model_name),
        "examples": [s.rstrip(". ") for s in rule_ctx["subpoints"][:2]],
        "words": min(genre.target_words, BRIEF_WORDS) if brief else genre.target_words,
        "brief": brief,
    }
