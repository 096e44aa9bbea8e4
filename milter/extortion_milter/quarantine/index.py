"""The listing index: SQLite (stdlib) over the store's metadata files.

The files are the truth; the index only makes `list`, filters and `stats` fast. It is
brought up to date from the files on every use (only day directories whose mtime changed
are rescanned, so this is cheap), can be deleted at any time, and `rebuild()` recreates it
from scratch. The milter never opens it: storing a message never waits on the index.
When the index file cannot be written (read-only store, a reader without write access),
an in-memory index is built from the files instead.
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import time
from collections.abc import Iterator
from dataclasses import dataclass
from email.utils import parseaddr
from pathlib import Path
from typing import Any

from .store import FILE_MODE, Entry, EntryNotFound, Store, StoreError, is_valid_id

SCHEMA_VERSION = "2"
# File times have a coarse clock tick: a directory changed this recently may change again
# without its mtime moving, so it is rescanned next time rather than trusted.
SETTLE_NS = 2_000_000_000

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS days(day TEXT PRIMARY KEY, mtime_ns INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS entries(
    id TEXT PRIMARY KEY,
    day TEXT NOT NULL,
    time REAL NOT NULL,
    json_sig TEXT NOT NULL,
    queue_id TEXT NOT NULL,
    mail_from TEXT NOT NULL,
    header_from TEXT NOT NULL,
    score REAL NOT NULL,
    size INTEGER NOT NULL,
    status TEXT NOT NULL,
    doc TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS entries_time ON entries(time);
CREATE INDEX IF NOT EXISTS entries_day ON entries(day);
CREATE INDEX IF NOT EXISTS entries_queue ON entries(queue_id);
CREATE TABLE IF NOT EXISTS entry_rcpts(id TEXT NOT NULL, rcpt TEXT NOT NULL,
                                       domain TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS entry_rcpts_id ON entry_rcpts(id);
CREATE INDEX IF NOT EXISTS entry_rcpts_rcpt ON entry_rcpts(rcpt);
CREATE INDEX IF NOT EXISTS entry_rcpts_domain ON entry_rcpts(domain);
CREATE TABLE IF NOT EXISTS entry_rules(id TEXT NOT NULL, rule_id TEXT NOT NULL,
                                       score REAL NOT NULL);
CREATE INDEX IF NOT EXISTS entry_rules_id ON entry_rules(id);
CREATE INDEX IF NOT EXISTS entry_rules_rule ON entry_rules(rule_id);
"""


@dataclass(frozen=True)
class Filters:
    since: float | None = None  # entries at or after this time
    until: float | None = None  # entries before this time
    rule: str | None = None  # rule id, case-insensitive; * and ? are wildcards
    rcpt: str | None = None  # envelope recipient address, or @domain
    sender: str | None = None  # envelope sender or From header address, or @domain
    min_score: float | None = None
    status: str | None = None  # held, partial, released, sending
    limit: int | None = None  # the newest N


def _addr_parts(address: str) -> tuple[str, str]:
    address = address.strip().lower()
    return address, address.rpartition("@")[2]


def address_filter(value: str) -> tuple[str, str]:
    """("domain", d) for "@example.org" or "example.org", else ("address", a)."""
    value = value.strip().lower().removeprefix("<").removesuffix(">")
    if value.startswith("@"):
        return "domain", value[1:]
    if "@" not in value:
        return "domain", value
    return "address", value


def _signature(st: os.stat_result) -> str:
    """Changes whenever a metadata file is replaced (rename gives a new inode) or edited."""
    return f"{st.st_mtime_ns}:{st.st_ino}:{st.st_size}"


def _header_address(header_from: str) -> str:
    return parseaddr(header_from)[1].lower()


