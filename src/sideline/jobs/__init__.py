"""Durable background jobs: registry, execution, and the runners (in-process or Celery)."""
