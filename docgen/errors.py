"""docgen's exceptions.

Every error docgen raises on purpose derives from :class:`DocgenError`::

    DocgenError
    ├── UserError            bad input the user can fix; the CLI exits 2, no traceback
    │   ├── SpecError        a spec file that cannot be parsed (file:line, what to do)
    │   ├── ConfigError      a run config / genre / template that does not validate
    │   └── MissingExtra     an optional dependency is not installed (prints the pip line)
    └── GenerationError      a backend or engine failure that is not the user's input

User errors carry ``where`` (``file`` or ``file:line``) and ``hint`` (what to do).
"""

from __future__ import annotations


class DocgenError(Exception):
    """Root of docgen's exceptions."""


class UserError(DocgenError):
    """Input the user can fix. Rendered as ``error: WHERE: MESSAGE`` + ``hint: ...``."""

    exit_code = 2

    def __init__(self, message: str, *, where: str | None = None, hint: str | None = None):
        self.message = message
        self.where = where
        self.hint = hint
        super().__init__(self.render())

    def render(self) -> str:
        head = f"{self.where}: {self.message}" if self.where else self.message
        return f"{head}\n  hint: {self.hint}" if self.hint else head


class SpecError(UserError):
    """A spec file that cannot be turned into a Spec."""


class ConfigError(UserError):
    """A config, genre or template that does not validate."""


class MissingExtra(UserError):
    """An optional dependency is missing; ``hint`` holds the exact install command."""

    def __init__(self, what: str, extra: str, package: str | None = None):
        pkg = package or extra
        super().__init__(
            f"{what} needs the optional dependency '{pkg}', which is not installed",
            hint=f"pip install 'docgen[{extra}]'" if package is None else f"pip install {package}",
        )


class GenerationError(DocgenError):
    """A failure while generating that is not caused by the user's input."""
