"""Genres: one YAML file each, shipped inside the package (``docgen/genres/``,
found through :mod:`importlib.resources`, so an installed wheel has them) or in
a directory the user names with ``--genres-dir``, which replaces the packaged set.

Adding a genre needs no code: drop ``<name>.yaml`` in a genres directory (and
optionally a template, named by its ``template`` field, in a ``--templates-dir``
that is searched before the packaged templates). Every genre is validated, and
its template rendered in the sandbox, when genres load.
"""

from __future__ import annotations

from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from .errors import ConfigError

GENRES_DIR: Traversable = resources.files("docgen") / "genres"    # package data


class Length(BaseModel):
    model_config = ConfigDict(extra="forbid")
    min_words: int = Field(gt=0)
    max_words: int = Field(gt=0)


class Genre(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    title: str
    purpose: str
    structure: list[str] = Field(min_length=1)
    length: Length
    tone: str
    audiences: list[str] = Field(min_length=1)
    angles: list[str] = Field(default_factory=lambda: ["a typical situation"])
    template: str = "document.j2"
    source: str = ""

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        if not v.replace("_", "").isalnum() or not v.islower():
            raise ValueError("must be lowercase letters, digits and underscores")
        return v

    @property
    def target_words(self) -> int:
        return (self.length.min_words + self.length.max_words) // 2


def _stem(path: Path | Traversable) -> str:
    return path.name.rsplit(".", 1)[0]


def load_genre(path: Path | Traversable) -> Genre:
    where = str(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        raise ConfigError(f"not valid YAML: {getattr(e, 'problem', e)}",
                          where=f"{where}:{mark.line + 1 if mark else 1}", hint="fix the YAML syntax") from None
    if not isinstance(data, dict):
        raise ConfigError("a genre file must be a YAML mapping", where=f"{where}:1",
                          hint="see `docgen genres list` and docgen/genres/memo.yaml for the fields a genre takes")
    try:
        g = Genre.model_validate({**data, "source": where})
    except ValidationError as e:
        err = e.errors()[0]
        field = ".".join(str(x) for x in err["loc"])
        line = _line_of_key(path, str(err["loc"][0])) if err["loc"] else 1
        raise ConfigError(f"{field}: {err['msg']}", where=f"{where}:{line}",
                          hint="a genre takes name, title, purpose, structure, length{min_words,max_words}, "
                               "tone, audiences, angles, template; see docgen/genres/memo.yaml") from None
    if g.name != _stem(path):
        raise ConfigError(f"genre name '{g.name}' does not match the file name", where=f"{where}:{_line_of_key(path, 'name')}",
                          hint=f"name the file {g.name}.yaml or set name: {_stem(path)}")
    if g.length.min_words > g.length.max_words:
        raise ConfigError("length.min_words is larger than length.max_words", where=f"{where}:{_line_of_key(path, 'length')}",
                          hint="swap the two numbers")
    return g


def _line_of_key(path: Path | Traversable, key: str) -> int:
    for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if line.startswith(f"{key}:"):
            return i
    return 1


def load_genres(genres_dir: str | Path | None = None, names: list[str] | None = None,
                templates_dir: str | Path | None = None, validate: bool = True) -> dict[str, Genre]:
    """Load genres (all, or ``names``), validating each genre/template pair."""
    d = Path(genres_dir) if genres_dir else GENRES_DIR
    if not d.is_dir():
        raise ConfigError("genres directory not found", where=str(d), hint="pass --genres-dir DIR with one YAML per genre")
    files = sorted((p for p in d.iterdir() if p.name.endswith(".yaml") and p.is_file()), key=lambda p: p.name)
    genres = {_stem(p): load_genre(p) for p in files}
    if names:
        unknown = [n for n in names if n not in genres]
        if unknown:
            raise ConfigError(f"unknown genre(s): {', '.join(unknown)}",
                              hint=f"available: {', '.join(sorted(genres))} (or add <name>.yaml to a --genres-dir)")
        genres = {n: genres[n] for n in names}
    if not genres:
        raise ConfigError("no genres found", where=str(d), hint="add at least one <name>.yaml")
    if validate:
        from .prompts import validate_genre

        for g in genres.values():
            validate_genre(g, templates_dir)
    return genres
