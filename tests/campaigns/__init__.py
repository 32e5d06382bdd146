"""Tests for campaign detection and reporting."""
