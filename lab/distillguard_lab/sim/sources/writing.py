"""Long-form writing requests: WritingBench and LongBench-Write.

* ``writingbench`` (``inspect-evals``): 1,000 writing requests across academic,
  business, legal, literary, education and advertising domains, 44% in Chinese;
  many paste reference material into the ``query``.
* ``longbench_write`` (``evalscope``): 120 requests for texts of a stated length
  (100 to 20,000 words), half in Chinese.
"""

from __future__ import annotations

from typing import Final

from distillguard_lab.sim.sources._common import PackageData, PromptRow

WRITINGBENCH_MEMBER: Final = "inspect_evals/writingbench/benchmark_all.jsonl"
LONGBENCH_WRITE_MEMBER: Final = (
    "evalscope/third_party/longbench_write/resources/longbench_write.jsonl"
)


def writingbench_rows(pkg: PackageData) -> list[PromptRow]:
    """The ``query`` of every WritingBench item."""
    rows = []
    for item in pkg.iter_jsonl(WRITINGBENCH_MEMBER):
        query = item.get("query") if isinstance(item, dict) else None
        if isinstance(query, str):
            rows.append(
                PromptRow(text=query, source="writingbench", kind="writing", capability="writing")
            )
    return rows


def longbench_write_rows(pkg: PackageData) -> list[PromptRow]:
    """The ``prompt`` of every LongBench-Write item."""
    rows = []
    for item in pkg.iter_jsonl(LONGBENCH_WRITE_MEMBER):
        prompt = item.get("prompt") if isinstance(item, dict) else None
        if isinstance(prompt, str):
            rows.append(
                PromptRow(
                    text=prompt, source="longbench_write", kind="writing", capability="writing"
                )
            )
    return rows
