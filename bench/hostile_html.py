"""How the HTML-to-text scanner's cost grows with hostile markup (it must stay linear).

Each row is a hostile pattern (like those tests/unit/test_html_text.py feeds the scanner)
at size n and 4n; the ratio of the two times is about 4 for a linear scan and 16 for a
quadratic one. Plain prose, scanned in the same run, is the baseline.

    python3 bench/hostile_html.py [--n 20000]
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

from extortion_milter.engine.html_text import html_to_text

PATTERNS: dict[str, Callable[[int], str]] = {
    "comments, anchors, end tags": lambda n: "<!--x" * n + "<a" * n + "</" * n,
    "unclosed tags": lambda n: "<" * 10 * n,
    "unclosed attribute": lambda n: '<a b="' * n,
    "style braces": lambda n: "<style>" + "{" * 10 * n,
    "plain prose (baseline)": lambda n: "some ordinary words " * n,
}


def seconds(html: str, repeat: int = 3) -> float:
    runs = []
    for _ in range(repeat):
        start = time.perf_counter()
        html_to_text(html)
        runs.append(time.perf_counter() - start)
    return statistics.median(runs)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=20_000)
    args = parser.parse_args()
    print(f"{'pattern':<30} {'n':>8} {'time n':>10} {'time 4n':>10} {'ratio':>6}")
    for name, pattern in PATTERNS.items():
        small = seconds(pattern(args.n))
        big = seconds(pattern(4 * args.n))
        print(f"{name:<30} {args.n:>8} {small * 1000:8.1f}ms {big * 1000:8.1f}ms "
              f"{big / max(small, 1e-9):6.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
