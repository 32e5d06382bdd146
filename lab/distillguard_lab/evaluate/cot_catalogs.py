"""The chain-of-thought evaluation catalogs: data files outside the package, read by path.

The catalogs that measure or train the ``cot_elicitation`` signal are evaluation data,
not product: they live in the repository's ``data/eval/cot/`` folder (no package holds
them, so no wheel ships them and no ``import`` reaches them), with their SHA-256 in
``data/eval/MANIFEST``:

``heldout_v5.yaml``, ``heldout_v5_negatives.yaml``
    The **blind held-out test set** (v5, written 2026-12-07) and its blind hard
    negatives: read only by :func:`heldout` and :func:`heldout_negatives`, which only the
    evaluation (:mod:`distillguard_lab.evaluate.cot`) calls.  Never train, tune or read
    its misses; the model-building scripts refuse to run once it has been read
    (:func:`refuse_blind_reads`, :func:`blind_reads`).
``heldout_v6.yaml``, ``heldout_v6_negatives.yaml``
    The next blind held-out set (v6, written 2026-12-07 by an independent author blind
    to the signal) and its blind hard negatives, *not measured yet*:
    ``heldout("v6")`` and ``heldout_negatives("v6")`` read them, :func:`blind_paths`
    names them, and :func:`heldout` still reads v5 by default until the v6 results
    have been measured.  Blind like v5.
``spent_v2.yaml``, ``spent_v3.yaml``, ``spent_v4.yaml``
    Former held-out sets, spent (results read): development data (:func:`spent_set`).
    v4 was the held-out set until v5 replaced it on 2026-12-07.
``dev_families.yaml``, ``dev_negatives.yaml``
    Development families, benign apps and asks, and benign hard negatives
    (:func:`dev_families`, :func:`dev_negatives`).

The folder is ``$DISTILLGUARD_EVAL_DATA``, or ``data/eval`` in the source checkout
that holds this module (the nearest folder above it that has one).  Every file is
validated on load: errors name the file, line and field
(:class:`~distillguard.datafile.DataFileError`).

>>> cat = spent_set("v2")
>>> cat.version, cat.status, cat.family("cipher_trace_en_v2").style
('v2', 'spent', 'encode_reasoning')
>>> len(dev_negatives().kinds) >= 10
True
"""

from __future__ import annotations

import functools
import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Final, Literal

from distillguard.datafile import (
    FieldError,
    build_records,
    check_keys,
    fail,
    load_data_file,
    no_duplicates,
    sha256_file,
    string_list,
)
from distillguard.errors import DistillguardError
from distillguard.yamlio import YamlDoc
from distillguard_lab.sim.elicitation import PLACEHOLDER, ElicitationFamily

#: Environment variable that points at the evaluation data folder (``data/eval``).
EVAL_DATA_ENV: Final = "DISTILLGUARD_EVAL_DATA"
#: The catalogs' folder inside it, and the checksum manifest.
COT_DIR: Final = "cot"
MANIFEST: Final = "MANIFEST"
#: The blind held-out set (relative to the evaluation data folder).
HELDOUT_FILE: Final = f"{COT_DIR}/heldout_v5.yaml"
#: Every blind held-out set, by version; :func:`heldout` reads ``DEFAULT_HELDOUT``
#: unless told otherwise.
HELDOUT_FILES: Final = {"v5": HELDOUT_FILE, "v6": f"{COT_DIR}/heldout_v6.yaml"}
DEFAULT_HELDOUT: Final = "v5"
#: The blind hard negatives written with a held-out set, by version.
HELDOUT_NEGATIVES_FILES: Final = {
    "v5": f"{COT_DIR}/heldout_v5_negatives.yaml",
    "v6": f"{COT_DIR}/heldout_v6_negatives.yaml",
}
#: The spent sets, by version.
SPENT_FILES: Final = {v: f"{COT_DIR}/spent_{v}.yaml" for v in ("v2", "v3", "v4")}

#: What a catalog is: the blind test set, a spent former test set, development data.
Status = Literal["heldout", "spent", "dev"]

_ID_RE = re.compile(r"[a-z][a-z0-9]*(?:_[a-z0-9]+)*")
_blind_reads = 0


class BlindReadError(RuntimeError):
    """A process that must stay blind to the held-out set tried to open it."""


def eval_data_dir() -> Path:
    """The evaluation data folder: ``$DISTILLGUARD_EVAL_DATA`` or ``<repo>/data/eval``."""
    env = os.environ.get(EVAL_DATA_ENV)
    if env:
        root = Path(env)
    else:
        # The checkout that holds this file (wherever the lab package sits in it).
        here = Path(__file__).resolve().parents
        found = (p / "data" / "eval" for p in here if (p / "data" / "eval" / MANIFEST).is_file())
        root = next(found, here[2] / "data" / "eval")
    if not (root / MANIFEST).is_file():
        raise DistillguardError(
            "evaluation data not found (run from a source checkout, or set "
            f"{EVAL_DATA_ENV} to the repository's data/eval folder)",
            path=root,
        )
    return root


