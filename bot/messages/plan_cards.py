"""Block Kit for plans: one card for all the steps (confirm once, one progress line per
step and the plan's total), the step replies in the plan's one thread, and the plan's
end, which mentions the requester once with every step's failed days.

Pure: store rows in, ``Message`` values out.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.messages import ids
from bot.messages.blocks import (
    Block,
    context,
    escape_mrkdwn,
    format_range,
    notes_text,
    plural,
    progress_line,
    section,
    transfer_label,
)
from bot.messages.cards import button, rows_section
from bot.messages.notifier import Message
from bot.messages.status_updates import render_reply
from bot.messages.thread_replies import failures_text, retry_failed_days_button
from bot.store.models import (
    BACKFILL_FINAL_STATES,
    TRACKED_STATES,
    BackfillRequest,
    PlanStep,
    RequestEvent,
    RequestState,
)

# an event on a plan: a queued step's blocker ended FAILED (the thread asks what to do)
PLAN_BLOCKED = "plan_blocked"
_DONE = BACKFILL_FINAL_STATES | {RequestState.REJECTED, RequestState.DISMISSED}


@dataclass(frozen=True)
class PlanView:
    """A plan as the store holds it now (detached rows are fine)."""

    plan: BackfillRequest
    steps: Sequence[BackfillRequest]
    links: Sequence[PlanStep]

    def position_of(self, request_id: int) -> int:
        return next(i for i, step in enumerate(self.steps) if step.id == request_id)

    @property
    def blockers(self) -> list[int]:
        return sorted(
            {link.blocked_by_backfill_id for link in self.links if link.blocked_by_backfill_id}
        )

    @property
    def sequenced(self) -> bool:
        return any(link.after_request_id is not None for link in self.links)


def _max_chunk(view: PlanView) -> int:
    return max(step.days for step in view.steps)


def _shape(view: PlanView) -> str:
    """ "3 backfills, run in parallel" / "2 backfills of ≤ 366 days, run one after another"."""
    live = [step for step in view.steps if not _removed(step)]
    count = plural(len(live), "backfill")
    if len(live) == 1:
        return count
    transfers = len({step.transfer_id for step in view.steps})
    if view.sequenced and transfers == 1:
        return f"{count} of ≤ {_max_chunk(view)} days, run one after another"
    if view.sequenced:
        return (
            f"{count} of ≤ {_max_chunk(view)} days: each transfer's run one after another, "
            "the transfers in parallel"
        )
    return f"{count}, run in parallel"


def _total_days(view: PlanView) -> int:
    return sum(step.days for step in view.steps if not _removed(step))


def _removed(step: BackfillRequest) -> bool:
    """Taken out of the plan before it was confirmed (Remove on the card)."""
    return RequestState(step.state) is RequestState.DISMISSED


# per-step Remove buttons while the card stays well inside Slack's 50 blocks
MAX_REMOVABLE_STEPS = 20


def _step_line(view: PlanView, index: int, *, pending: bool) -> str:
    step, link = view.steps[index], view.links[index]
    label = transfer_label(step.transfer_id, step.transfer_name)
    dates = format_range(step.range_start, step.range_end)
    head = f"{index + 1}. {label} · {dates} · {plural(step.days, 'day')}"
    state = RequestState(step.state)
    waits: list[str] = []
    if link.after_request_id is not None:
        before = next((i for i, s in enumerate(view.steps) if s.id == link.after_request_id), None)
        if before is not None:
            waits.append(f"after step {before + 1}")
    if link.blocked_by_backfill_id is not None:
        waits.append(f"after backfill #{link.blocked_by_backfill_id}")
    if pending:
        return head + (f" · {', '.join(waits)}" if waits else "")
    if state is RequestState.QUEUED:
        why = f" ({', '.join(waits)})" if waits else ""
        if link.blocker_status == "FAILED":
            why = f" (backfill #{link.blocked_by_backfill_id} FAILED: see the thread)"
        return f"{head}\n      queued{why}"
    if state is RequestState.SUBMITTING:
        return f"{head}\n      submitting…"
    if state in TRACKED_STATES or state in BACKFILL_FINAL_STATES:
        status = step.dts_status if state in TRACKED_STATES and step.dts_status else state.value
        line = progress_line(
            status=escape_mrkdwn(status),
            runs_total=step.runs_total or step.days,
            runs_completed=step.runs_completed or 0,
            runs_failed=step.runs_failed or 0,
        )
        return f"{head}\n      backfill #{step.backfill_id} `{line}`"
    reason = f": {step.state_reason}" if step.state_reason else ""
    return f"{head}\n      {state.value.lower()}{reason}"


def plan_question(view: PlanView) -> str:
    return (
        f"Backfill plan: {_shape(view)}, {plural(_total_days(view), 'day')} in total "
        f"({format_range(view.plan.range_start, view.plan.range_end)})?"
    )


def plan_pending_card(
    view: PlanView, *, warnings: Sequence[str] = (), problem: str | None = None
) -> Message:
    """The card before confirmation: every step, the total, Confirm once.

    With overlapping incomplete backfills the card offers Queue after #N (the steps wait
    for them), Cancel #N and submit, or Cancel.
    """
    plan = view.plan
    text = plan_question(view)
    blocks: list[Block] = [section(f"*{text}*")]
    blocks += _pending_steps(view)
    if plan.notes:
        blocks.append(context(notes_text(plan.notes)))
    for warning in warnings:
        blocks.append(context(f":warning: {warning}"))
    if problem:
        blocks.append(section(f":x: {problem}"))
    blockers = view.blockers
    value = str(plan.id)
    if blockers:
        named = ", ".join(f"#{b}" for b in blockers)
        blocks.append(
            section(
                f":hourglass: Some steps overlap backfill {named}, still running at "
                "Supermetrics, which refuses overlapping backfills. Queue them after it, or "
                "cancel it and submit now."
            )
        )
        elements = [
            button(f"Queue after {named}", ids.ACTION_CONFIRM, value, style="primary"),
            button(f"Cancel {named} and submit", ids.ACTION_PLAN_CANCEL_BLOCKERS, value),
            button("Cancel", ids.ACTION_DISMISS, value, style="danger"),
        ]
    else:
        elements = [
            button(
                f"Confirm {plural(sum(not _removed(s) for s in view.steps), 'backfill')}",
                ids.ACTION_CONFIRM,
                value,
                style="primary",
            ),
            button("Cancel", ids.ACTION_DISMISS, value, style="danger"),
        ]
    blocks.append(
        {"type": "actions", "block_id": f"{ids.BLOCK_CONFIRM}:{plan.id}", "elements": elements}
    )
    blocks.append(context(f"Requested by <@{plan.user_id}> · request #{plan.id}"))
    return Message(text=text, blocks=blocks)


def _pending_steps(view: PlanView) -> list[Block]:
    """The steps, each with Remove (the person unticks what they did not mean)."""
    lines = [_step_line(view, i, pending=True) for i in range(len(view.steps))]
    live = [step for step in view.steps if not _removed(step)]
    if len(live) < 2 or len(view.steps) > MAX_REMOVABLE_STEPS:
        return rows_section(
            "Steps",
            [
                f"~{line}~" if _removed(s) else line
                for line, s in zip(lines, view.steps, strict=True)
            ],
        )
    blocks: list[Block] = [section("*Steps*")]
    for line, step in zip(lines, view.steps, strict=True):
        if _removed(step):
            blocks.append(context(f"~{line}~ removed"))
            continue
        block = section(line)
        block["block_id"] = f"backfill_plan_step:{step.id}"
        block["accessory"] = button(
            # action ids are unique within a message: the step's id rides along
            "Remove",
            f"{ids.ACTION_PLAN_DROP_STEP}:{step.id}",
            f"{view.plan.id}:{step.id}",
        )
        blocks.append(block)
    return blocks


def plan_status_card(view: PlanView) -> Message:
    """The card once confirmed: each step's progress line, the total, Cancel plan."""
    plan = view.plan
    state = RequestState(plan.state)
    live = [step for step in view.steps if not _removed(step)]
    done = sum(1 for step in live if RequestState(step.state) in _DONE)
    days_done = sum(step.runs_completed or 0 for step in view.steps)
    if state is RequestState.QUEUED:
        headline = f"Backfill plan #{plan.id}: {_shape(view)}"
    else:
        headline = f"Backfill plan #{plan.id}: {state.value.lower()}"
    total = (
        f"{done}/{plural(len(live), 'backfill')} done · "
        f"{days_done}/{_total_days(view)} days transferred"
    )
    blocks: list[Block] = [section(f"*{headline}*\n{total}")]
    blocks += rows_section(
        "Steps", [_step_line(view, i, pending=False) for i in range(len(view.steps))]
    )
    confirmed = f" · Confirmed by <@{plan.confirmed_by}>" if plan.confirmed_by else ""
    blocks.append(context(f"Requested by <@{plan.user_id}>{confirmed} · request #{plan.id}"))
    if state is RequestState.QUEUED:
        blocks.append(
            {
                "type": "actions",
                "block_id": f"{ids.BLOCK_SUBMITTED}:{plan.id}",
                "elements": [
                    button("Cancel plan", ids.ACTION_CANCEL_BACKFILL, str(plan.id), style="danger")
                ],
            }
        )
    return Message(text=f"{headline}: {total}", blocks=blocks)


