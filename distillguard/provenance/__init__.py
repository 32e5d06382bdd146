"""Provenance: a keyed output watermark, radioactivity tests and attribution to accounts.

Modules, from the bottom up (``docs/provenance.md`` explains the method):

- :mod:`.siphash`, :mod:`.scheme`: the keyed green-list rule;
- :mod:`.keys`: the provider's secret and per-account / per-cohort derived keys;
- :mod:`.tuples`, :mod:`.stats`, :mod:`.detect`: de-duplicated (context, token)
  pairs, exact binomial p-values, detection on text;
- :mod:`.radioactivity`, :mod:`.attribution`: was a model trained on our answers,
  and on whose (family-wise error over many candidate accounts);
- :mod:`.bias`, :mod:`.processor`, :mod:`.vllm`: the serving hooks (transformers
  ``LogitsProcessor``; vLLM per-request processor) — torch needed;
- :mod:`.suspect`: loading models and tokenizers, teacher-forced predictions —
  torch needed, imported lazily;
- :mod:`.share`, :mod:`.report`, :mod:`.inputs`: STIX findings, HTML reports,
  reading texts (the commands, ``distillguard watermark ...``, are
  :mod:`distillguard.cli.watermark`).

Importing this package imports neither torch nor transformers.
"""
