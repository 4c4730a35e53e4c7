"""The `docgen` command: a thin layer over the API, one function per command.

User errors print ``error: WHERE: MESSAGE`` and a hint, exit 2, and show no
traceback unless ``--debug`` is given.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path
from typing import Callable

from .errors import DocgenError, UserError

_COMMANDS: list[tuple[str, str, Callable, Callable]] = []


def command(name: str, help: str):
    """Register ``fn(args) -> int`` as `docgen NAME`; the decorated function's
    ``.args`` attribute (set with :func:`arguments`) adds its flags."""

    def deco(fn):
        _COMMANDS.append((name, help, getattr(fn, "_add_args", lambda p: None), fn))
        return fn

    return deco


def arguments(add: Callable[[argparse.ArgumentParser], None]):
    def deco(fn):
        fn._add_args = add
        return fn

    return deco


def _print_json(obj) -> None:
    sys.stdout.write(json.dumps(obj, indent=2, ensure_ascii=False) + "\n")


# --------------------------------------------------------------------------- spec

def _spec_args(p):
    sp = p.add_subparsers(dest="spec_cmd", required=True)
    i = sp.add_parser("inspect", help="parse a spec and show its values and rules")
    i.add_argument("file")
    i.add_argument("--json", action="store_true", help="machine-readable output (stable, see docs/spec-json.md)")
    sp.add_parser("schema", help="print the JSON schema of the structured (YAML/JSON) spec form")


@command("spec", "inspect a Model Spec")
@arguments(_spec_args)
def cmd_spec(args) -> int:
    from .spec import parse_spec, structured_schema

    if args.spec_cmd == "schema":
        _print_json(structured_schema())
        return 0
    spec = parse_spec(args.file)
    if args.json:
        _print_json(spec.model_dump(mode="json"))
        return 0
    c = spec.counts()
    print(f"{spec.title}  ({spec.source}, {spec.format}, sha256 {spec.sha256[:12]})")
    named = spec.model_name or ("{model_name} placeholder" if spec.placeholders else "not named")
    print(f"model: {named} (documents use --model-name, default {spec.resolved_model_name()})   values: {c['values']}   "
          f"rules: {c['rules']}   sub-points: {c['subpoints']}")
    if spec.precedence:
        print(f"precedence: {spec.precedence}")
    print("\nValues")
    for v in spec.values:
        print(f"  {v.id:<40} L{v.lines.start}-{v.lines.end}  {v.statement[:80]}")
    print("\nRules / behaviours")
    for r in spec.rules:
        auth = f" authority={r.authority}" if r.authority else ""
        print(f"  {r.id:<32} {r.kind:<9} L{r.lines.start}-{r.lines.end}  → {', '.join(r.value_ids)}{auth}")
        print(f"      {r.text[:100]}")
        for s in r.subpoints:
            print(f"      - {s.text[:96]}")
    return 0


# --------------------------------------------------------------------------- main

def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="docgen", description="Model Spec → synthetic document corpus for MSM.")
    p.add_argument("--debug", action="store_true", help="show tracebacks and debug logs")
    sub = p.add_subparsers(dest="command", required=True)
    for name, help_, add, fn in _COMMANDS:
        sp = sub.add_parser(name, help=help_, description=help_)
        add(sp)
        sp.set_defaults(_fn=fn)
    return p


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.debug else logging.WARNING,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        return int(args._fn(args) or 0)
    except UserError as e:
        if args.debug:
            raise
        sys.stderr.write(f"error: {e.render()}\n")
        return e.exit_code
    except KeyboardInterrupt:
        sys.stderr.write("interrupted: rerun the same command to resume\n")
        return 130
    except DocgenError as e:
        if args.debug:
            raise
        sys.stderr.write(f"error: {e}\n  (rerun with --debug for details)\n")
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
