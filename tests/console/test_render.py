"""Block Kit → terminal text, on the builders the bot really uses."""

from __future__ import annotations

import io
import threading
from datetime import date

from bot.console import blocks_as_text
from bot.console.console_notifier import THREAD_PREFIX, ConsoleNotifier
from bot.messages import blocks as kit


def _card(
    status: str, completed: int, failed: int = 0, *, can_cancel: bool = True
) -> list[kit.Block]:
    return kit.submitted_card(
        request_id=7,
        transfer_id=456789,
        transfer_name="Facebook Ads - daily",
        range_start=date(2026, 1, 1),
        range_end=date(2026, 1, 31),
        days=31,
        requester="U1",
        confirmed_by="U2",
        backfill_id=42,
        status=status,
        runs_total=31,
        runs_completed=completed,
        runs_failed=failed,
        notes=("Read 01/05/2024 as January 5, 2024 (MDY).",),
        can_cancel=can_cancel,
    )


def test_mrkdwn_is_simplified_and_mentions_use_names() -> None:
    names = {"U1": "ada", "U2": "grace"}
    text = blocks_as_text.mrkdwn(
        "*Backfill* by <@U1> and <@U2|gh> in <#C1|data> · _see_ <https://x.io/a|docs> "
        "<https://x.io/b> <!here> `dwh_transfers_write` 1 &lt; 2 &amp;&gt;",
        lambda user: names.get(user, user),
    )
    assert text == (
        "Backfill by @ada and @gh in #data · see docs (https://x.io/a) "
        "https://x.io/b @here dwh_transfers_write 1 < 2 &>"
    )


def test_the_bots_emoji_become_terminal_symbols() -> None:
    assert blocks_as_text.mrkdwn(":white_check_mark: done :x: no :unknown_thing: 10:30:00") == (
        "✔ done ✖ no :unknown_thing: 10:30:00"
    )


def test_angle_brackets_that_are_not_links_stay_as_typed() -> None:
    assert blocks_as_text.mrkdwn("`/backfill status <id>` · <mailto:a@b.c|mail>") == (
        "/backfill status <id> · mail (mailto:a@b.c)"
    )


def test_underscores_inside_words_are_not_emphasis() -> None:
    assert blocks_as_text.mrkdwn("scope dwh_transfers_write and dwh.transfer.edit") == (
        "scope dwh_transfers_write and dwh.transfer.edit"
    )


def test_submitted_card_renders_summary_notes_progress_and_buttons() -> None:
    lines = blocks_as_text.render_blocks(_card("RUNNING", 19, 1), namer=lambda u: u.lower())
    assert lines == [
        "Backfill of Facebook Ads - daily (#456789)",
        "2026-01-01 → 2026-01-31 · 31 daily runs",
        "  • Read 01/05/2024 as January 5, 2024 (MDY).",
        "  Requested by @u1 · Submitted by @u2 · backfill #42 · RUNNING",
        "RUNNING ▓▓▓▓▓▓░░░░ 19/31 days · 1 failed",
        "[Cancel backfill]",
    ]
    assert (
        blocks_as_text.progress_of(_card("RUNNING", 19, 1))
        == "RUNNING ▓▓▓▓▓▓░░░░ 19/31 days · 1 failed"
    )
    assert blocks_as_text.button_labels(_card("RUNNING", 19, 1)) == ["Cancel backfill"]


def test_actions_headers_fields_selects_and_fallback() -> None:
    blocks = [
        {"type": "header", "text": {"type": "plain_text", "text": "Confirm backfill"}},
        {"type": "divider"},
        {
            "type": "section",
            "fields": [
                {"type": "mrkdwn", "text": "*Transfer*"},
                {"type": "plain_text", "text": "#1"},
            ],
            "accessory": {"type": "button", "text": {"type": "plain_text", "text": "Open"}},
        },
        {
            "type": "actions",
            "elements": [
                {"type": "button", "text": {"type": "plain_text", "text": label}}
                for label in ("Confirm", "Edit dates", "Cancel")
            ],
        },
        {
            "type": "actions",
            "elements": [
                {
                    "type": "static_select",
                    "placeholder": {"type": "plain_text", "text": "Transfer"},
                    "options": [
                        {"text": {"type": "plain_text", "text": "Google Ads"}, "value": "1"},
                        {"text": {"type": "plain_text", "text": "LinkedIn Ads"}, "value": "2"},
                    ],
                },
                {"type": "datepicker", "initial_date": "2026-01-01"},
            ],
        },
        {"type": "mystery"},
    ]
    assert blocks_as_text.render_blocks(blocks) == [
        "CONFIRM BACKFILL",
        "════════════════",
        blocks_as_text.RULE,
        "Transfer",
        "#1  [Open]",
        "[Confirm] [Edit dates] [Cancel]",
        "[Transfer: Google Ads | LinkedIn Ads] [2026-01-01]",
    ]
    assert blocks_as_text.render_blocks([], fallback="*plain* <@U9>") == ["plain @U9"]
    assert blocks_as_text.progress_of(blocks) is None


