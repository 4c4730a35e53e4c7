"""Reading a spec file safely: size cap, encoding, format by extension."""

from __future__ import annotations

import os
from pathlib import Path

from ..errors import SpecError

#: Largest spec read, in bytes (the longest real specs are well under 1 MB).
#: Override with the environment variable ``DOCGEN_SPEC_MAX_BYTES``.
MAX_SPEC_BYTES = 8 * 1024 * 1024

FORMATS = {".md": "markdown", ".markdown": "markdown", ".txt": "markdown", "": "markdown",
           ".yaml": "yaml", ".yml": "yaml", ".json": "json"}


def max_spec_bytes() -> int:
    raw = os.environ.get("DOCGEN_SPEC_MAX_BYTES", "")
    try:
        return int(raw) if raw.strip() else MAX_SPEC_BYTES
    except ValueError:
        raise SpecError(f"DOCGEN_SPEC_MAX_BYTES={raw!r} is not a whole number of bytes",
                        hint="set it to a size in bytes, e.g. DOCGEN_SPEC_MAX_BYTES=20000000") from None


def read_text(path: Path) -> str:
    """The spec's text (UTF-8, LF line ends); reads at most the size cap, so a device
    such as ``/dev/zero`` or a huge file is refused instead of exhausting memory."""
    where = str(path)
    if not path.exists():
        raise SpecError("file not found", where=where, hint="check the path to the spec file")
    if path.is_dir():
        raise SpecError("is a directory, not a spec file", where=where, hint="pass a .md, .txt, .yaml or .json file")
    cap = max_spec_bytes()
    try:
        with open(path, "rb") as f:
            data = f.read(cap + 1)
    except OSError as e:
        raise SpecError(f"cannot read the spec: {e.strerror or e}", where=where,
                        hint="check the file's permissions") from None
    if len(data) > cap:
        raise SpecError(f"the spec is larger than the {cap:,}-byte limit", where=where,
                        hint="a spec is a document of values and rules: split it, or raise the limit with "
                             "DOCGEN_SPEC_MAX_BYTES=N if it really is this long")
    if b"\x00" in data[:8192]:
        raise SpecError("looks like a binary file, not a spec", where=where,
                        hint="pass a Markdown/plain-text spec or a YAML/JSON spec")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = data[: e.start].count(b"\n") + 1
        raise SpecError(f"not valid UTF-8 (byte {e.start})", where=f"{where}:{line}",
                        hint="save the spec as UTF-8 text") from None
    if not text.strip():
        raise SpecError("the spec is empty", where=f"{where}:1",
                        hint="write the model's values and rules into the file")
    return text.replace("\r\n", "\n").replace("\r", "\n")
