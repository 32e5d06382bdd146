"""Fixtures for the profile tests: the gateway tests' real redis-server."""

from tests.gateway.conftest import redis_server

__all__ = ["redis_server"]