def plan_submitted_reply(view: PlanView, confirmed_by: str) -> Message:
    text = (
        f"Plan #{view.plan.id} confirmed by <@{confirmed_by}>: {_shape(view)}, "
        f"{plural(_total_days(view), 'day')}. Each step reports in this thread."
    )
    return Message(text=text, blocks=[section(text)])


def step_reply(view: PlanView, step: BackfillRequest, event: RequestEvent) -> Message | None:
    """A step's change in the plan's thread, named by the step (no mention: the plan's end
    mentions the requester once)."""
    if event.kind != "state" or event.to_state is None:
        return None
    index = view.position_of(step.id)
    label = transfer_label(step.transfer_id, step.transfer_name)
    dates = format_range(step.range_start, step.range_end)
    name = f"Step {index + 1}/{len(view.steps)} · {label} · {dates}"
    to = RequestState(event.to_state)
    payload = event.payload or {}
    backfill_id = payload.get("backfill_id", step.backfill_id)
    if to is RequestState.SUBMITTED:
        text = f"{name}: backfill #{backfill_id} submitted."
    elif to in BACKFILL_FINAL_STATES:
        total = payload.get("runs_total", step.runs_total)
        completed = payload.get("runs_completed", step.runs_completed)
        failed = payload.get("runs_failed", step.runs_failed)
        text = f"{name}: backfill #{backfill_id} {to.value.lower()}, {completed}/{total} days"
        text += f", {failed} failed." if failed else "."
    elif to is RequestState.REJECTED:
        text = f"{name}: not submitted. {step.state_reason or ''}".rstrip()
    elif to is RequestState.RUNNING:
        text = f"{name}: backfill #{backfill_id} is running."
    else:
        return None
    return Message(text=text, blocks=[section(text)])


