"""The one sandboxed Jinja environment, and prompt rendering.

Templates live in templates/ (and optionally a user directory searched first).
They render with StrictUndefined in a SandboxedEnvironment, so a typo fails
at load time, not halfway through a paid run. A template declares its version
in its first line: ``{#- version: 3 -#}``; the version is part of every
request's cache key.
"""

from __future__ import annotations

import hashlib
import re
from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2
from jinja2.sandbox import SandboxedEnvironment

from .errors import ConfigError

TEMPLATES_DIR = Path(__file__).resolve().parent.parent / "templates"
_VERSION = re.compile(r"\{#-?\s*version:\s*([\w.-]+)\s*-?#\}")


@lru_cache(maxsize=8)
def environment(templates_dir: str | None = None) -> SandboxedEnvironment:
    paths = [str(templates_dir)] if templates_dir else []
    paths.append(str(TEMPLATES_DIR))
    env = SandboxedEnvironment(
        loader=jinja2.FileSystemLoader(paths),
        undefined=jinja2.StrictUndefined,
        autoescape=False,
        keep_trailing_newline=False,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["a"] = lambda s: f"{'an' if str(s)[:1].lower() in 'aeiou' else 'a'} {s}"
    return env


def template_version(name: str, templates_dir: str | Path | None = None) -> str:
    env = environment(str(templates_dir) if templates_dir else None)
    src, filename, _ = env.loader.get_source(env, name)
    m = _VERSION.search(src)
    return f"{name}@{m.group(1) if m else '0'}"


def render(name: str, context: dict[str, Any], templates_dir: str | Path | None = None) -> str:
    env = environment(str(templates_dir) if templates_dir else None)
    try:
        tpl = env.get_template(name)
        return tpl.render(**context).strip()
    except jinja2.TemplateNotFound:
        raise ConfigError(f"template '{name}' not found", where=str(TEMPLATES_DIR),
                          hint="add it under templates/ or fix the genre's `template` field") from None
    except jinja2.TemplateSyntaxError as e:
        raise ConfigError(f"template syntax error: {e.message}", where=f"{e.filename or name}:{e.lineno}",
                          hint="fix the Jinja syntax at that line") from None
    except jinja2.UndefinedError as e:
        line = _template_line(e)
        raise ConfigError(f"template uses an undefined variable: {e.message}", where=f"{_template_path(env, name)}:{line}",
                          hint="templates may use: " + ", ".join(sorted(context))) from None
    except jinja2.exceptions.SecurityError as e:
        raise ConfigError(f"template does something the sandbox forbids: {e}", where=_template_path(env, name),
                          hint="templates may only read the variables they are given") from None


def _template_path(env, name: str) -> str:
    try:
        return env.loader.get_source(env, name)[1]
    except Exception:
        return name


def _template_line(e: Exception) -> int:
    tb = e.__traceback__
    line = 1
    while tb is not None:
        if tb.tb_frame.f_code.co_filename.endswith(".j2"):
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
