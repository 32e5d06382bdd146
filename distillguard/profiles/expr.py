"""Per-event expressions that profile parts are written in.

A part says *what* it aggregates over an account-day's events as a small
expression tree (a column, a comparison, ``AND``/``OR``/``NOT``, the UTC hour of a
timestamp, ...).  The trees are plain data: :mod:`.sql` compiles one to DuckDB SQL
and :mod:`.fold` evaluates it on one event dict, with SQL's semantics (``NULL``
propagates, ``AND``/``OR`` are three-valued, ``FILTER (WHERE x)`` keeps a row only
when ``x`` is TRUE), so the batch and the online path read the same definition.
A later back end (Spark) compiles the same trees.

Build them with the helpers, not the classes:

>>> from distillguard.profiles.sql import expr_sql
>>> expr_sql(and_(flag("cot_elicitation"), not_(flag("benchmark_match"))))
'(cot_elicitation AND NOT benchmark_match)'
>>> expr_sql(or_(is_null("status"), lt("status", 400)))
'(status IS NULL OR status < 400)'
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Final, Literal

#: Literal values an expression may hold.
Scalar = str | int | float | bool

#: Seconds since the previous event of the same account-day (NULL for its first
#: event).  Not a column of the event: the store computes it with a window over the
#: day's events, a state backend from the neighbours of the event in the day's
#: stored times.  Parts that read it must read nothing else (see ``ProfileSpec``).
GAP_COLUMN: Final = "gap_s"

CmpOp = Literal["=", "<>", "<", "<=", ">", ">="]


class Expr(ABC):
    """A per-event expression (build one with the helpers below)."""

    @abstractmethod
    def columns(self) -> frozenset[str]:
        """Every column the expression reads."""


@dataclass(frozen=True)
class Col(Expr):
    """The value of an event column (a schema column, a signal output, ``gap_s``)."""

    name: str

    def columns(self) -> frozenset[str]:
        return frozenset({self.name})


@dataclass(frozen=True, eq=False)
class Lit(Expr):
    """A constant.  Equal only to a constant of the same type (``1``, ``1.0`` and
    ``True`` are three constants in SQL, though equal in Python)."""

    value: Scalar

    def columns(self) -> frozenset[str]:
        return frozenset()

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Lit):
            return NotImplemented
        return type(self.value) is type(other.value) and self.value == other.value

    def __hash__(self) -> int:
        return hash((type(self.value).__name__, self.value))


@dataclass(frozen=True)
class Cmp(Expr):
    """``left op right``; NULL when either side is NULL."""

    op: CmpOp
    left: Expr
    right: Expr

    def columns(self) -> frozenset[str]:
        return self.left.columns() | self.right.columns()


@dataclass(frozen=True)
class IsNull(Expr):
    """``arg IS NULL`` (``negate``: ``IS NOT NULL``); never NULL itself."""

    arg: Expr
    negate: bool = False

    def columns(self) -> frozenset[str]:
        return self.arg.columns()


@dataclass(frozen=True)
class Flag(Expr):
    """A boolean column read as a condition (TRUE, FALSE or NULL)."""

    arg: Expr

    def columns(self) -> frozenset[str]:
        return self.arg.columns()


@dataclass(frozen=True)
class Not(Expr):
    """Three-valued ``NOT``."""

    arg: Expr

    def columns(self) -> frozenset[str]:
        return self.arg.columns()


@dataclass(frozen=True)
class Logic(Expr):
    """Three-valued ``AND`` / ``OR`` of two or more conditions."""

    op: Literal["AND", "OR"]
    args: tuple[Expr, ...]

    def columns(self) -> frozenset[str]:
        return frozenset().union(*(a.columns() for a in self.args))


@dataclass(frozen=True)
class Func(Expr):
    """A scalar function of one argument (NULL in, NULL out).

    ``hour``: UTC hour of a timestamp; ``square``: ``x * x``; ``ln1p``: ``ln(x + 1)``.
    """

    name: Literal["hour", "square", "ln1p"]
    arg: Expr

    def columns(self) -> frozenset[str]:
        return self.arg.columns()


def _e(value: Expr | str) -> Expr:
    """A column given by name, or an expression as is."""
    return Col(value) if isinstance(value, str) else value


def _v(value: Expr | Scalar) -> Expr:
    """A literal given as a Python value, or an expression as is."""
    return value if isinstance(value, Expr) else Lit(value)


def col(name: str) -> Col:
    return Col(name)


def eq(left: Expr | str, right: Expr | Scalar) -> Cmp:
    """``left = right`` (``left`` a column name or expression, ``right`` a value)."""
    return Cmp("=", _e(left), _v(right))


def ne(left: Expr | str, right: Expr | Scalar) -> Cmp:
    return Cmp("<>", _e(left), _v(right))


def lt(left: Expr | str, right: Expr | Scalar) -> Cmp:
    return Cmp("<", _e(left), _v(right))


def gt(left: Expr | str, right: Expr | Scalar) -> Cmp:
    return Cmp(">", _e(left), _v(right))


def is_null(arg: Expr | str) -> IsNull:
    return IsNull(_e(arg))


def not_null(arg: Expr | str) -> IsNull:
    return IsNull(_e(arg), negate=True)


def flag(arg: Expr | str) -> Flag:
    """A boolean column as a condition: a row counts when it is TRUE."""
    return Flag(_e(arg))


def not_(arg: Expr) -> Not:
    return Not(arg)


def and_(*args: Expr) -> Logic:
    return Logic("AND", args)


def or_(*args: Expr) -> Logic:
    return Logic("OR", args)


def hour(arg: Expr | str) -> Func:
    """The UTC hour (0-23) of a timestamp."""
    return Func("hour", _e(arg))


def square(arg: Expr | str) -> Func:
    return Func("square", _e(arg))


def ln1p(arg: Expr | str) -> Func:
    """``ln(x + 1)``."""
    return Func("ln1p", _e(arg))


#: The gap column as an expression.
GAP: Final = Col(GAP_COLUMN)
