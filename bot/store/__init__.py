"""Persistence: SQLAlchemy models (``models``), engines and sessions (``db``), store
functions (``queries``) and the ``migrate`` / ``workspace`` / ``rotate-key`` commands (``cli``).
"""