def test_rich_text_is_flattened() -> None:
    block = {
        "type": "rich_text",
        "elements": [
            {
                "type": "rich_text_section",
                "elements": [
                    {"type": "text", "text": "hi "},
                    {"type": "user", "user_id": "U1"},
                    {"type": "link", "url": "https://a.b"},
                ],
            },
            {
                "type": "rich_text_list",
                "elements": [
                    {"type": "rich_text_section", "elements": [{"type": "text", "text": "one"}]}
                ],
            },
        ],
    }
    assert blocks_as_text.block_lines(block) == ["hi @U1https://a.b", "• one"]


def test_notifier_prints_posts_thread_replies_and_progress_updates() -> None:
    out = io.StringIO()
    notifier = ConsoleNotifier(out, namer=lambda u: "ada" if u == "U1" else u)
    ts = notifier.post(slack_team_id="T", channel="C", text="card", blocks=_card("CREATED", 0))
    reply = notifier.post(
        slack_team_id="T", channel="C", text="Backfill #42 submitted by <@U1>", thread_ts=ts
    )
    assert reply != ts
    notifier.update(
        slack_team_id="T", channel="C", ts=ts, text="card", blocks=_card("RUNNING", 19, 1)
    )
    notifier.ephemeral(slack_team_id="T", channel="C", user="U1", text="Only *you*")
    text = out.getvalue()
    assert "  Backfill of Facebook Ads - daily (#456789)" in text
    assert "  ↳ thread reply on “Backfill of Facebook Ads - daily (#456789)”" in text
    assert THREAD_PREFIX + "Backfill #42 submitted by @ada" in text
    assert (
        # the card showed its button already: the update's line is the progress alone
        "  ✎ card updated (backfill #42): RUNNING ▓▓▓▓▓▓░░░░ 19/31 days · 1 failed\n" in text
    )
    assert "bot (only you can see this)\n  Only you" in text
    assert notifier.messages[ts].updates == 1 and notifier.messages[ts].replies == 1


def test_an_update_without_a_progress_line_shows_the_whole_card() -> None:
    out = io.StringIO()
    notifier = ConsoleNotifier(out)
    ts = notifier.post(slack_team_id="T", channel="C", text="Confirm?")
    notifier.update(slack_team_id="T", channel="C", ts=ts, text="Cancelled by <@U1>.")
    assert out.getvalue().endswith("  ✎ card updated:\n  │ Cancelled by @U1.\n")


def test_an_update_that_changes_nothing_visible_is_not_printed() -> None:
    out = io.StringIO()
    notifier = ConsoleNotifier(out)
    ts = notifier.post(slack_team_id="T", channel="C", text="card", blocks=_card("RUNNING", 3))
    printed = out.getvalue()
    notifier.update(slack_team_id="T", channel="C", ts=ts, text="card", blocks=_card("RUNNING", 3))
    assert out.getvalue() == printed
    notifier.update(slack_team_id="T", channel="C", ts=ts, text="card", blocks=_card("RUNNING", 5))
    assert out.getvalue().endswith(
        "  ✎ card updated (backfill #42): RUNNING ▓▓░░░░░░░░ 5/31 days\n"
    )


