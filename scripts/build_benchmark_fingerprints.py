#!/usr/bin/env python
"""Build ``distillguard/signals/data/benchmark_fingerprints.npz`` from the real corpus.

The ``benchmark_match`` signal recognises requests that are, word for word, public
benchmark items.  Scanning must not need the corpus, so this script distils every
corpus row of kind ``benchmark`` or ``writing`` (HumanEval, the OpenAI evals sets,
lm-eval CoT exemplars, WritingBench, LongBench-Write) into 64-bit hashes of their
normalised texts, a source per hash, and the hashes of their normalised prefixes;
hashes of each item with its benchmark system prompt; and, per item deduplicated by
its hard normalisation, a letter key, a word count and a MinHash signature (for
reformatted requests; see :mod:`distillguard.signals.benchmark_match`).
The result is deterministic: the same corpus gives the same bytes.  Beside it goes its
build record (``benchmark_fingerprints.build.json``, :mod:`distillguard.artefacts`: a
digest of the corpus, the code, the commit); ``tests/test_artefacts.py`` rebuilds both
and compares.

Usage::

    python scripts/build_benchmark_fingerprints.py [--out PATH]

Run it again whenever the corpus pins change (``distillguard_lab.sim.corpus.DATA_PACKAGES``)
and commit the file.
"""

from __future__ import annotations

import argparse
import io
import sys
import zipfile
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from distillguard.artefacts import (
    build_record,
    record_path,
    relative,
    table_digest,
    write_with_record,
)
from distillguard.signals.benchmark_match import (
    BENCHMARK_KINDS,
    FINGERPRINT_FILE,
    build_fingerprints,
)
from distillguard_lab.sim.corpus import cache_key, load_corpus

DEFAULT_OUT = Path(__file__).resolve().parents[1] / "distillguard/signals/data" / FINGERPRINT_FILE
#: Source files whose logic shapes the fingerprints (recorded in the build record).
CODE = (
    Path(__file__).resolve(),
    Path(__file__).resolve().parents[1] / "distillguard/signals/benchmark_match.py",
)


def npz_bytes(arrays: dict[str, np.ndarray]) -> bytes:
    """An ``.npz`` (what ``np.load`` reads) with fixed timestamps and member order.

    ``np.savez`` stamps each member with the current time, so rebuilding an unchanged
    corpus would still change the committed file; this writes the same bytes.
    """
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_STORED) as zf:
        for name in sorted(arrays):
            member = io.BytesIO()
            np.lib.format.write_array(member, np.asanyarray(arrays[name]), allow_pickle=False)
            info = zipfile.ZipInfo(f"{name}.npy", date_time=(1980, 1, 1, 0, 0, 0))
            zf.writestr(info, member.getvalue())
    return buf.getvalue()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    table = load_corpus().table
    mask = pc.is_in(table.column("kind"), pa.array(BENCHMARK_KINDS))
    rows = table.filter(mask)
    arrays = build_fingerprints(
        rows.column("text").to_pylist(),
        rows.column("source").to_pylist(),
        rows.column("system").to_pylist(),
    )
    blob = npz_bytes(arrays)
    record = build_record(
        args.out,
        blob,
        builder=relative(Path(__file__)),
        args={"kinds": list(BENCHMARK_KINDS)},
        inputs={"corpus": {"cache_key": cache_key(), **table_digest(table)}},
        code=CODE,
    )
    write_with_record(args.out, blob, record)
    print(
        f"wrote {args.out}: {len(arrays['hashes'])} items from {len(arrays['sources'])} "
        f"sources, {len(arrays['prefixes'])} prefixes, {len(arrays['pair_hashes'])} "
        f"system+item pairs, {len(arrays['item_hash'])} reformat items, "
        f"{len(blob):,} bytes; and {record_path(args.out).name}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
