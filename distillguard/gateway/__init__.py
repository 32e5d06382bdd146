"""The live gateway: an ASGI reverse proxy with online scoring, policy and audit.

See ``docs/gateway.md``.  The app factory is :func:`distillguard.gateway.app.create_app`.
"""
