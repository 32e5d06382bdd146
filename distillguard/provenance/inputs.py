"""Reading the texts a test scores: plain text, JSON Lines or Parquet.

- ``.txt``/``.md``/``.py`` and other text files: the whole file is one text;
- ``.jsonl``: one record per line, the text in ``response`` (the interaction log
  schema), ``text``, ``content`` or ``completion``; or ``tokens``, a list of token
  ids (then no tokenizer is needed);
- ``.parquet``: the same columns.

Records may carry ``account_id``; :func:`read_texts` keeps it so a report can say
whose answers a text was.

>>> import json, tempfile, pathlib
>>> d = pathlib.Path(tempfile.mkdtemp())
>>> _ = (d / "a.jsonl").write_text(json.dumps({"response": "hi", "account_id": "x"}) + "\\n")
>>> [(t.text, t.account_id, t.where) for t in read_texts([d / "a.jsonl"])]
[('hi', 'x', 'a.jsonl:1')]
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from distillguard.provenance.errors import ProvenanceError

TEXT_FIELDS: Final = ("response", "text", "content", "completion")


@dataclass(frozen=True)
class Text:
    """One text to score: its words or its token ids, and where it came from."""

    where: str
    text: str | None = None
    tokens: tuple[int, ...] | None = None
    account_id: str | None = None


def _record(rec: Any, where: str, path: Path, line: int | None) -> Text | None:
    if not isinstance(rec, dict):
        raise ProvenanceError("expected a JSON object", path=path, line=line)
    account = rec.get("account_id")
    account = None if account is None else str(account)
    toks = rec.get("tokens")
    if toks is not None:
        if not isinstance(toks, list) or not all(isinstance(t, int) for t in toks):
            raise ProvenanceError(
                "must be a list of token ids", path=path, line=line, field="tokens"
            )
        return Text(where, tokens=tuple(toks), account_id=account)
    for name in TEXT_FIELDS:
        value = rec.get(name)
        if isinstance(value, str):
            return Text(where, text=value, account_id=account)
    return None


def read_texts(paths: Iterable[str | Path]) -> list[Text]:
    """Every text in ``paths`` (records without a text field are skipped)."""
    out: list[Text] = []
    for raw in paths:
        path = Path(raw)
        if not path.exists():
            raise ProvenanceError("file not found", path=path)
        name = path.name
        if path.suffix == ".jsonl":
            with path.open(encoding="utf-8") as fh:
                for i, line in enumerate(fh, 1):
                    if not line.strip():
                        continue
                    try:
                        rec = json.loads(line)
                    except json.JSONDecodeError as exc:
                        raise ProvenanceError(f"not JSON: {exc.msg}", path=path, line=i) from exc
                    t = _record(rec, f"{name}:{i}", path, i)
                    if t is not None:
                        out.append(t)
        elif path.suffix == ".parquet":
            import pyarrow.parquet as pq

            try:
                rows = pq.read_table(path).to_pylist()
            except Exception as exc:  # pyarrow raises several types for a bad file
                raise ProvenanceError(f"cannot read Parquet: {exc}", path=path) from exc
            for i, rec in enumerate(rows, 1):
                t = _record(rec, f"{name}:{i}", path, i)
                if t is not None:
                    out.append(t)
        else:
            try:
                out.append(Text(name, text=path.read_text(encoding="utf-8")))
            except UnicodeDecodeError as exc:
                raise ProvenanceError("not UTF-8 text", path=path) from exc
    return out


def token_ids(texts: Sequence[Text], encode: Any | None) -> list[npt.NDArray[np.int64]]:
    """Token id arrays of ``texts``; ``encode`` (text → ids) is needed for words."""
    out: list[npt.NDArray[np.int64]] = []
    for t in texts:
        if t.tokens is not None:
            out.append(np.asarray(t.tokens, dtype=np.int64))
        elif encode is None:
            raise ProvenanceError(
                f"{t.where}: scoring words needs the watermark's tokenizer (--tokenizer)"
            )
        else:
            out.append(np.asarray(encode(t.text or ""), dtype=np.int64))
    return out


def read_ids(path: str | Path) -> list[str]:
    """Candidate account (or cohort) ids: one per line, or an ``account_id`` column.

    ``.csv``, ``.jsonl`` and ``.parquet`` files are read for their ``account_id``
    column (distinct values, in order of first appearance); anything else is one
    id per line (blank lines and ``#`` comments skipped).
    """
    p = Path(path)
    if not p.exists():
        raise ProvenanceError("file not found", path=p)
    ids: list[str] = []
    if p.suffix in (".csv", ".parquet", ".jsonl"):
        import pyarrow as pa
        import pyarrow.csv as pcsv
        import pyarrow.json as pjson
        import pyarrow.parquet as pq

        try:
            readers: dict[str, Any] = {
                ".csv": pcsv.read_csv,
                ".parquet": pq.read_table,
                ".jsonl": pjson.read_json,
            }
            table: pa.Table = readers[p.suffix](p)
        except Exception as exc:  # pyarrow raises several types for a bad file
            raise ProvenanceError(f"cannot read: {exc}", path=p) from exc
        if "account_id" not in table.column_names:
            raise ProvenanceError("no account_id column", path=p, field="account_id")
        ids = [str(v) for v in table.column("account_id").to_pylist() if v is not None]
    else:
        for line in p.read_text(encoding="utf-8").splitlines():
            s = line.strip()
            if s and not s.startswith("#"):
                ids.append(s)
    out = list(dict.fromkeys(ids))
    if not out:
        raise ProvenanceError("no candidate ids", path=p)
    return out
