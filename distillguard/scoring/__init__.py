"""Account risk: features from profiles, a score, a calibrated risk, a verdict and reasons."""
