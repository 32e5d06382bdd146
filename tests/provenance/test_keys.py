"""Provider secrets, derived keys, key files and commitments."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from distillguard.provenance.errors import ProvenanceError
from distillguard.provenance.keys import ProviderSecret, WatermarkKey, new_secret
from distillguard.provenance.scheme import WatermarkConfig


def test_derived_keys_are_stable_and_separate() -> None:
    s = ProviderSecret("wm", bytes(range(32)))
    a1, a2 = s.derive("account", "a"), s.derive("account", "a")
    assert a1 == a2
    others = {s.derive("account", "b"), s.derive("cohort", "a"), s.provider_key()}
    assert a1 not in others
    assert len(others) == 3
    assert ProviderSecret("wm", bytes(32)).derive("account", "a") != a1


def test_secrets_stay_out_of_repr() -> None:
    s = ProviderSecret("wm", bytes(range(32)))
    assert bytes(range(32)).hex() not in repr(s)
    assert s.derive("account", "a").material.hex() not in repr(s.derive("account", "a"))


def test_commitment_is_stable_and_hides_the_key() -> None:
    k = WatermarkKey("k", bytes(range(16)))
    assert k.commitment() == WatermarkKey("other name", bytes(range(16))).commitment()
    assert bytes(range(16)).hex() not in k.commitment()
    assert k.commitment() != WatermarkKey("k", bytes(16)).commitment()


def test_scoped_keys_need_an_id() -> None:
    with pytest.raises(ProvenanceError, match="needs an id"):
        ProviderSecret("wm", bytes(32)).derive("account")
    with pytest.raises(ProvenanceError, match="unknown key scope"):
        ProviderSecret("wm", bytes(32)).derive("team", "x")  # type: ignore[arg-type]


def test_key_file_round_trip_is_owner_only(tmp_path: Path) -> None:
    s = new_secret("wm2026", "account", WatermarkConfig(gamma=0.5, context_width=2))
    path = tmp_path / "k.yaml"
    s.save(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    back = ProviderSecret.load(path)
    assert back.secret == s.secret
    assert back.scope == "account"
    assert back.config == s.config


@pytest.mark.parametrize(
    ("text", "line", "field"),
    [
        ("key_id: a\nsecret: 'zz'\n", 2, "secret"),
        ("key_id: a\nsecret: '00'\n", 2, "secret"),
        ("key_id: a\nsecret: '" + "00" * 32 + "'\nscope: team\n", 3, "scope"),
        ("key_id: a\nsecret: '" + "00" * 32 + "'\nscheme:\n  gamma: 2\n", 4, "scheme.gamma"),
        ("key_id: a\nsecret: '" + "00" * 32 + "'\nscheme:\n  colour: red\n", 4, "scheme.colour"),
        ("key_id: a\nsecret: '" + "00" * 32 + "'\nextra: 1\n", 3, "extra"),
    ],
)
def test_bad_key_files_say_where(tmp_path: Path, text: str, line: int, field: str) -> None:
    path = tmp_path / "k.yaml"
    path.write_text(text)
    with pytest.raises(ProvenanceError) as err:
        ProviderSecret.load(path)
    assert (err.value.path, err.value.line, err.value.field) == (str(path), line, field)
