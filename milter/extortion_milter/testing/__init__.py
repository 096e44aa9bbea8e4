"""Throwaway MTAs on loopback (Postfix, Sendmail), a sink, and the milter as a subprocess.

Shared by the end-to-end tests, `extortion-milter demo` and the benchmark, so all three
drive the same setup. Needs root (Postfix's master and Sendmail insist on it).
"""
