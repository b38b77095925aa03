"""Action ids, callback ids and block ids: one place, so handlers and builders agree."""

from __future__ import annotations

SLASH_COMMAND = "/backfill"

ACTION_CONFIRM = "backfill_confirm"
ACTION_EDIT = "backfill_edit_dates"
ACTION_DISMISS = "backfill_dismiss"
ACTION_CANCEL_BACKFILL = "backfill_cancel_backfill"
ACTION_RETRY_SUBMIT = "backfill_retry_submit"
ACTION_RETRY_FAILED_DAYS = "backfill_retry_failed_days"
ACTION_CHOOSE_TRANSFER = "backfill_choose_transfer"
ACTION_RUN_SUGGESTION = "backfill_run_suggestion"

VIEW_EDIT_DATES = "backfill_edit_dates_view"
VIEW_SETUP = "backfill_setup_view"

BLOCK_CONFIRM = "backfill_confirm_actions"
BLOCK_SUBMITTED = "backfill_submitted_actions"
BLOCK_SUGGESTION = "backfill_suggestion_actions"
BLOCK_EDIT_START = "edit_start"
BLOCK_EDIT_END = "edit_end"
BLOCK_SETUP_TEAM = "setup_team"
BLOCK_SETUP_TOKEN = "setup_token"
