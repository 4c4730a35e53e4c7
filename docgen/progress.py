"""Progress while generating: tqdm on a terminal, a plain line every few seconds otherwise."""

from __future__ import annotations

import sys
import time
from typing import Any


class Progress:
    def __init__(self, enabled: bool):
        self.enabled = enabled
        self.bar = None
        self.last = 0.0

    def update(self, s: dict[str, Any]) -> None:
        if self.enabled:
            if self.bar is None:
                from tqdm import tqdm

                self.bar = tqdm(total=s["total"], initial=s["done"], unit="doc", dynamic_ncols=True, file=sys.stderr)
            self.bar.n = s["done"]
            extra = {"spent": f"${s['spent']:.4f}"} if s["spent"] else {}
            self.bar.set_postfix(kept=s["accepted"], out_tok=s["out_tokens"], cached=s["cached"], **extra,
                                 refresh=False)
            self.bar.refresh()
        elif time.monotonic() - self.last > 10 or s["done"] == s["total"]:
            self.last = time.monotonic()
            spent = f", ${s['spent']:.4f} spent" if s["spent"] else ""
            sys.stderr.write(f"[docgen] {s['done']}/{s['total']} items, {s['accepted']} kept, "
                             f"{s['out_tokens']} output tokens{spent}\n")

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
