"""Turn the PATH arguments of `check` into messages: files, directories, mboxes, stdin.

Every regular file below a directory is one message (corpora and Maildirs do not use
.eml); a file whose first line starts with "From " is an mbox and yields one message per
entry. Hidden files, Maildir `tmp/` (deliveries in progress) and mail-server index files
are skipped.
"""

from __future__ import annotations

import mailbox
import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

_INDEX_PREFIXES = ("dovecot", "courierimap", "maildirfolder", "subscriptions")


@dataclass(frozen=True)
class InputMessage:
    path: str
    raw: bytes | None
    error: str | None = None


def _is_mbox(path: Path) -> bool:
    try:
        with path.open("rb") as handle:
            return handle.read(5) == b"From "
    except OSError:
        return False


def _from_mbox(path: Path) -> Iterator[InputMessage]:
    try:
        box = mailbox.mbox(str(path), create=False)
        for index, key in enumerate(box.iterkeys(), start=1):
            yield InputMessage(f"{path}#{index}", box.get_bytes(key))
    except (OSError, mailbox.Error) as exc:
        yield InputMessage(str(path), None, f"cannot read mbox: {exc}")


def _from_file(path: Path) -> Iterator[InputMessage]:
    if _is_mbox(path):
        yield from _from_mbox(path)
        return
    try:
        yield InputMessage(str(path), path.read_bytes())
    except OSError as exc:
        yield InputMessage(str(path), None, f"cannot read: {exc.strerror or exc}")


def _walk(root: Path) -> Iterator[Path]:
    for directory, dirnames, filenames in os.walk(root, onerror=None):
        names = set(dirnames)
        if "tmp" in names and ({"cur", "new"} & names):
            dirnames.remove("tmp")
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in sorted(filenames):
            if name.startswith(".") or name.startswith(_INDEX_PREFIXES):
                continue
            full = Path(directory) / name
            if full.is_file():
                yield full


def iter_messages(paths: list[str]) -> Iterator[InputMessage]:
    for argument in paths:
        if argument == "-":
            yield InputMessage("-", sys.stdin.buffer.read())
            continue
        path = Path(argument)
        if path.is_dir():
            if not os.access(path, os.R_OK | os.X_OK):
                yield InputMessage(argument, None, "cannot read directory: permission denied")
                continue
            for file in _walk(path):
                yield from _from_file(file)
        elif path.exists():
            yield from _from_file(path)
        else:
            yield InputMessage(argument, None, "no such file or directory")
