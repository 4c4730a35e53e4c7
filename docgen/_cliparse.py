"""How the `docgen` command line is parsed, and how its errors read.

No prefix matching (``--doc`` is not ``--docs``); an unknown flag or command is
refused with the closest match and the usage of the (sub)command it belongs
to; ``--debug`` is accepted anywhere; numbers are checked by the flag that
takes them; and a config value set on the command line is reported by its flag,
never by its config field name.
"""

from __future__ import annotations

import argparse
from contextlib import contextmanager


class _Parser(argparse.ArgumentParser):
    """argparse without prefix matching (``--doc`` is not ``--docs``), whose errors name the
    closest flag or command and print the usage of the (sub)command they belong to."""

    def __init__(self, *a, **kw):
        kw["allow_abbrev"] = False
        super().__init__(*a, **kw)
        if kw.get("add_help", True):
            # --debug is accepted anywhere on the line (SUPPRESS: the top-level default stands)
            self.add_argument("--debug", action="store_true", default=argparse.SUPPRESS,
                              help="show tracebacks and debug logs")
        self.set_defaults(_parser=self)

    def parse_args(self, args=None, namespace=None):
        ns, extras = self.parse_known_args(args, namespace)
        if extras:
            owner = getattr(ns, "_parser", self)
            owner.error(f"unrecognized arguments: {' '.join(extras)}{owner._suggest(extras)}")
        return ns

    def _suggest(self, extras: list[str]) -> str:
        import difflib

        flags = [o for a in self._actions for o in a.option_strings if o.startswith("--")]
        for x in extras:
            if x.startswith("--"):
                close = difflib.get_close_matches(x.split("=", 1)[0], flags, n=1, cutoff=0.6)
                if close:
                    return f" (did you mean {close[0]}?)"
        return ""

    def error(self, message: str):
        import difflib
        import re

        m = re.search(r"invalid choice: '([^']*)' \(choose from (.*)\)", message)
        if m:
            choices = re.findall(r"'([^']*)'", m.group(2))
            close = difflib.get_close_matches(m.group(1), choices, n=1, cutoff=0.6)
            if close:
                message += f" (did you mean {close[0]}?)"
        super().error(message)


def _at_least(lo: int):
    """argparse type: an integer >= ``lo`` (the error names the flag: ``argument --docs: must be ≥ 1``)."""

    def parse(text: str) -> int:
        try:
            n = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number, got '{text}'") from None
        if n < lo:
            raise argparse.ArgumentTypeError(f"must be ≥ {lo}, got {n}")
        return n

    return parse


def _non_negative(text: str) -> float:
    try:
        x = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got '{text}'") from None
    if x < 0:
        raise argparse.ArgumentTypeError(f"must be ≥ 0, got {text}")
    return x


# config field -> the flag that sets it, so an invalid value is reported in the user's words
_FLAGS = {"spec": "SPEC", "out": "--out", "docs": "--docs", "target_tokens": "--target-tokens", "seed": "--seed",
          "genres": "--genres", "backend": "--backend", "model": "--model", "concurrency": "--concurrency",
          "max_attempts": "--max-attempts", "shard_docs": "--shard-docs", "max_cost": "--max-cost",
          "ideas": "--ideas", "params.temperature": "--temperature", "params.top_p": "--top-p",
          "params.max_tokens": "--max-tokens", "params.repeat_penalty": "--repeat-penalty",
          "filters.eval_dir": "--eval-dir", "filters.judge": "--judge", "filters.attribution": "--attribution", "model_name": "--model-name",
          "genres_dir": "--genres-dir", "templates_dir": "--templates-dir", "prices": "--prices"}
_PYDANTIC_WORDS = [(r"^Field required$", "is required"),
                   (r"^Input should be greater than or equal to (\S+)$", r"must be ≥ \1"),
                   (r"^Input should be greater than (\S+)$", r"must be > \1"),
                   (r"^Input should be less than or equal to (\S+)$", r"must be ≤ \1"),
                   (r"^Input should be less than (\S+)$", r"must be < \1"),
                   (r"^Input should be ", "must be ")]


@contextmanager
def _in_flags(args):
    """Errors about command-line values phrased in flags, not in config field names."""
    import re

    from .errors import ConfigError

    try:
        yield
    except ConfigError as e:
        m = re.match(r"([\w.]+): (.*)$", e.message, re.S)
        if not m or m.group(1) not in _FLAGS or (args.config and e.where != "command line"):
            raise
        msg = m.group(2).removeprefix("Value error, ")
        for pat, repl in _PYDANTIC_WORDS:
            msg = re.sub(pat, repl, msg)
        flag = _FLAGS[m.group(1)]
        raise ConfigError(f"{flag} {msg}", hint=f"see `docgen {args.command} --help`") from None