def plan_finished_reply(view: PlanView) -> Message:
    """The plan's end: the requester mentioned once, each step's outcome, every step's
    failed days, one Retry failed days for all of them."""
    plan = view.plan
    state = RequestState(plan.state)
    if state is RequestState.COMPLETED:
        headline = f":white_check_mark: <@{plan.user_id}> plan #{plan.id} completed"
    elif state is RequestState.CANCELLED:
        headline = f":no_entry_sign: <@{plan.user_id}> plan #{plan.id} was cancelled"
    else:
        headline = f":warning: <@{plan.user_id}> plan #{plan.id} finished with failures"
    completed = sum(step.runs_completed or 0 for step in view.steps)
    by = plural(sum(not _removed(s) for s in view.steps), "backfill")
    text = f"{headline}: {completed}/{_total_days(view)} days transferred by {by}."
    blocks: list[Block] = [section(text)]
    failed_any = False
    for index, step in enumerate(view.steps):
        if not (step.runs_failed or step.error_report):
            continue
        failed_any = True
        label = f"Step {index + 1} · {transfer_label(step.transfer_id, step.transfer_name)}"
        blocks.append(
            section(
                f"*{label}*\n"
                + failures_text(step.error_report or [], runs_failed=step.runs_failed or 0)
            )
        )
    if failed_any and state is not RequestState.CANCELLED:
        blocks.append(retry_failed_days_button(plan.id))
    return Message(text=text, blocks=blocks[:50])


def blocker_failed_reply(view: PlanView, step: BackfillRequest, backfill_id: int) -> Message:
    """A queued step's blocker ended FAILED: it still blocks the dates, so ask."""
    index = view.position_of(step.id)
    text = (
        f"Step {index + 1} ({transfer_label(step.transfer_id, step.transfer_name)}, "
        f"{format_range(step.range_start, step.range_end)}) is queued after backfill "
        f"#{backfill_id}, which ended FAILED and still holds these dates at Supermetrics. "
        f"Cancel #{backfill_id} and submit the step, or press Cancel plan on the card to drop "
        "the waiting steps."
    )
    return Message(
        text=text,
        blocks=[
            section(text),
            {
                "type": "actions",
                "block_id": f"backfill_plan_blocked:{view.plan.id}:{step.id}",
                "elements": [
                    button(
                        f"Cancel #{backfill_id} and submit",
                        ids.ACTION_PLAN_CANCEL_BLOCKERS,
                        str(view.plan.id),
                        style="primary",
                    )
                ],
            },
        ],
    )


def plan_handles(view: PlanView, request: BackfillRequest, event: RequestEvent) -> bool:
    """Whether the plan's card and thread announce this event (the rest, e.g. an
    unconfirmed plan expiring, is announced like any request's)."""
    if request.id != view.plan.id:
        return True
    if event.kind == PLAN_BLOCKED:
        return True
    return event.kind == "state" and event.to_state in {RequestState.QUEUED, *BACKFILL_FINAL_STATES}


def plan_reply(view: PlanView, request: BackfillRequest, event: RequestEvent) -> Message | None:
    """The thread reply for an event of a plan or of one of its steps."""
    if request.id != view.plan.id:
        if event.kind != "state":
            # tracking paused / resumed, a closed FAILED backfill: said as for any request
            return render_reply(event, request)
        return step_reply(view, request, event)
    if event.kind == PLAN_BLOCKED:
        payload = event.payload or {}
        step_id, backfill_id = payload.get("step_request_id"), payload.get("backfill_id")
        step = next((s for s in view.steps if s.id == step_id), None)
        if step is None or not isinstance(backfill_id, int):
            return None
        return blocker_failed_reply(view, step, backfill_id)
    if event.to_state is RequestState.QUEUED:
        return plan_submitted_reply(view, view.plan.confirmed_by or event.actor)
    return plan_finished_reply(view)
