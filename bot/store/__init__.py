"""Persistence: SQLAlchemy models (``models``, column types in ``types``), engines,
sessions and schema checks (``db``), store functions (``queries``; the tracker's own in
``tracking_queries``, Slack event dedup in ``deliveries``) and the ``migrate`` /
``workspace`` / ``rotate-key`` commands (``cli``).
"""
