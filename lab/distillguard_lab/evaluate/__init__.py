"""Evaluation against simulator ground truth: account-level metrics and request-level signals."""