def blind_path() -> Path:
    """Where the blind held-out set is (the path, not its content)."""
    return eval_data_dir() / HELDOUT_FILE


def blind_paths() -> tuple[Path, ...]:
    """Every blind file: each held-out set and its hard negatives (paths only)."""
    root = eval_data_dir()
    names = (*HELDOUT_FILES.values(), *HELDOUT_NEGATIVES_FILES.values())
    return tuple(root / name for name in names)


# ----------------------------------------------------------------------------- records


@dataclass(frozen=True)
class FamilyCatalog:
    """A versioned set of elicitation families (held-out, spent or development)."""

    version: str
    #: Date the families were written (and frozen).
    written: str
    status: Status
    families: tuple[ElicitationFamily, ...]
    #: The file it was read from.
    source: str

    def family(self, family_id: str) -> ElicitationFamily:
        """The family with this id (``KeyError`` if there is none)."""
        for fam in self.families:
            if fam.id == family_id:
                return fam
        raise KeyError(family_id)


@dataclass(frozen=True)
class BenignApp:
    """A legitimate application: its system prompt and how it sends the user's text."""

    id: str
    language: str
    system: str
    #: The user message, holding ``{task}`` once.
    user: str = PLACEHOLDER

    def __post_init__(self) -> None:
        if not _ID_RE.fullmatch(self.id):
            raise FieldError("id", f"app id {self.id!r} is not snake_case")
        if self.user.count(PLACEHOLDER) != 1:
            raise FieldError("user", f"app {self.id}: user must hold {PLACEHOLDER} once")


@dataclass(frozen=True)
class NegativeFamily:
    """Benign user-message templates of one kind and language."""

    id: str
    #: What the request is (``hint``, ``grading``, ``howto``, ...): cross-validation
    #: holds out every family of a kind together.
    kind: str
    language: str
    templates: tuple[str, ...]

    def __post_init__(self) -> None:
        if not _ID_RE.fullmatch(self.id):
            raise FieldError("id", f"family id {self.id!r} is not snake_case")
        if not _ID_RE.fullmatch(self.kind):
            raise FieldError("kind", f"kind {self.kind!r} is not snake_case")
        if not self.templates:
            raise FieldError("templates", f"family {self.id}: needs templates")
        for k, t in enumerate(self.templates):
            if t.count(PLACEHOLDER) != 1:
                raise FieldError(f"templates[{k}]", f"template must hold {PLACEHOLDER} once")


@dataclass(frozen=True)
class DevFamilies:
    """Extra development data: elicitation families, benign apps, explanation asks."""

    catalog: FamilyCatalog
    benign_apps: tuple[BenignApp, ...]
    #: Ordinary homework and explanation asks, each holding ``{task}`` once.
    benign_asks: tuple[str, ...]


@dataclass(frozen=True)
class DevNegatives:
    """Benign hard negatives: user-message families by kind, and apps' system prompts."""

    families: tuple[NegativeFamily, ...]
    systems: tuple[str, ...]

    @property
    def kinds(self) -> tuple[str, ...]:
        """Kinds of the families, in order of first appearance."""
        return tuple(dict.fromkeys(f.kind for f in self.families))


# ----------------------------------------------------------------------------- loading


def _meta(doc: YamlDoc, status: str, extra: tuple[str, ...] = ()) -> dict[str, object]:
    top = check_keys(doc, (), ("version", "written", "status", "families", *extra))
    for key in ("version", "written", "status"):
        if not isinstance(top[key], str) or not top[key]:
            raise fail(doc, (key,), f"expected a non-empty string, got {top[key]!r}")
    if top["status"] != status:
        raise fail(doc, ("status",), f"expected status {status!r}, got {top['status']!r}")
    return top


def load_family_catalog(path: str | Path, status: Status) -> FamilyCatalog:
    """A family catalog file, validated (ids unique, styles known, ``{task}`` once)."""
    doc = load_data_file(path)
    top = _meta(doc, status)
    families = _families(doc)
    return FamilyCatalog(str(top["version"]), str(top["written"]), status, families, doc.source)


def _families(doc: YamlDoc) -> tuple[ElicitationFamily, ...]:
    families = build_records(ElicitationFamily, doc, ("families",))
    for i, fam in enumerate(families):
        no_duplicates(doc, ("families", i, "templates"), fam.templates, "template")
    return families


@functools.cache
def spent_set(version: str) -> FamilyCatalog:
    """A spent former held-out set (``"v2"`` or ``"v3"``): development data now."""
    if version not in SPENT_FILES:
        raise KeyError(f"no spent set {version!r} (known: {', '.join(SPENT_FILES)})")
    return load_family_catalog(eval_data_dir() / SPENT_FILES[version], "spent")


