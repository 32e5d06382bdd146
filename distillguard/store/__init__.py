"""The store seam: what detection reads from a store (:mod:`.protocol`), and the
DuckDB store's implementation of those reads (:mod:`.duckdb_reads`).

The DuckDB store itself (schema, loading, profile parts) is
:class:`distillguard.store.duckdb.Store`; a Spark store (a later issue) implements
the same :class:`~distillguard.store.protocol.EventStore`.
"""

from distillguard.store.protocol import EventFilter, EventOrder, EventStore, Window

__all__ = ["EventFilter", "EventOrder", "EventStore", "Window"]
