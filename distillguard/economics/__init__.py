"""Harvest economics: what the answers an account took are worth, at list price."""
