"""Near-duplicate search speed and agreement: distillguard's MinHash + LSH vs datasketch.

Texts are real corpus prompts (at most half of ``--n``), then mutated copies of random
ones among them (a few words replaced, dropped or inserted) up to ``--n``: every copy
is a known near-duplicate of its source and almost all texts are distinct, so neither
side gains from exact duplicates.  Each side runs in its own forked child, so "peak extra RSS" is
that side's own memory on top of the inherited input.

* signatures: ours from the raw texts (normalise, shingle, hash, permute) vs datasketch
  ``MinHash.bulk`` over the same shingles, pre-computed for it in Python (the shingling
  time is shown separately and is *not* charged to datasketch);
* LSH: ours (:func:`candidate_pairs`, buckets uncapped so both find the same pairs) vs
  datasketch ``MinHashLSH(params=(bands, rows))`` filled in an ``insertion_session`` and
  queried once per text, both over *our* signatures, so the pair sets must be equal;
* agreement: our and datasketch's estimates on 2,000 (copy, source) pairs against the
  exact Jaccard of the shingle sets, and our recall of pairs with exact Jaccard >= 0.8.

    .venv/bin/python benchmarks/bench_minhash.py [--n 200000] [--num-perm 64] [--bands 16]

Target (issue: campaigns): ~1M prompts well under a minute on 2 cores; use datasketch
if ours is not faster.
"""

from __future__ import annotations

import argparse
import random
import re
import resource
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from typing import Any

import numpy as np
import numpy.typing as npt
from _table import print_table
from datasketch import MinHash, MinHashLSH

from distillguard.minhash import (
    LSHConfig,
    MinHashConfig,
    candidate_pairs,
    jaccard,
    near_duplicate_groups,
    signatures,
    threshold_for,
)
from distillguard_lab.sim.corpus import load_corpus

_WS = re.compile(r"[\t\n\v\f\r ]+")

# Set before forking; the children read them instead of receiving pickled copies.
STATE: dict[str, Any] = {}