def test_progress_updates_show_each_visible_step_once() -> None:
    out = io.StringIO()
    notifier = ConsoleNotifier(out)
    card = _card("SCHEDULED", 0, can_cancel=False)
    ts = notifier.post(slack_team_id="T", channel="C", text="card", blocks=card)
    # one run a poll; the 10th day fails
    updates = [_card("RUNNING", done, 1 if done >= 10 else 0) for done in range(31)]
    updates.append(_card("COMPLETED", 30, 1, can_cancel=False))
    for blocks in updates:
        notifier.update(slack_team_id="T", channel="C", ts=ts, text="card", blocks=blocks)
    shown = [
        line.removeprefix("  ✎ card updated (backfill #42): ")
        for line in out.getvalue().splitlines()
        if line.startswith("  ✎")
    ]
    # a new status, a new bar cell or a new failure: nothing in between; buttons once,
    # when they appear
    assert shown == [
        "RUNNING ░░░░░░░░░░ 0/31 days  [Cancel backfill]",
        "RUNNING ▓░░░░░░░░░ 2/31 days",
        "RUNNING ▓▓░░░░░░░░ 5/31 days",
        "RUNNING ▓▓▓░░░░░░░ 8/31 days",
        "RUNNING ▓▓▓▓░░░░░░ 10/31 days · 1 failed",
        "RUNNING ▓▓▓▓▓░░░░░ 13/31 days · 1 failed",
        "RUNNING ▓▓▓▓▓▓░░░░ 17/31 days · 1 failed",
        "RUNNING ▓▓▓▓▓▓▓░░░ 20/31 days · 1 failed",
        "RUNNING ▓▓▓▓▓▓▓▓░░ 23/31 days · 1 failed",
        "RUNNING ▓▓▓▓▓▓▓▓▓░ 26/31 days · 1 failed",
        "RUNNING ▓▓▓▓▓▓▓▓▓▓ 29/31 days · 1 failed",
        "COMPLETED ▓▓▓▓▓▓▓▓▓▓ 30/31 days · 1 failed",
    ], shown
    # the card is remembered as last updated, skipped steps included
    assert notifier.messages[ts].blocks == updates[-1]
    assert notifier.messages[ts].updates == len(updates)


def test_concurrent_writers_never_interleave_a_message() -> None:
    out = io.StringIO()
    notifier = ConsoleNotifier(out)
    card = _card("RUNNING", 3)

    def write() -> None:
        for _ in range(30):
            notifier.post(slack_team_id="T", channel="C", text="x", blocks=card)

    threads = [threading.Thread(target=write) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    lines = out.getvalue().splitlines()
    starts = [i for i, line in enumerate(lines) if line.startswith("bot › C")]
    assert len(starts) == 120
    # every message is its header followed by the card's six lines, unbroken
    for start in starts:
        assert lines[start + 1] == "  Backfill of Facebook Ads - daily (#456789)"
        assert lines[start + 6] == "  [Cancel backfill]"


def test_error_messages_are_rendered_from_mrkdwn_and_aligned() -> None:
    out = io.StringIO()
    notifier = ConsoleNotifier(out, namer=lambda u: "ada" if u == "U1" else u)
    notifier.error(
        "Supermetrics said: Range &lt;2026-01-01&gt; &amp; more is *invalid* (<@U1>).\n"
        "Try `/backfill help`."
    )
    assert out.getvalue() == (
        "\n! Supermetrics said: Range <2026-01-01> & more is invalid (@ada).\n"
        "  Try /backfill help.\n"
    )
    # an entity that spells a mention stays literal text
    assert blocks_as_text.message_lines("&lt;@U1&gt; &amp;lt;") == ["<@U1> &lt;"]


def test_long_lines_fold_at_the_terminal_width_inside_their_margin() -> None:
    out = io.StringIO()
    notifier = ConsoleNotifier(out, width=lambda: 41)  # folds at 40, like a 41-column terminal
    ts = notifier.post(slack_team_id="T", channel="C", text="Short card")
    notifier.post(
        slack_team_id="T",
        channel="C",
        thread_ts=ts,
        text="Backfill #7 failed on 2 days:\n"
        "• 2026-10-10, 2026-10-20: Permission error, token expired",
    )
    lines = out.getvalue().splitlines()
    assert all(len(line) <= 40 for line in lines), lines
    assert lines[-3:] == [
        "    │ Backfill #7 failed on 2 days:",
        "    │ • 2026-10-10, 2026-10-20:",
        "    │   Permission error, token expired",
    ]
    # without a width (piped output) nothing is folded
    plain = io.StringIO()
    ConsoleNotifier(plain).post(slack_team_id="T", channel="C", text="word " * 40)
    assert ("word " * 40).strip() in plain.getvalue()
