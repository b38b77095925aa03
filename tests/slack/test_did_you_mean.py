"""A near-miss is refused with the corrected command and a button that runs it; never applied
silently."""

from __future__ import annotations

from typing import Any

from bot.messages import ids
from tests.slack.harness import SlackHarness, action_ids


def _buttons(body: dict[str, Any]) -> list[tuple[str, str]]:
    return [
        (str(element.get("action_id")), str(element.get("value")))
        for block in body.get("blocks") or []
        if block.get("type") == "actions"
        for element in block.get("elements") or []
    ]


def test_a_typo_offers_the_corrected_command_and_its_button_runs_it(bot: SlackHarness) -> None:
    bot.command("transfer 456789 for lst month", name="typo")
    refusal = bot.response_body("typo")
    assert refusal["response_type"] == "ephemeral"
    assert "Did you mean" in refusal["text"]
    corrected = "transfer 456789 for last month"
    assert (ids.ACTION_RUN_SUGGESTION, corrected) in _buttons(refusal)
    assert bot.requests() == []  # nothing was assumed

    bot.click(ids.ACTION_RUN_SUGGESTION, corrected)
    row, card = bot.posted_card()
    assert (row.range_start.isoformat(), row.range_end.isoformat()) == ("2026-01-01", "2026-01-31")
    assert row.text == corrected
    assert ids.ACTION_CONFIRM in action_ids(card)


def test_a_refusal_without_a_likely_correction_has_no_button(bot: SlackHarness) -> None:
    bot.command("transfer 456789 sometime soon", name="vague")
    refusal = bot.response_body("vague")
    assert "Did you mean" not in refusal["text"]
    assert _buttons(refusal) == []
