"""Cryptocurrency addresses in message text: find, validate, re-join split ones.

Bitcoin (legacy, SegWit, Taproot), Litecoin, Dogecoin, Bitcoin Cash (CashAddr),
Ethereum (EIP-55), Tron and Monero. Checksums decide validity, so look-alikes such as
git hashes, order IDs and tracking tokens are never reported as valid addresses.
"""

from __future__ import annotations

from extortion_milter.engine.crypto.scan import find_addresses
from extortion_milter.engine.types import CryptoAddress

__all__ = ["CryptoAddress", "find_addresses"]
