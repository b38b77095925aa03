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
# a plan's "Cancel #N and submit": cancel the backfills its steps overlap, then confirm
ACTION_PLAN_CANCEL_BLOCKERS = "backfill_plan_cancel_blockers"
# a plan's "Remove" beside a step before confirmation (value "PLAN:STEP")
ACTION_PLAN_DROP_STEP = "backfill_plan_drop_step"

VIEW_EDIT_DATES = "backfill_edit_dates_view"
VIEW_SETUP = "backfill_setup_view"

BLOCK_CONFIRM = "backfill_confirm_actions"
BLOCK_SUBMITTED = "backfill_submitted_actions"
BLOCK_SUGGESTION = "backfill_suggestion_actions"
BLOCK_EDIT_START = "edit_start"
BLOCK_EDIT_END = "edit_end"
BLOCK_SETUP_TEAM = "setup_team"
BLOCK_SETUP_TOKEN = "setup_token"

# App Home and the New backfill form (issue 14)
ACTION_NEW_BACKFILL = "backfill_new"  # Home button: opens the form
ACTION_OPEN_SETUP = "backfill_open_setup"  # Home button (admins): opens the setup modal
# Home: "Cancel" beside each running backfill; action ids are unique within a view, so
# each is "backfill_home_cancel:<request id>"
ACTION_HOME_CANCEL = "backfill_home_cancel"
SHORTCUT_NEW_BACKFILL = "backfill_new_shortcut"  # global shortcut "Backfill a transfer"
VIEW_NEW_BACKFILL = "backfill_new_view"
BLOCK_FORM_TRANSFER = "form_transfer"
BLOCK_FORM_RANGE = "form_range"
BLOCK_FORM_PREVIEW = "form_preview"
BLOCK_FORM_START = "form_start"
BLOCK_FORM_END = "form_end"
BLOCK_FORM_CHANNEL = "form_channel"
ACTION_FORM_TRANSFER = "form_transfer_pick"  # external_select: options from the transfer list
ACTION_FORM_RANGE = "form_range_text"  # dispatch_action: previewed as it is typed
ACTION_FORM_START = "form_start_date"
ACTION_FORM_END = "form_end_date"
ACTION_FORM_CHANNEL = "form_channel_pick"

ACTION_APPROVE = "backfill_approve"
ACTION_REJECT = "backfill_reject"
VIEW_REJECT = "backfill_reject_view"
VIEW_POLICY = "backfill_policy_view"
BLOCK_APPROVAL = "backfill_approval_actions"
BLOCK_REJECT_REASON = "reject_reason"
BLOCK_POLICY_REQUESTERS = "policy_requesters"
BLOCK_POLICY_REQUESTER_GROUPS = "policy_requester_groups"
BLOCK_POLICY_APPROVERS = "policy_approvers"
BLOCK_POLICY_APPROVER_GROUPS = "policy_approver_groups"
BLOCK_POLICY_OVER_DAYS = "policy_approval_over_days"
BLOCK_POLICY_TRANSFERS = "policy_approval_transfers"
BLOCK_POLICY_MAX_DAYS = "policy_max_days"
BLOCK_POLICY_CHANNELS = "policy_channels"
