"""Shared fixtures."""

from __future__ import annotations

import pytest

from distillguard.errors import CorpusError
from distillguard_lab.sim.corpus import Corpus, load_corpus


@pytest.fixture(scope="session")
def corpus() -> Corpus:
    """The real-prompt corpus (cached build); skips when the data packages are absent."""
    try:
        return load_corpus()
    except CorpusError as exc:
        pytest.skip(f"real prompt corpus unavailable: {exc}")
