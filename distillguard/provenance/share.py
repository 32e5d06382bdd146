"""A provenance finding as STIX 2.1, to share with peers without sharing keys.

The bundle holds:

- the reporting provider's ``identity`` (same id as ``intel export`` gives it);
- a ``software`` object naming the suspect (a released model's name and version,
  or an API's model id), with the SHA-256 of its weights file when we had them;
- a ``report`` (``threat-report``) referring to both, whose
  ``x_distillguard_provenance`` property carries the test: its kind
  (``open-weight``, ``closed`` or ``data``), the green count, the number of
  scored pairs, the exact p-value, the watermark parameters, a SHA-256 of the
  scored pairs (so an arbiter given the same inputs can check the count), and a
  *commitment* to each key used (:meth:`~.keys.WatermarkKey.commitment`), never the
  key.  For an attribution the report says how many candidate accounts were
  tested and how many were attributed at which family-wise error, not who: the
  account ids are the provider's customers and stay home.

A peer cannot re-run the test (that needs the key), but it learns that a model
it may also be serving, fine-tuning on or competing with was found to carry the
reporter's watermark, with a p-value it can weigh, and the reporter is bound to
the key it used (it can reveal that key to an arbiter later).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from dataclasses import dataclass, field
from typing import Any, Final, Literal

import numpy as np
import stix2

from distillguard.provenance.detect import Detection
from distillguard.provenance.errors import ProvenanceError
from distillguard.provenance.keys import WatermarkKey
from distillguard.provenance.scheme import WatermarkConfig
from distillguard.provenance.tuples import TupleSet

Tlp = Literal["white", "green", "amber", "red"]
TLP: Final[dict[str, Any]] = {
    "white": stix2.TLP_WHITE,
    "green": stix2.TLP_GREEN,
    "amber": stix2.TLP_AMBER,
    "red": stix2.TLP_RED,
}
#: The namespace of ``distillguard.intel.export``: one provider, one identity id.
NAMESPACE: Final = uuid.UUID("5b1d3f0e-7a8c-4c1e-9a57-d15711a6a4d0")
EPOCH: Final = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
TEST_KINDS: Final = ("open-weight", "closed", "data")


def pairs_digest(pairs: TupleSet) -> str:
    """SHA-256 of the scored pairs (context ids, token id), in order."""
    h = hashlib.sha256()
    h.update(np.ascontiguousarray(pairs.contexts, dtype="<i8").tobytes())
    h.update(np.ascontiguousarray(pairs.tokens, dtype="<i8").tobytes())
    return h.hexdigest()


@dataclass(frozen=True)
class Finding:
    """What was tested, how, and what came out."""

    suspect: str
    test: str
    detection: Detection
    config: WatermarkConfig
    keys: list[WatermarkKey] = field(repr=False)
    pairs_sha256: str = ""
    suspect_version: str | None = None
    weights_sha256: str | None = None
    candidates: int = 1
    attributed: int = 0
    alpha: float | None = None
    method: str | None = None

    def __post_init__(self) -> None:
        if self.test not in TEST_KINDS:
            raise ProvenanceError(f"unknown test {self.test!r} (known: {', '.join(TEST_KINDS)})")
        if not self.suspect:
            raise ProvenanceError("the suspect needs a name", field="suspect")


def _oid(kind: str, *parts: str) -> str:
    return f"{kind}--{uuid.uuid5(NAMESPACE, '|'.join((kind, *parts)))}"


def finding_bundle(
    finding: Finding, provider: str, *, tlp: Tlp = "amber", now: dt.datetime | None = None
) -> Any:
    """The STIX bundle of one finding (``stix2.Bundle``)."""
    marking = TLP[tlp]
    when = now or dt.datetime.now(dt.UTC)
    ident = stix2.Identity(
        id=_oid("identity", provider),
        created=EPOCH,
        modified=EPOCH,
        name=provider,
        identity_class="organization",
        sectors=["technology"],
        object_marking_refs=[marking],
    )
    soft_props: dict[str, Any] = {"name": finding.suspect}
    if finding.suspect_version:
        soft_props["version"] = finding.suspect_version
    if finding.weights_sha256:
        soft_props["x_distillguard_weights_sha256"] = finding.weights_sha256
    software = stix2.Software(**soft_props, object_marking_refs=[marking], allow_custom=True)
    d = finding.detection
    evidence: dict[str, Any] = {
        "test": finding.test,
        "n_scored": d.n_scored,
        "n_green": d.n_green,
        "p_value": d.p_value,
        "log10_p": round(d.log10_p, 4),
        **{k: v for k, v in finding.config.as_dict().items() if k != "delta"},
        "scored_pairs_sha256": finding.pairs_sha256,
        "key_commitments": [k.commitment() for k in finding.keys],
        "candidates": finding.candidates,
        "attributed": finding.attributed,
    }
    if finding.alpha is not None:
        evidence["family_wise_alpha"] = finding.alpha
        evidence["correction"] = finding.method
    what = {
        "open-weight": "was trained on text carrying our watermark (teacher-forced test)",
        "closed": "produces text carrying our watermark (test of its answers)",
        "data": "is a dataset holding our watermarked answers",
    }[finding.test]
    report = stix2.Report(
        id=_oid("report", provider, finding.suspect, finding.test, finding.pairs_sha256),
        name=f"Model provenance: {finding.suspect}",
        description=(
            f"{finding.suspect} {what}: {d.n_green} of {d.n_scored} distinct scored "
            f"(context, token) pairs green (expected share {finding.config.gamma}), "
            f"exact binomial p = {d.p_value:.3g}."
        ),
        report_types=["threat-report"],
        published=when,
        created_by_ref=ident.id,
        object_refs=[ident.id, software.id],
        object_marking_refs=[marking],
        x_distillguard_provenance=evidence,
        allow_custom=True,
    )
    objects: list[Any] = [marking, ident, software, report] if tlp != "white" else [
        ident, software, report,
    ]  # fmt: skip
    return stix2.Bundle(objects=objects, id=f"bundle--{uuid.uuid4()}", allow_custom=True)


def assert_no_secrets(bundle_json: str, keys: list[WatermarkKey], accounts: list[str]) -> None:
    """Raise if a key's material (hex) or a raw account id appears in the bundle text."""
    for k in keys:
        if k.material.hex() in bundle_json:
            raise ProvenanceError("a watermark key leaked into a STIX bundle (bug)")
    for a in accounts:
        if a and f'"{a}"' in bundle_json:
            raise ProvenanceError("an account id leaked into a STIX bundle (bug)")
