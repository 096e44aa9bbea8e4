"""The floor for the throughput benchmark: a pymilter milter that does almost nothing
(adds one header at end of message). What it costs is libmilter + pymilter, not us.

    python3 bench/trivial_milter.py unix:/path/to.sock
"""

from __future__ import annotations

import sys

import Milter


class Trivial(Milter.Base):  # type: ignore[misc]
    @Milter.noreply  # type: ignore[misc]
    def header(self, name: str, value: bytes) -> int:
        return int(Milter.CONTINUE)

    @Milter.noreply  # type: ignore[misc]
    def body(self, chunk: bytes) -> int:
        return int(Milter.CONTINUE)

    def eom(self) -> int:
        self.addheader("X-Trivial", "yes")
        return int(Milter.CONTINUE)


if __name__ == "__main__":
    Milter.factory = Trivial
    Milter.runmilter("trivial", sys.argv[1], 600)