@functools.cache
def dev_families() -> DevFamilies:
    """The extra development families, benign apps and asks (``dev_families.yaml``)."""
    doc = load_data_file(eval_data_dir() / COT_DIR / "dev_families.yaml")
    top = _meta(doc, "dev", ("benign_apps", "benign_asks"))
    catalog = FamilyCatalog(
        str(top["version"]),
        str(top["written"]),
        "dev",
        _families(doc),
        doc.source,
    )
    apps = build_records(BenignApp, doc, ("benign_apps",))
    asks = string_list(doc, ("benign_asks",))
    no_duplicates(doc, ("benign_asks",), asks, "ask")
    for i, ask in enumerate(asks):
        if ask.count(PLACEHOLDER) != 1:
            raise fail(doc, ("benign_asks", i), f"must hold {PLACEHOLDER} once")
    return DevFamilies(catalog, apps, asks)


@functools.cache
def dev_negatives() -> DevNegatives:
    """The benign hard negatives (``dev_negatives.yaml``)."""
    doc = load_data_file(eval_data_dir() / COT_DIR / "dev_negatives.yaml")
    _meta(doc, "dev", ("systems",))
    return _negatives(doc)


def _negatives(doc: YamlDoc) -> DevNegatives:
    families = build_records(NegativeFamily, doc, ("families",))
    for i, fam in enumerate(families):
        no_duplicates(doc, ("families", i, "templates"), fam.templates, "template")
    systems = string_list(doc, ("systems",))
    no_duplicates(doc, ("systems",), systems, "system prompt")
    return DevNegatives(families, systems)


def heldout(version: str = DEFAULT_HELDOUT) -> FamilyCatalog:
    """A blind held-out test set (v5 unless ``version`` says otherwise).  Only the
    evaluation calls this.

    Each call reads the file again and counts (:func:`blind_reads`), so a process that
    must stay blind to it can check that it did.
    """
    global _blind_reads
    if version not in HELDOUT_FILES:
        raise KeyError(f"no held-out set {version!r} (known: {', '.join(HELDOUT_FILES)})")
    _blind_reads += 1
    return load_family_catalog(eval_data_dir() / HELDOUT_FILES[version], "heldout")


def heldout_negatives(version: str = "v5") -> DevNegatives:
    """The blind hard negatives written with held-out set ``version`` (benign user
    messages and system prompts, in the format of ``dev_negatives.yaml``, with status
    ``heldout``).  Blind like :func:`heldout`, and counted the same way."""
    global _blind_reads
    if version not in HELDOUT_NEGATIVES_FILES:
        known = ", ".join(HELDOUT_NEGATIVES_FILES)
        raise KeyError(f"no held-out negatives {version!r} (known: {known})")
    _blind_reads += 1
    doc = load_data_file(eval_data_dir() / HELDOUT_NEGATIVES_FILES[version])
    _meta(doc, "heldout", ("systems",))
    return _negatives(doc)


def blind_reads() -> int:
    """How many times this process read a blind file through :func:`heldout` or
    :func:`heldout_negatives`."""
    return _blind_reads


def refuse_blind_reads() -> None:
    """From now on, any attempt of this process to open a blind file (every held-out
    set and its hard negatives, :func:`blind_paths`) raises :class:`BlindReadError` (not
    an ``OSError``, so no reader mistakes it for a missing file).

    An audit hook (it cannot be removed): the model-building scripts call it first, so
    no code path they run, imported or not, can read the test sets.
    """
    blind = {os.path.realpath(path) for path in blind_paths()}

    def hook(event: str, args: tuple[object, ...]) -> None:
        if event == "open" and isinstance(args[0], str | bytes | os.PathLike):
            name = os.path.realpath(os.fsdecode(args[0]))
            if name in blind:
                raise BlindReadError(f"this process must stay blind to {name}")

    sys.addaudithook(hook)


# ---------------------------------------------------------------------------- manifest


def manifest_entries(root: Path | None = None) -> dict[str, str]:
    """``relative path -> SHA-256`` as recorded in ``MANIFEST`` (``sha256sum`` format)."""
    root = root or eval_data_dir()
    out: dict[str, str] = {}
    for n, line in enumerate((root / MANIFEST).read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        digest, sep, name = line.partition("  ")
        if not sep or not re.fullmatch(r"[0-9a-f]{64}", digest) or not name:
            raise DistillguardError("expected '<sha256>  <path>'", path=root / MANIFEST, line=n)
        out[name] = digest
    return out


def manifest_problems(root: Path | None = None) -> list[str]:
    """Every file of the folder whose hash differs from, or is missing in, the manifest."""
    root = root or eval_data_dir()
    recorded = manifest_entries(root)
    present = {
        p.relative_to(root).as_posix()
        for p in root.rglob("*")
        if p.is_file() and p.name not in (MANIFEST, "README.md")
    }
    problems = [f"{name}: not in {MANIFEST}" for name in sorted(present - set(recorded))]
    problems += [
        f"{name}: listed in {MANIFEST} but missing" for name in sorted(set(recorded) - present)
    ]
    for name in sorted(present & set(recorded)):
        if sha256_file(root / name) != recorded[name]:
            problems.append(f"{name}: SHA-256 differs from {MANIFEST}")
    return problems
