"""extortion-milter: stop sextortion and crypto-ransom mail at the MTA."""

__version__ = "0.1.0"
