"""Nothing outside the store touches a store's database connection.

Code above the store reads through the store protocol
(:class:`distillguard.store.EventStore`): that is the seam where another back end
(Spark) plugs in.  Only the store's own modules may use ``.con``/``._con``.
"""

from __future__ import annotations

import ast
from pathlib import Path

import distillguard

#: The DuckDB store: its class and its protocol reads (paths from the repository root).
STORE_MODULES = frozenset({"distillguard/store/duckdb.py", "distillguard/store/duckdb_reads.py"})
NAMES = frozenset({"con", "_con"})


def connection_uses(source: str, filename: str = "<source>") -> list[int]:
    """Lines of ``source`` that reach for a connection attribute (``x.con``,
    ``x._con``, ``getattr(x, "con")``)."""
    lines = []
    for node in ast.walk(ast.parse(source, filename=filename)):
        if (isinstance(node, ast.Attribute) and node.attr in NAMES) or (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in ("getattr", "setattr", "hasattr")
            and len(node.args) >= 2
            and isinstance(node.args[1], ast.Constant)
            and node.args[1].value in NAMES
        ):
            lines.append(node.lineno)
    return sorted(lines)


def test_the_check_finds_every_spelling() -> None:
    src = "a = store.con\nb = s._con.sql('x')\nc = getattr(store, 'con')\nd = store.content\n"
    assert connection_uses(src) == [1, 2, 3]


def test_only_the_store_modules_use_a_connection() -> None:
    root = Path(distillguard.__file__).parent
    offenders = []
    for path in sorted(root.rglob("*.py")):
        rel = path.relative_to(root.parent).as_posix()
        if rel in STORE_MODULES:
            continue
        for line in connection_uses(path.read_text(encoding="utf-8"), rel):
            offenders.append(f"{rel}:{line}")
    assert offenders == [], "read through distillguard.store.EventStore instead"
    for rel in STORE_MODULES:
        assert (root.parent / rel).exists(), f"{rel} moved: update STORE_MODULES"