class Index:
    def __init__(self, store: Store) -> None:
        self.store = store
        self.path: Path = store.index_path
        self.in_memory = False
        self.problems: list[str] = []  # metadata files that could not be read
        self._db: sqlite3.Connection | None = None

    # -- opening

    def _connect(self) -> sqlite3.Connection:
        if self._db is not None:
            return self._db
        db: sqlite3.Connection | None = None
        if self.store.can_write():
            with contextlib.suppress(OSError, sqlite3.Error):
                db = self._open_file()
        if db is None:
            self.in_memory = True
            db = sqlite3.connect(":memory:")
        db.execute("CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL)")
        row = db.execute("SELECT value FROM meta WHERE key='schema'").fetchone()
        if row is None or row[0] != SCHEMA_VERSION:
            with db:  # another layout (or none): start over, the files are the truth
                for table in ("days", "entries", "entry_rcpts", "entry_rules"):
                    db.execute(f"DROP TABLE IF EXISTS {table}")
        db.executescript(SCHEMA)
        if row is None or row[0] != SCHEMA_VERSION:
            self._clear(db)
        self._db = db
        return db

    def _open_file(self) -> sqlite3.Connection:
        # Create it ourselves: sqlite would use the umask (0644) and root's ownership.
        with contextlib.suppress(FileExistsError):
            fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW,
                         FILE_MODE)
            try:
                self.store.chown_fd(fd)
            finally:
                os.close(fd)
        db = sqlite3.connect(str(self.path), timeout=30.0)
        db.execute("PRAGMA journal_mode=DELETE")
        db.execute("PRAGMA synchronous=NORMAL")
        db.execute("SELECT count(*) FROM sqlite_master").fetchone()
        return db

    def _clear(self, db: sqlite3.Connection) -> None:
        with db:
            for table in ("days", "entries", "entry_rcpts", "entry_rules"):
                db.execute(f"DELETE FROM {table}")  # noqa: S608 - fixed table names
            db.execute("INSERT OR REPLACE INTO meta VALUES ('schema', ?)", (SCHEMA_VERSION,))

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None

    def __enter__(self) -> Index:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- keeping up with the files

    def sync(self) -> int:
        """Bring the index up to date with the files; the number of entries (re)read."""
        db = self._connect()
        changed = 0
        on_disk: dict[str, int] = {}
        for day in self.store.days():
            with contextlib.suppress(FileNotFoundError):
                on_disk[day] = self.store.day_dir(day).stat().st_mtime_ns
        now_ns = time.time_ns()
        with db:
            known = dict(db.execute("SELECT day, mtime_ns FROM days").fetchall())
            for day in set(known) - set(on_disk):
                self._drop_day(db, day)
            for day, mtime_ns in sorted(on_disk.items()):
                if known.get(day) == mtime_ns:
                    continue
                changed += self._scan_day(db, day)
                settled = mtime_ns if now_ns - mtime_ns > SETTLE_NS else -1
                db.execute("INSERT OR REPLACE INTO days VALUES (?, ?)", (day, settled))
        return changed

    def rebuild(self) -> int:
        """Forget everything and read every entry from the files; the number of entries."""
        db = self._connect()
        self._clear(db)
        self.sync()
        row = db.execute("SELECT count(*) FROM entries").fetchone()
        return int(row[0])

    def _drop_day(self, db: sqlite3.Connection, day: str) -> None:
        ids = [r[0] for r in db.execute("SELECT id FROM entries WHERE day=?", (day,))]
        for entry_id in ids:
            self._delete_rows(db, entry_id)
        db.execute("DELETE FROM days WHERE day=?", (day,))

    def _scan_day(self, db: sqlite3.Connection, day: str) -> int:
        directory = self.store.day_dir(day)
        files: dict[str, str] = {}
        try:
            items = list(os.scandir(directory))
        except FileNotFoundError:
            items = []
        for item in items:
            name = item.name
            if name.endswith(".json") and is_valid_id(name[:-5]) and name.startswith(day):
                with contextlib.suppress(FileNotFoundError):
                    files[name[:-5]] = _signature(item.stat(follow_symlinks=False))
        rows = dict(db.execute("SELECT id, json_sig FROM entries WHERE day=?", (day,)))
        for entry_id in set(rows) - set(files):
            self._delete_rows(db, entry_id)
        changed = 0
        for entry_id, sig in files.items():
            if rows.get(entry_id) == sig:
                continue
            try:
                entry = self.store.load(entry_id)
            except EntryNotFound:
                self._delete_rows(db, entry_id)
                continue
            except StoreError as exc:
                self.problems.append(str(exc))  # `reindex` reports these
                continue
            self._put(db, entry, sig)
            changed += 1
        return changed

    def _delete_rows(self, db: sqlite3.Connection, entry_id: str) -> None:
        for table in ("entries", "entry_rcpts", "entry_rules"):
            db.execute(f"DELETE FROM {table} WHERE id=?", (entry_id,))  # noqa: S608

    def _put(self, db: sqlite3.Connection, entry: Entry, sig: str) -> None:
        self._delete_rows(db, entry.id)
        db.execute(
            "INSERT INTO entries VALUES (?,?,?,?,?,?,?,?,?,?,?)",
            (entry.id, entry.day, entry.time, sig, entry.queue_id,
             entry.mail_from.lower(), _header_address(entry.header_from), entry.score,
             entry.size, entry.status, json.dumps(entry.to_json(), ensure_ascii=False)),
        )
        db.executemany("INSERT INTO entry_rcpts VALUES (?,?,?)",
                       [(entry.id, *_addr_parts(r)) for r in entry.rcpts])
        db.executemany("INSERT INTO entry_rules VALUES (?,?,?)",
                       [(entry.id, r.rule_id, r.score) for r in entry.rules])

    def refresh(self, entry_id: str) -> None:
        """Re-read one entry after the CLI changed or deleted its files."""
        db = self._connect()
        _raw, meta_path = self.store.paths(entry_id)
        with db:
            try:
                sig = _signature(meta_path.stat())
                entry = self.store.load(entry_id)
            except EntryNotFound:
                self._delete_rows(db, entry_id)
                return
            except FileNotFoundError:
                self._delete_rows(db, entry_id)
                return
            self._put(db, entry, sig)

    # -- questions

    def _where(self, filters: Filters) -> tuple[str, list[Any]]:
        clauses: list[str] = []
        params: list[Any] = []
        if filters.since is not None:
            clauses.append("e.time >= ?")
            params.append(filters.since)
        if filters.until is not None:
            clauses.append("e.time < ?")
            params.append(filters.until)
        if filters.min_score is not None:
            clauses.append("e.score >= ?")
            params.append(filters.min_score)
        if filters.status:
            clauses.append("e.status = ?")
            params.append(filters.status)
        if filters.rule:
            clauses.append("e.id IN (SELECT id FROM entry_rules WHERE upper(rule_id) GLOB ?)")
            params.append(filters.rule.upper())
        if filters.rcpt:
            kind, value = address_filter(filters.rcpt)
            clauses.append("e.id IN (SELECT id FROM entry_rcpts WHERE domain = ?)"
                           if kind == "domain" else
                           "e.id IN (SELECT id FROM entry_rcpts WHERE rcpt = ?)")
            params.append(value)
        if filters.sender:
            kind, value = address_filter(filters.sender)
            if kind == "domain":
                clauses.append("(e.mail_from LIKE ? ESCAPE '\\' OR e.header_from LIKE ? "
                               "ESCAPE '\\')")
                pattern = "%@" + value.replace("\\", "\\\\").replace("%", "\\%").replace(
                    "_", "\\_")
                params.extend([pattern, pattern])
            else:
                clauses.append("(e.mail_from = ? OR e.header_from = ?)")
                params.extend([value, value])
        where = " WHERE " + " AND ".join(clauses) if clauses else ""
        return where, params

    def query(self, filters: Filters | None = None) -> list[Entry]:
        """Matching entries, oldest first (the newest `limit` when set)."""
        filters = filters or Filters()
        db = self._connect()
        where, params = self._where(filters)
        sql = f"SELECT e.doc FROM entries e{where} ORDER BY e.time DESC, e.id DESC"  # noqa: S608
        if filters.limit is not None:
            sql += " LIMIT ?"
            params.append(filters.limit)
        docs = [row[0] for row in db.execute(sql, params)]
        return [Entry.from_json(json.loads(doc)) for doc in reversed(docs)]

    def resolve(self, ref: str) -> list[str]:
        """Store ids for `ref`: a store id, or a Postfix queue id."""
        if is_valid_id(ref):
            return [ref]
        db = self._connect()
        return [r[0] for r in db.execute(
            "SELECT id FROM entries WHERE queue_id=? ORDER BY time", (ref,))]

    def older_than(self, cutoff: float) -> list[str]:
        db = self._connect()
        return [r[0] for r in db.execute(
            "SELECT id FROM entries WHERE time < ? ORDER BY time", (cutoff,))]

    def stats(self, since: float | None = None) -> dict[str, Any]:
        db = self._connect()
        where, params = self._where(Filters(since=since))
        total = db.execute(
            f"SELECT count(*), coalesce(sum(size), 0), min(time) "  # noqa: S608
            f"FROM entries e{where}", params).fetchone()
        per_status = dict(db.execute(
            f"SELECT status, count(*) FROM entries e{where} GROUP BY status",  # noqa: S608
            params).fetchall())
        per_day: dict[str, int] = {}
        for (stamp,) in db.execute(f"SELECT time FROM entries e{where}", params):  # noqa: S608
            day = time.strftime("%Y-%m-%d", time.localtime(stamp))
            per_day[day] = per_day.get(day, 0) + 1
        per_rule = db.execute(
            f"SELECT r.rule_id, count(*) FROM entry_rules r JOIN entries e ON e.id = r.id"  # noqa: S608
            f"{where} GROUP BY r.rule_id ORDER BY count(*) DESC, r.rule_id", params).fetchall()
        per_domain = db.execute(
            f"SELECT r.domain, count(DISTINCT r.id) FROM entry_rcpts r "  # noqa: S608
            f"JOIN entries e ON e.id = r.id{where} GROUP BY r.domain "
            "ORDER BY count(DISTINCT r.id) DESC, r.domain", params).fetchall()
        return {
            "entries": int(total[0]),
            "bytes": int(total[1]),
            "oldest": total[2],
            "per_status": per_status,
            "per_day": dict(sorted(per_day.items())),
            "per_rule": dict(per_rule),
            "per_recipient_domain": dict(per_domain),
        }


@contextlib.contextmanager
def open_index(store: Store) -> Iterator[Index]:
    """An index brought up to date with the files."""
    index = Index(store)
    try:
        index.sync()
        yield index
    finally:
        index.close()
