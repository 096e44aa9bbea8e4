"""Run find_addresses over the sextortion wallet list (AFT 2019) and report the figures.

Usage: python bench/wallets.py [PATH]   (default: ../shared/corpus/wallets/... from the repo root)
Each address goes into a short extortion-style sentence; the study's list holds 12,522
addresses that pass Base58Check and 11 that do not, which must never come out valid.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "milter"))

from extortion_milter.engine.crypto import find_addresses  # noqa: E402

DEFAULT = REPO.parent / "shared/corpus/wallets/aft2019-sextortion-btc-addresses.txt"


def main(argv: list[str]) -> int:
    path = Path(argv[1]) if len(argv) > 1 else DEFAULT
    if not path.is_file():
        print(
            f"wallet list not found: {path} (pass its path as the first argument)", file=sys.stderr
        )
        return 2
    wallets = [line.strip() for line in path.read_text().splitlines() if line.strip()]
    texts = [
        f"I know your secrets. Send 0.1 BTC to {w} within 48 hours or I share the video."
        for w in wallets
    ]
    valid = lookalike = missing = 0
    rejected: list[str] = []
    start = time.perf_counter()
    results = [find_addresses(text) for text in texts]
    elapsed = time.perf_counter() - start
    for wallet, found in zip(wallets, results, strict=True):
        mine = [a for a in found if a.address == wallet]
        if any(a.valid for a in mine):
            valid += 1
            continue
        rejected.append(wallet)
        if mine:
            lookalike += 1
        else:
            missing += 1
    print(f"lines:                       {len(wallets)}")
    print(f"reported valid:              {valid}")
    print(f"not valid (checksum fails):  {len(rejected)}")
    print(f"  reported as look-alike:    {lookalike}")
    print(f"  not reported at all:       {missing}")
    for wallet in rejected:
        print(f"    {wallet}")
    print(f"time per text:               {elapsed / len(texts) * 1e6:.1f} us")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
