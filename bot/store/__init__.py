"""Persistence: SQLAlchemy models (``models``, column types in ``types``), engines,
sessions and schema checks (``db``), store functions (all importable from ``queries``:
``request_writes``, ``request_reads``, ``expiry``, ``leases``, ``events``,
``workspaces``; Slack event dedup in ``deliveries``, the row-count, cache-expiry and
dialect helpers they share in ``statements``) and the ``migrate`` /
``workspace`` / ``rotate-key`` commands (``cli``).
"""
