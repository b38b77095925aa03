"""Console mode: the service and tracker driven from a terminal (``backfill-bot console``)."""
