"""Threat-intelligence exchange between providers: STIX 2.1 over TAXII 2.1.

A provider that detects a distillation campaign shares what a peer needs to
recognise the same operators — keyed hashes of their infrastructure and
similarity fingerprints of their prompt templates — and nothing it could read.
See ``docs/intel.md``.

- :mod:`.hashing`: the forum key ring and keyed hashes of canonical identifiers;
- :mod:`.fingerprints`: MinHash fingerprints of campaign templates;
- :mod:`.export`: campaigns → a STIX 2.1 bundle;
- :mod:`.taxii_server`: the forum hub (TAXII 2.1 on Starlette);
- :mod:`.client`: push and pull with ``taxii2-client``, resumable;
- :mod:`.match`: pulled indicators → matched accounts (scan signal, gateway watchlist);
- :mod:`.psi`: private set intersection of exact identifiers;
- the forum demo (three providers, one campaign: ``distillguard forum-demo``) is in the lab,
  :mod:`distillguard_lab.forum_demo`.
"""

from __future__ import annotations

from distillguard.intel.errors import IntelError

__all__ = ["IntelError"]
