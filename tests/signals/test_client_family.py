"""client_family: broad client software families from the user agent (context only)."""

from __future__ import annotations

import pytest

from distillguard.signals.client_family import FAMILIES, ClientFamily
from tests.signals.helpers import batch

SIG = ClientFamily()


@pytest.mark.parametrize(
    ("agent", "family"),
    [
        ("OpenAI/Python 1.54.3", "openai-python"),
        ("AsyncOpenAI/Python 1.82.0", "openai-python"),
        ("OpenAI/JS 5.1.1", "openai-node"),
        ("langchain-openai/0.3.1 OpenAI/Python 1.58.1", "framework"),  # frameworks first
        ("llama-index/0.12.2 OpenAI/Python 1.57.0", "framework"),
        ("litellm/1.55.0", "framework"),
        ("python-httpx/0.27.2", "python-http"),
        ("python-requests/2.32.3", "python-http"),
        ("curl/8.5.0", "curl"),
        ("Go-http-client/2.0", "go"),
        ("okhttp/4.12.0", "java"),
        ("ChatBox/1.9.1 (Electron)", "chat-app"),
        ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/130.0", "browser"),
        ("my-scraper/0.1", "other"),
        ("", "none"),
        ("   ", "none"),
        (None, "none"),
    ],
)
def test_families(agent: str | None, family: str) -> None:
    assert SIG.compute_one({"user_agent": agent})["client_family"] == family


def test_batch_and_single_agree() -> None:
    agents = ["curl/8.5.0", None, "OpenAI/JS 4.73.0", "Mozilla/5.0 x", "x"]
    out = SIG.compute(batch([{"user_agent": a} for a in agents]))["client_family"].to_pylist()
    assert out == [SIG.compute_one({"user_agent": a})["client_family"] for a in agents]


def test_family_names_are_unique() -> None:
    names = [f for f, _ in FAMILIES]
    assert len(names) == len(set(names))
    assert not {"other", "none"} & set(names)
