"""Turn candidate tokens into reported addresses: validate, re-join splits, dedupe."""

from __future__ import annotations

import re
from dataclasses import replace

from extortion_milter.engine.crypto.candidates import Family, family_for, iter_tokens
from extortion_milter.engine.crypto.context import base64_adjacent, in_url
from extortion_milter.engine.types import CryptoAddress

# Pieces joined onto a candidate. Groups of four to six characters are a common way to
# write an address; the length check below stops a join long before this bound matters.
_MAX_PIECES = 12
# Per-text work bounds, so a text stuffed with junk stays cheap (tens of ms at 256 KB).
# Ordinary mail has a few dozen candidates at most; reaching a bound stops the scan.
_MAX_CHECKS = 500  # checksum computations
_MAX_TOKENS = 5000  # candidate tokens examined (each may try a join)
_PIECE_LENGTH = 120
# What may separate pieces of one address: a few spaces, or a line break, possibly with
# the "=" of an undecoded quoted-printable soft break before it.
_PIECE = re.compile(
    rb"(?:[ \t]{0,3}=?\r?\n[ \t]{0,3}|[ \t]{1,3})([0-9A-Za-z]{1,%d})" % _PIECE_LENGTH
)


class _Budget:
    def __init__(self, checks: int) -> None:
        self.left = checks

    def take(self) -> bool:
        self.left -= 1
        return self.left >= 0


def find_addresses(text: str, max_addresses: int = 50) -> list[CryptoAddress]:
    """Cryptocurrency addresses in text, in order of first appearance.

    Deduplicated by (currency, address); an address counts as in_url only if every
    occurrence is in a URL (one bare mention is a payment request), and as joined if
    any occurrence was split. Bech32 and CashAddr are reported in canonical lower case.
    """
    if max_addresses <= 0 or not text:
        return []
    # Bytes keep offsets simple; non-ASCII bytes are never part of a token.
    data = text.encode("utf-8", "replace")
    budget = _Budget(_MAX_CHECKS)
    found: dict[tuple[str, str], CryptoAddress] = {}
    resume = 0
    for examined, (start, end) in enumerate(iter_tokens(data)):
        if examined >= _MAX_TOKENS or budget.left <= 0:
            break
        if start < resume:
            continue  # already consumed as a piece of a split address
        result = _examine(data, start, end, budget)
        if result is None:
            continue
        address, resume = result
        key = (address.currency, address.address)
        seen = found.get(key)
        if seen is not None:
            address = replace(
                seen, in_url=seen.in_url and address.in_url, joined=seen.joined or address.joined
            )
        found[key] = address
        if len(found) >= max_addresses:
            break
    return list(found.values())


def _examine(
    data: bytes, start: int, end: int, budget: _Budget
) -> tuple[CryptoAddress, int] | None:
    """The address a token stands for (alone or with the pieces after it), and where it ends."""
    token = data[start:end].decode("ascii")
    family = family_for(token)
    if family is None or len(token) > family.max_length:
        # Too long for the family, alone or with pieces joined on: "1XXXX…" lines of a
        # load generator, long base58-looking runs in URLs.
        return None
    whole = None
    if family.min_length <= len(token) <= family.max_length and budget.take():
        whole = family.check(token)
    if whole is not None and whole.valid:
        return replace(whole, in_url=in_url(data, start)), end
    joined = _join(data, token, end, family, budget)
    if joined is not None:
        address, stop = joined
        return replace(address, in_url=in_url(data, start), joined=True), stop
    # A failing look-alike counts only as typed text: in URLs and base64 such strings
    # are tracking tokens and encoded data.
    if whole is not None and not base64_adjacent(data, start, end) and not in_url(data, start):
        return whole, end
    return None


def _join(
    data: bytes, token: str, end: int, family: Family, budget: _Budget
) -> tuple[CryptoAddress, int] | None:
    """Append up to _MAX_PIECES following pieces; accept only a string that validates."""
    joined = token
    pos = end
    for _ in range(_MAX_PIECES):
        match = _PIECE.match(data, pos)
        if match is None:
            return None
        piece = match.group(1)
        pos = match.end(1)
        if pos < len(data) and data[pos : pos + 1].isalnum():
            return None  # piece longer than any address piece
        if piece.translate(None, family.alphabet):
            return None  # a character the encoding never uses: ordinary text
        joined += piece.decode("ascii")
        if len(joined) > family.max_length:
            return None
        if len(joined) >= family.min_length:
            if not budget.take():
                return None
            address = family.check(joined)
            if address is not None and address.valid:
                return address, pos
    return None
