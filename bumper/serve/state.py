"""The daemon's SQLite state: last results and pass history. A cache, never a source.

GitHub is the source of truth. Nothing here feeds a decision: deleting the file loses the
status page's history, and that is all. So a file that cannot be opened, is corrupt, or has
another schema is replaced, not repaired. Every write is one transaction, so a kill at any
moment leaves the last committed state.
"""

from __future__ import annotations

import contextlib
import json
import logging
import sqlite3
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from bumper.model import Result, Status

log = logging.getLogger("bumper.state")
T = TypeVar("T")

# Still 1 though the etags and meta tables are gone: no version read or wrote them, so a
# file that has them is the same schema (they stay, empty and ignored) and opens as it is.
SCHEMA_VERSION = 1
KEEP_PASSES = 200
_SCHEMA = """
CREATE TABLE entries (
    file TEXT NOT NULL,
    variable TEXT NOT NULL,
    repository TEXT NOT NULL,
    branch TEXT NOT NULL,
    status TEXT NOT NULL,
    old TEXT,
    new TEXT,
    behind INTEGER,
    message TEXT NOT NULL DEFAULT '',
    pr INTEGER,
    pr_url TEXT,
    checked_at REAL NOT NULL,
    changed_at REAL NOT NULL,
    last_error TEXT,
    last_error_at REAL,
    failing_since REAL,
    PRIMARY KEY (file, variable)
);
CREATE TABLE passes (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    trigger TEXT NOT NULL,
    started_at REAL NOT NULL,
    duration REAL,
    outcome TEXT NOT NULL,
    counts TEXT NOT NULL DEFAULT '{}',
    error TEXT
);
"""


@dataclass(frozen=True, slots=True)
class EntryState:
    """What the last pass that reached an entry found, plus its error history."""

    file: str
    variable: str
    repository: str
    branch: str
    status: str
    old: str | None
    new: str | None
    behind: int | None
    message: str
    pr: int | None
    pr_url: str | None
    checked_at: float
    changed_at: float  # when status, upstream head or PR last changed
    last_error: str | None
    last_error_at: float | None
    failing_since: float | None  # None unless the last result was a failure


@dataclass(frozen=True, slots=True)
class PassRecord:
    id: int
    trigger: str  # "schedule", "start", "http"
    started_at: float
    duration: float | None
    outcome: str  # "running", "ok", "failed", "crashed", "stopped", "interrupted"
    counts: dict[str, int]
    error: str | None


