"""A price table kept as data: list prices per model family, per million tokens.

The table (YAML, validated on load; the shipped one is
``distillguard/economics/prices.yaml``) has rows of ``match`` (a shell-style pattern on
the model name, case-insensitive), ``input``, ``completion`` and optional
``reasoning`` prices in dollars per million tokens, and a ``default`` row for models
no row matches.

Token counts follow OpenAI usage semantics: ``reasoning_tokens`` are *part of*
``completion_tokens``.  A completion is therefore priced as its visible part at the
completion price plus its reasoning part at the reasoning price; the reasoning is
never counted twice.  A record whose reasoning exceeds its completion (a log that
counted them apart) is read as all reasoning.

>>> t = load_prices_text('''
... version: 1
... models:
...   - {match: "o*", input: 2, completion: 8, reasoning: 16}
... default: {input: 1, completion: 4}
... ''', "p.yaml")
>>> t.price_for("o3").reasoning, t.price_for("O3-pro").match, t.price_for("chat").match
(16.0, 'o*', 'default')
>>> t.price_for("o3").value(prompt=1_000_000, completion=1_000_000, reasoning=500_000)
14.0
"""

from __future__ import annotations

import fnmatch
import math
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

from distillguard.config import build
from distillguard.datafile import DataFileError, load_data_file, load_data_text
from distillguard.yamlio import YamlDoc

#: Tokens a price is quoted for.
PER: float = 1_000_000.0


@dataclass(frozen=True)
class Price:
    """Dollars per million tokens of one model family."""

    input: float
    completion: float
    #: Hidden or shown reasoning tokens (None: the completion price).
    reasoning: float | None = None
    #: The pattern that chose this row (``default`` for the default row).
    match: str = "default"

    def check(self) -> list[tuple[str, str]]:
        for name in ("input", "completion", "reasoning"):
            v = getattr(self, name)
            if v is not None and (not math.isfinite(v) or v < 0):
                return [(name, "must be a price of at least 0 (dollars per million tokens)")]
        if not self.match:
            return [("match", "must not be empty")]
        return []

    @property
    def reasoning_price(self) -> float:
        return self.completion if self.reasoning is None else self.reasoning

    def value(
        self, *, prompt: float = 0.0, completion: float = 0.0, reasoning: float = 0.0
    ) -> float:
        """Dollars at list price of these tokens (``reasoning`` counted within ``completion``)."""
        reasoning = max(0.0, reasoning)
        visible = max(0.0, completion - reasoning)
        return (
            max(0.0, prompt) * self.input + visible * self.completion
            + reasoning * self.reasoning_price
        ) / PER  # fmt: skip


@dataclass(frozen=True)
class PriceTable:
    """A whole price file: rows tried in order, then the default."""

    default: Price
    models: tuple[Price, ...] = ()
    version: int = 1
    currency: str = "USD"
    #: Where the table was read from (set by the loaders).
    source: str = "<prices>"

    def check(self) -> list[tuple[str, str]]:
        if self.version != 1:
            return [("version", f"unsupported price table version {self.version} (reads 1)")]
        if self.currency != "USD":
            return [("currency", "prices are in USD")]
        for i, row in enumerate(self.models):
            if row.match == "default":
                return [(f"models[{i}].match", "every row needs a pattern to match")]
        return []

    def price_for(self, model: str | None) -> Price:
        """The first row whose pattern fits ``model`` (case-insensitive), else the default."""
        # Cached: the gateway prices every answer, and a deployment has few model names.
        return _price_for(self, model) if model else self.default


@lru_cache(maxsize=4096)
def _price_for(table: PriceTable, model: str) -> Price:
    name = model.lower()
    for row in table.models:
        if fnmatch.fnmatchcase(name, row.match.lower()):
            return row
    return table.default


def _build(doc: YamlDoc) -> PriceTable:
    if doc.data is None:
        raise DataFileError("empty price table", path=doc.source)
    if isinstance(doc.data, dict) and isinstance(doc.data.get("source"), str):
        raise DataFileError("unknown key 'source'", path=doc.source, field="source")
    table = build(PriceTable, doc, error=DataFileError)
    return PriceTable(table.default, table.models, table.version, table.currency, doc.source)


def load_prices_text(text: str, source: str = "<prices>") -> PriceTable:
    """Parse and validate price-table YAML text (errors name ``source``, line and field)."""
    return _build(load_data_text(text, source))


def load_prices(path: str | Path | None = None) -> PriceTable:
    """A price file, or the table shipped with the package (``prices.yaml``)."""
    if path is not None:
        return _build(load_data_file(path))
    return _shipped()


@lru_cache(maxsize=1)
def _shipped() -> PriceTable:
    ref = resources.files("distillguard.economics") / "prices.yaml"
    return load_prices_text(ref.read_text(encoding="utf-8"), "<shipped prices.yaml>")
