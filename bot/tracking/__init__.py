"""The backfill tracker: polling cadence, observation, rendering and the tick loop."""
