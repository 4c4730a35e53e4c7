"""Cost of rendering one writing prompt: the packaged templates (plain sandboxed render) against a
user's template directory (the same render under the sandbox's clock, see docgen/prompts.py).

    python benchmarks/bench_template_render.py [--n 2000]

Both sides render the same template (the packaged document.j2, copied into a temporary user
directory for the second) with the same context, alternately in rounds, in one process.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from docgen.genres import load_genres
from docgen.prompts import render, sample_context


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=2000, help="renders per side per round")
    ap.add_argument("--rounds", type=int, default=5)
    a = ap.parse_args()
    genre = load_genres()["memo"]
    ctx = sample_context(genre)
    user = Path(tempfile.mkdtemp())
    import docgen

    shutil.copy(Path(docgen.__file__).parent / "templates" / "document.j2", user / "document.j2")
    assert render("document.j2", ctx) == render("document.j2", ctx, user)
    plain, clocked = [], []
    for _ in range(a.rounds):
        t = time.perf_counter()
        for _ in range(a.n):
            render("document.j2", ctx)
        plain.append((time.perf_counter() - t) / a.n * 1e3)
        t = time.perf_counter()
        for _ in range(a.n):
            render("document.j2", ctx, user)
        clocked.append((time.perf_counter() - t) / a.n * 1e3)
    p, c = statistics.median(plain), statistics.median(clocked)
    print(f"packaged templates (no clock): {p:.3f} ms/render")
    print(f"user template dir (clocked):   {c:.3f} ms/render   ratio {c / p:.2f}x  (median of {a.rounds} rounds)")
    shutil.rmtree(user)


if __name__ == "__main__":
    main()
