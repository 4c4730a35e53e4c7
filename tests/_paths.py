"""Where tests find the repo, the shared test data (../shared) and the example spec."""

import os
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("DOCGEN_SHARED", REPO.parent / "shared"))
SPECS = SHARED / "specs"
EVAL_DIR = SHARED / "eval"
EXAMPLE_SPEC = REPO / "corpora" / "examples" / "wren_spec.md"
