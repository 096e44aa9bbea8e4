"""Keccak-256 (the pre-SHA-3 padding Ethereum and Monero use), from pycryptodome."""

from __future__ import annotations

from Crypto.Hash import keccak


def keccak256(data: bytes) -> bytes:
    digest: bytes = keccak.new(digest_bits=256, data=data).digest()
    return digest
