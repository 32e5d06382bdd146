"""The informed strategies, one per module; importing this package registers them.

>>> from distillguard_lab.redteam.informed import available
>>> available()  # doctest: +NORMALIZE_WHITESPACE
['cover_traffic', 'distinct_tasks', 'hydra', 'naive', 'quiet_pool', 'response_format', 'reworded',
 'system_prompt']
"""

from distillguard_lab.redteam.informed.strategies import (
    cover_traffic,
    distinct_tasks,
    hydra,
    naive,
    quiet_pool,
    response_format,
    reworded,
    system_prompt,
)

__all__ = [
    "cover_traffic",
    "distinct_tasks",
    "hydra",
    "naive",
    "quiet_pool",
    "response_format",
    "reworded",
    "system_prompt",
]
