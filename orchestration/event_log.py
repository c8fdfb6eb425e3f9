"""The Dagster instance's event log: Dagster's own SQLite storage, its connections kept between events.

Dagster's SqliteEventLogStorage builds a new SQLAlchemy engine, and so opens and initialises a new SQLite
connection, for every read and write: two or three per event (the run's shard, then the index for asset and
check events), ~20 ms an event, and a load writes ~130 of them. This subclass keeps one engine per shard
for the few shards in use (the running run's and the index) — the same files, tables and migrations, so a
$DAGSTER_HOME written by either class reads the same in both. orchestration/dagster.yaml names it; its
`base_dir` defaults to Dagster's own place for the shards, $DAGSTER_HOME/history/runs. It overrides the
parent's connection helper (`_connect`, a private method of the Dagster pinned in pyproject.toml):
tests/test_event_log.py reads its runs back through Dagster's own class, so an upgrade that changes the
helper fails there.
"""
from __future__ import annotations

import os
import threading
import weakref
from collections import OrderedDict
from contextlib import contextmanager
from typing import Iterator

from dagster import Field, StringSource
from dagster._core.storage.event_log.sqlite.sqlite_event_log import INDEX_SHARD_NAME, SqliteEventLogStorage
from dagster._core.storage.sql import create_engine
from dagster._core.storage.sqlite import SQLITE_BUSY_TIMEOUT_SECONDS

# The running run's shard and the index are the hot ones; the webserver reads older runs' shards one at a
# time. Past this many, the least recently used engine is closed, so a long-lived process holds few files.
OPEN_SHARDS = 4

_LIVE: weakref.WeakSet = weakref.WeakSet()


def default_base_dir() -> str:
    home = os.environ.get("DAGSTER_HOME")
    if not home:
        raise ValueError("PooledSqliteEventLogStorage needs a base_dir in dagster.yaml, or DAGSTER_HOME set")
    return os.path.join(home, "history", "runs")


class PooledSqliteEventLogStorage(SqliteEventLogStorage):
    """SqliteEventLogStorage with an engine (and its pooled SQLite connection) kept per shard."""

    def __init__(self, base_dir: str | None = None, inst_data=None):
        self._engines: OrderedDict = OrderedDict()
        self._engines_lock = threading.Lock()
        super().__init__(base_dir or default_base_dir(), inst_data=inst_data)
        _LIVE.add(self)

    @classmethod
    def config_type(cls):
        return {"base_dir": Field(StringSource, is_required=False)}

    @classmethod
    def from_config_value(cls, inst_data, config_value):
        return cls(inst_data=inst_data, **config_value)

    def has_table(self, table_name: str) -> bool:
        # asked before most index writes, inside their transaction (so not through _connect, which holds
        # _db_lock); the parent builds a new engine for each ask
        engine = self._engine(INDEX_SHARD_NAME)
        with engine.connect() as conn:
            return bool(engine.dialect.has_table(conn, table_name))

    def _engine(self, shard: str):
        with self._engines_lock:
            engine = self._engines.pop(shard, None)
            if engine is None:
                engine = create_engine(self.conn_string_for_shard(shard),
                                       connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS})
                while len(self._engines) >= OPEN_SHARDS:
                    self._engines.popitem(last=False)[1].dispose()
            self._engines[shard] = engine
            return engine

    @contextmanager
    def _connect(self, shard: str) -> Iterator:
        with self._db_lock:
            engine = self._engine(shard)
            if shard not in self._initialized_dbs:
                self._initdb(engine)
                self._initialized_dbs.add(shard)
            with engine.connect() as conn:
                with conn.begin():
                    yield conn

    def _forget_engines(self, close: bool) -> None:
        with self._engines_lock:
            engines, self._engines = list(self._engines.values()), OrderedDict()
        for engine in engines:
            # a forked child must not close its parent's connections: dispose(close=False) drops them
            engine.dispose(close=close)

    def dispose(self) -> None:
        self._forget_engines(close=True)
        super().dispose()


def _after_fork_in_child() -> None:
    for storage in list(_LIVE):
        storage._engines_lock = threading.Lock()
        storage._forget_engines(close=False)


os.register_at_fork(after_in_child=_after_fork_in_child)
