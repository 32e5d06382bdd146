"""Traffic simulator: benign populations from real prompts and distillation campaigns."""