def make_texts(n: int, seed: int) -> tuple[list[str], npt.NDArray[np.int64]]:
    """Corpus prompts (at most ``n // 2``), then mutated copies of them up to ``n``.

    ``source[i]`` is the row text ``i`` was copied from, or -1.
    """
    # At least half the texts are copies, so small runs have near-duplicates too.
    base = [t for t in load_corpus().texts if t.strip()][: max(1, n // 2)]
    rnd = random.Random(seed)
    texts = list(base)
    source = [-1] * len(texts)
    vocab = " ".join(base[:2000]).split()
    while len(texts) < n:
        src = rnd.randrange(len(base))
        words = base[src].split()
        for _ in range(max(1, int(len(words) * rnd.uniform(0.0, 0.08)))):
            op, pos = rnd.random(), rnd.randrange(len(words) + 1)
            if op < 0.5 and pos < len(words):
                words[pos] = rnd.choice(vocab)
            elif op < 0.7 and pos < len(words) and len(words) > 1:
                del words[pos]
            else:
                words.insert(pos, rnd.choice(vocab))
        texts.append(" ".join(words))
        source.append(src)
    return texts, np.array(source, dtype=np.int64)


def py_shingles(text: str, cfg: MinHashConfig) -> list[bytes]:
    """Word k-grams as :func:`distillguard.minhash.shingles`, in plain Python."""
    words = _WS.sub(" ", text[: cfg.max_chars].lower()).strip(" ").split(" ")
    if words == [""]:
        return []
    if len(words) < cfg.k:
        return [" ".join(words).encode()]
    return [" ".join(words[i : i + cfg.k]).encode() for i in range(len(words) - cfg.k + 1)]


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * resource.getpagesize() / 2**20


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def in_child(fn: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """Run ``fn`` in a fresh forked child; add its peak RSS beyond the parent's at fork."""
    start = rss_mb()
    with ProcessPoolExecutor(1, mp_context=get_context("fork")) as pool:
        out = pool.submit(fn).result()
    out["extra_mb"] = out["peak_mb"] - start
    return out


def ours_signatures() -> dict[str, Any]:
    t0 = time.perf_counter()
    sigs = signatures(STATE["texts"], STATE["cfg"], threads=STATE["threads"])
    return {"s": time.perf_counter() - t0, "sigs": sigs, "peak_mb": peak_mb()}


def ours_lsh() -> dict[str, Any]:
    t0 = time.perf_counter()
    res = candidate_pairs(STATE["sigs"], STATE["lsh"], max_bucket=len(STATE["sigs"]))
    lsh_s = time.perf_counter() - t0
    t1 = time.perf_counter()
    groups = near_duplicate_groups(STATE["sigs"], STATE["lsh"], threshold=0.8)
    return {
        "s": lsh_s,
        "pairs": res.pairs,
        "groups_s": time.perf_counter() - t1,
        "groups": groups,
        "capped": candidate_pairs(STATE["sigs"], STATE["lsh"]).capped_buckets,
        "peak_mb": peak_mb(),
    }


def ds_signatures() -> dict[str, Any]:
    cfg: MinHashConfig = STATE["cfg"]
    t0 = time.perf_counter()
    sh = [py_shingles(t, cfg) for t in STATE["texts"]]
    shingle_s = time.perf_counter() - t0
    t1 = time.perf_counter()
    mhs = MinHash.bulk(sh, num_perm=cfg.num_perm, seed=cfg.seed)
    s = time.perf_counter() - t1
    # Only the sampled rows go back to the parent (200k MinHash objects pickle slowly).
    rows: npt.NDArray[np.int64] = STATE["sample_rows"]
    values = np.stack([mhs[i].hashvalues for i in rows])
    return {"s": s, "shingle_s": shingle_s, "values": values, "peak_mb": peak_mb()}


def ds_lsh() -> dict[str, Any]:
    cfg: MinHashConfig = STATE["cfg"]
    lcfg: LSHConfig = STATE["lsh"]
    sigs = STATE["sigs"]
    # Wrapping our rows as MinHash objects is set-up, not charged to datasketch.
    perms = MinHash(num_perm=cfg.num_perm, seed=cfg.seed).permutations
    mhs = [
        MinHash(hashvalues=row, permutations=perms, scheme="affine32", seed=cfg.seed)
        for row in sigs
    ]
    t0 = time.perf_counter()
    lsh = MinHashLSH(num_perm=cfg.num_perm, params=(lcfg.bands, lcfg.rows))
    with lsh.insertion_session() as session:
        for i, m in enumerate(mhs):
            session.insert(i, m, check_duplication=False)
    insert_s = time.perf_counter() - t0
    found: set[tuple[int, int]] = set()
    for i, m in enumerate(mhs):
        found.update((i, j) for j in lsh.query(m) if j > i)
    s = time.perf_counter() - t0
    # Our empty-text rows are all sentinel; datasketch buckets them together, we never do.
    live = ~(sigs == np.uint32(0xFFFFFFFF)).all(axis=1)
    found = {p for p in found if live[p[0]]}
    pairs = np.array(sorted(found), dtype=np.int64).reshape(-1, 2)
    return {"s": s, "insert_s": insert_s, "pairs": pairs, "peak_mb": peak_mb()}


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--n", type=int, default=200_000)
    ap.add_argument("--num-perm", type=int, default=64)
    ap.add_argument("--bands", type=int, default=16)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    cfg = MinHashConfig(num_perm=args.num_perm)
    lcfg = LSHConfig(bands=args.bands, rows=args.num_perm // args.bands)
    texts, source = make_texts(args.n, args.seed)
    n = len(texts)
    rng = np.random.default_rng(args.seed)
    copies = np.flatnonzero(source >= 0)
    pick = rng.choice(copies, size=min(2000, len(copies)), replace=False)
    near = np.stack([source[pick], pick], axis=1)  # (source, copy), source < copy
    STATE.update(texts=texts, cfg=cfg, lsh=lcfg, threads=args.threads)
    STATE["sample_rows"] = np.unique(near)

    ours = in_child(ours_signatures)
    STATE["threads"] = 1
    ours1 = in_child(ours_signatures)
    theirs = in_child(ds_signatures)
    STATE["sigs"] = sigs = ours["sigs"]
    ol = in_child(ours_lsh)
    dl = in_child(ds_lsh)

    # Agreement on the sampled (source, copy) pairs.
    where = {int(r): k for k, r in enumerate(STATE["sample_rows"])}
    dv = theirs["values"]
    est_ours = np.asarray(jaccard(sigs[near[:, 0]], sigs[near[:, 1]]))
    est_ds = np.array([np.mean(dv[where[a]] == dv[where[b]]) for a, b in near.tolist()])
    exact = np.array(
        [
            len(sa & sb) / len(sa | sb)
            if (sa := set(py_shingles(texts[a], cfg))) | (sb := set(py_shingles(texts[b], cfg)))
            else 0.0
            for a, b in near.tolist()
        ]
    )
    high = near[exact >= 0.8]
    pair_codes = ol["pairs"][:, 0] * n + ol["pairs"][:, 1]
    recall_lsh = np.isin(high[:, 0] * n + high[:, 1], pair_codes).mean()
    groups = ol["groups"]
    recall_groups = (groups[high[:, 0]] == groups[high[:, 1]]).mean()
    same_pairs = np.array_equal(ol["pairs"], dl["pairs"])

    def rate(count: float, s: float) -> str:
        return f"{count / s:,.0f}"

    m = len(ol["pairs"])
    rows = [
        ("texts (corpus + mutated copies)", f"{n:,}"),
        (
            "num_perm / bands x rows / LSH threshold",
            f"{cfg.num_perm} / {lcfg.bands} x "
            f"{lcfg.rows} / {threshold_for(lcfg.bands, lcfg.rows):.2f}",
        ),
        (f"ours: signatures, {args.threads} threads (s)", f"{ours['s']:.2f}"),
        (f"ours: texts/s, {args.threads} threads", rate(n, ours["s"])),
        ("ours: texts/s, 1 thread", rate(n, ours1["s"])),
        ("ours: peak extra RSS (MB)", f"{ours['extra_mb']:,.0f}"),
        ("baseline: datasketch MinHash.bulk (s)", f"{theirs['s']:.2f}"),
        ("baseline: texts/s", rate(n, theirs["s"])),
        ("baseline: Python shingling, not charged (s)", f"{theirs['shingle_s']:.2f}"),
        ("baseline: peak extra RSS (MB)", f"{theirs['extra_mb']:,.0f}"),
        ("ratio signatures ours / datasketch (time)", f"{ours['s'] / theirs['s']:.3f}x"),
        ("speed-up signatures", f"{theirs['s'] / ours['s']:.1f}x"),
        ("ours: candidate_pairs (s)", f"{ol['s']:.2f}"),
        ("ours: pairs/s", rate(m, ol["s"])),
        ("ours: near_duplicate_groups @0.8 (s)", f"{ol['groups_s']:.2f}"),
        ("ours: buckets capped at max_bucket=200", f"{ol['capped']:,}"),
        (
            "baseline: MinHashLSH insert + query (s)",
            f"{dl['s']:.2f} (insert {dl['insert_s']:.2f})",
        ),
        ("baseline: pairs/s", rate(len(dl["pairs"]), dl["s"])),
        ("ratio LSH ours / datasketch (time)", f"{ol['s'] / dl['s']:.3f}x"),
        ("candidate pairs ours / datasketch", f"{m:,} / {len(dl['pairs']):,}"),
        ("same pair sets", "yes" if same_pairs else "NO"),
        ("sampled near-dup pairs", f"{len(near):,}"),
        ("corr(ours, datasketch) estimates", f"{np.corrcoef(est_ours, est_ds)[0, 1]:.3f}"),
        (
            "corr(ours, exact) / corr(datasketch, exact)",
            f"{np.corrcoef(est_ours, exact)[0, 1]:.3f} / {np.corrcoef(est_ds, exact)[0, 1]:.3f}",
        ),
        (
            "mean |est - exact| ours / datasketch",
            f"{np.abs(est_ours - exact).mean():.3f} / {np.abs(est_ds - exact).mean():.3f}",
        ),
        ("pairs with exact J >= 0.8", f"{len(high):,}"),
        ("recall: LSH candidates", f"{recall_lsh:.3f}"),
        ("recall: same group @0.8", f"{recall_groups:.3f}"),
    ]
    print_table(rows)


if __name__ == "__main__":
    main()