class State:
    """A thread-safe handle on the state file (or on memory, when there is no usable file).

    Any error of the file while running (corrupt, disk full, read-only, locked) moves the
    state to memory for the rest of the process: ``unusable`` then says why.
    """

    def __init__(self, conn: sqlite3.Connection, path: Path | None) -> None:
        self._conn = conn
        self._lock = threading.Lock()
        self.path = path
        self.unusable: str | None = None  # why the file at `path` was left for memory
        self._last_pass_id = 0

    # -- opening ------------------------------------------------------------------
    @classmethod
    def open(cls, path: Path | None) -> State:
        """Open or create the state at ``path``; None, or an unusable path, keeps it in memory."""
        if path is None:
            return cls(_connect(":memory:"), None)
        try:
            return cls(_open_file(path), path)
        except (OSError, sqlite3.Error) as exc:
            state = cls(_connect(":memory:"), path)
            state._left_file(exc)
            return state

    @property
    def note(self) -> str | None:
        """What readiness and the status page say once the file was left; else None."""
        if self.unusable is None:
            return None
        return f"in memory (file {self.path} unusable: {self.unusable})"

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def _left_file(self, exc: BaseException) -> None:
        self.unusable = str(exc) or type(exc).__name__
        log.warning("state: cannot use %s (%s); keeping state in memory", self.path, self.unusable)

    def _do(self, op: Callable[[sqlite3.Connection], T]) -> T:
        """``op`` in one transaction; on an error of the file, again on memory from now on."""
        with self._lock:
            try:
                with self._conn:
                    return op(self._conn)
            except (sqlite3.Error, OSError) as exc:
                if self.path is None or self.unusable is not None:
                    raise  # memory itself failing is a bug, not a file's trouble
                with contextlib.suppress(sqlite3.Error):
                    self._conn.close()
                self._conn = _connect(":memory:")
                # Pass ids go on rising: clients wait for "a pass after #N".
                with self._conn:
                    self._conn.execute(
                        "INSERT INTO sqlite_sequence (name, seq) VALUES ('passes', ?)",
                        (self._last_pass_id,),
                    )
                self._left_file(exc)
                with self._conn:
                    return op(self._conn)

    # -- entries ------------------------------------------------------------------
    def record_result(self, result: Result, at: float) -> None:
        """Store one entry's result in its own transaction."""
        entry = result.entry
        failed = result.status is Status.FAILED

        def write(db: sqlite3.Connection) -> None:
            row = db.execute(
                "SELECT status, new, pr, last_error, last_error_at, failing_since, changed_at"
                " FROM entries WHERE file = ? AND variable = ?",
                (entry.file, entry.variable),
            ).fetchone()
            if row is None:
                last_error, last_error_at, failing_since, changed_at = None, None, None, at
            else:
                status, new, pr, last_error, last_error_at, failing_since, changed_at = row
                if (status, new, pr) != (result.status.value, result.new, result.pr):
                    changed_at = at
            if failed:
                last_error, last_error_at = result.message, at
                failing_since = failing_since if failing_since is not None else at
            else:
                failing_since = None
            db.execute(
                "INSERT OR REPLACE INTO entries VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (
                    entry.file,
                    entry.variable,
                    entry.repository,
                    entry.branch,
                    result.status.value,
                    result.old,
                    result.new,
                    result.behind,
                    result.message,
                    result.pr,
                    result.pr_url,
                    at,
                    changed_at,
                    last_error,
                    last_error_at,
                    failing_since,
                ),
            )

        self._do(write)

    def entries(self) -> dict[tuple[str, str], EntryState]:
        """Every stored entry by (file, variable)."""
        rows = self._do(lambda db: db.execute("SELECT * FROM entries").fetchall())
        return {(r[0], r[1]): EntryState(*r) for r in rows}

    def forget_except(self, keys: Iterable[tuple[str, str]]) -> int:
        """Drop entries no longer in the matrix; returns how many went."""
        keep = set(keys)

        def forget(db: sqlite3.Connection) -> int:
            stored = db.execute("SELECT file, variable FROM entries").fetchall()
            gone = [k for k in stored if (k[0], k[1]) not in keep]
            db.executemany("DELETE FROM entries WHERE file = ? AND variable = ?", gone)
            return len(gone)

        return self._do(forget)

    # -- passes -------------------------------------------------------------------
    def begin_pass(self, trigger: str, started_at: float) -> int:
        def begin(db: sqlite3.Connection) -> int:
            cur = db.execute(
                "INSERT INTO passes (trigger, started_at, outcome) VALUES (?, ?, 'running')",
                (trigger, started_at),
            )
            db.execute("DELETE FROM passes WHERE id <= ?", (int(cur.lastrowid or 0) - KEEP_PASSES,))
            return int(cur.lastrowid or 0)

        self._last_pass_id = self._do(begin)
        return self._last_pass_id

    def finish_pass(
        self,
        pass_id: int,
        *,
        duration: float,
        outcome: str,
        counts: dict[str, int],
        error: str | None = None,
    ) -> None:
        self._do(
            lambda db: db.execute(
                "UPDATE passes SET duration = ?, outcome = ?, counts = ?, error = ? WHERE id = ?",
                (duration, outcome, json.dumps(counts, sort_keys=True), error, pass_id),
            )
        )

    def passes(self, limit: int = 20) -> list[PassRecord]:
        """The most recent passes, newest first."""
        rows = self._do(
            lambda db: db.execute(
                "SELECT id, trigger, started_at, duration, outcome, counts, error"
                " FROM passes ORDER BY id DESC LIMIT ?",
                (limit,),
            ).fetchall()
        )
        return [PassRecord(r[0], r[1], r[2], r[3], r[4], json.loads(r[5]), r[6]) for r in rows]


def _connect(target: str) -> sqlite3.Connection:
    # One connection shared by the HTTP and pass threads, serialised by State._lock.
    conn = sqlite3.connect(target, check_same_thread=False, timeout=5.0)
    conn.execute("PRAGMA foreign_keys = ON")
    if conn.execute("PRAGMA user_version").fetchone()[0] != SCHEMA_VERSION:
        _recreate(conn)
    return conn


def _recreate(conn: sqlite3.Connection) -> None:
    tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
    with conn:
        for table in tables:
            if not table.startswith("sqlite_"):
                conn.execute(f'DROP TABLE "{table}"')
        conn.executescript(_SCHEMA)
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")


def _open_file(path: Path) -> sqlite3.Connection:
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        conn = _checked(path)
    except sqlite3.DatabaseError as exc:
        log.warning("state: %s is unreadable (%s); starting a new one", path, exc)
        for stale in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
            stale.unlink(missing_ok=True)
        conn = _checked(path)
    with conn:
        # A pass the last process did not finish was cut off; say so in the history.
        conn.execute("UPDATE passes SET outcome = 'interrupted' WHERE outcome = 'running'")
    return conn


def _checked(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(str(path), check_same_thread=False, timeout=5.0)
    try:
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = NORMAL")
        if conn.execute("PRAGMA quick_check").fetchone()[0] != "ok":
            raise sqlite3.DatabaseError("quick_check failed")
        if conn.execute("PRAGMA user_version").fetchone()[0] != SCHEMA_VERSION:
            _recreate(conn)
    except BaseException:
        conn.close()
        raise
    return conn
