"""Bounds on per-message work, so no message can make a scan slow or huge."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Limits:
    max_message_bytes: int = 10 * 1024 * 1024  # bytes of a message the engine parses at all
    max_part_bytes: int = 1024 * 1024  # decoded bytes taken from one MIME part
    max_text_chars: int = 256 * 1024  # characters of visible text matched by rules, in total
    max_parts: int = 200  # MIME parts walked
    max_pdf_pages: int = 10
    max_pdf_bytes: int = 5 * 1024 * 1024
    max_addresses: int = 50  # crypto addresses reported
