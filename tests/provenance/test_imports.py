"""The numpy-level parts of the product must not pull in torch or transformers."""

from __future__ import annotations

import subprocess
import sys

LIGHT = [
    "distillguard.provenance",
    "distillguard.provenance.attribution",
    "distillguard.cli.watermark",
    "distillguard.provenance.detect",
    "distillguard.provenance.radioactivity",
    "distillguard.provenance.report",
    "distillguard.provenance.share",
    "distillguard.provenance.suspect",
    "distillguard.provenance.vllm",
]


def test_scoring_and_cli_import_without_torch() -> None:
    code = (
        "import sys\n"
        + "".join(f"import {m}\n" for m in LIGHT)
        + "heavy = sorted(m for m in ('torch', 'transformers') if m in sys.modules)\n"
        + "print(','.join(heavy))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
