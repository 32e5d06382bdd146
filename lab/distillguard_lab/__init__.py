"""The distillguard lab: what tests and measures the product, never shipped with it.

- :mod:`distillguard_lab.sim`: the traffic simulator (benign users from real prompts,
  distillation campaigns), with scenarios, templates and elicitation phrasings as data;
- :mod:`distillguard_lab.redteam`: attack traffic written blind to the detectors;
- :mod:`distillguard_lab.evaluate`: metrics against labels, the chain-of-thought
  evaluation sets (read by path from ``data/eval/``, never packaged);
- :mod:`distillguard_lab.train`, :mod:`distillguard_lab.calibration`: fitting weights
  and the default calibration on labelled runs;
- :mod:`distillguard_lab.replay`, :mod:`distillguard_lab.mock_upstream`,
  :mod:`distillguard_lab.forum_demo`: driving the gateway and the hub;
- :mod:`distillguard_lab.cli`: the lab's commands, added to ``distillguard``.

The lab imports the product; the product never imports the lab.
"""
