"""The console end to end, in-process: real service, tracker, SQLite file and simulator.

"Today" is fixed with ``--today`` (a clock that starts there and flows in real time), and
the simulator runs fast, so a month-long backfill ends within a second or two.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest

from bot.console import repl
from bot.console.console_notifier import ConsoleNotifier
from bot.console.environment import first_backfill_id, highest_backfill_id
from bot.store.db import make_engine, make_session_factory, session_scope
from bot.store.models import RequestState
from bot.store.queries import get_request, list_requests
from bot.supermetrics.models import Transfer
from tests.console.conftest import TODAY, TZ, LiveConsole, console_settings, run_console

CARD_BUTTONS = "[Confirm] [Edit dates] [Cancel]"


def stored_requests(data_dir: Path) -> list[tuple[int, RequestState, str, str, int | None]]:
    """(id, state, range start, range end, backfill id) of every console request, oldest first."""
    engine = make_engine(f"sqlite:///{data_dir / 'bot.db'}")
    try:
        with session_scope(make_session_factory(engine)) as session:
            rows = list_requests(session, slack_team_id="TCONSOLE", limit=100)
            return [
                (r.id, r.state, r.range_start.isoformat(), r.range_end.isoformat(), r.backfill_id)
                for r in reversed(rows)
            ]
    finally:
        engine.dispose()


def test_request_confirm_and_follow_to_completion(tmp_path: Path) -> None:
    result = run_console(tmp_path, "backfill transfer 456789 for last January\nconfirm\n")
    text = result.text
    assert result.code == 0, text
    # the confirmation card, rendered from its blocks
    assert "you › backfill transfer 456789 for last January" in text
    assert "Backfill Facebook Ads - daily (#456789)?" in text
    assert "2026-01-01 → 2026-01-31 · 31 daily runs" in text
    assert CARD_BUTTONS in text
    # the submission, the thread and the card's progress line
    assert re.search(r"Backfill #\d+ submitted by @you: Facebook Ads - daily \(#456789\)", text)
    assert "↳ thread reply on “Backfill of Facebook Ads - daily (#456789)”" in text
    assert re.search(r"@you Backfill #\d+ completed: ", text)
    # the card's progress line (polls at this speed may or may not catch it RUNNING)
    assert re.search(r"(✎ card updated \(backfill #\d+\): |│ )COMPLETED ▓{10} 31/31 days", text)
    assert "Every submitted backfill has finished." in text
    [(_id, state, start, end, backfill_id)] = stored_requests(tmp_path)
    assert (state, start, end) == (RequestState.COMPLETED, "2026-01-01", "2026-01-31")
    assert backfill_id is not None


def test_edit_dates_then_confirm_submits_the_new_range(tmp_path: Path) -> None:
    script = "backfill transfer 456789 for last January\nedit 2026-01-05 2026-01-12\nconfirm\n"
    result = run_console(tmp_path, script)
    assert result.code == 0, result.text
    after_edit = result.text.split("you › edit 2026-01-05 2026-01-12", 1)[1]
    assert "2026-01-05 → 2026-01-12 · 8 daily runs" in after_edit.split("you › confirm")[0]
    assert re.search(
        r"(✎ card updated \(backfill #\d+\): |│ )COMPLETED ▓{10} 8/8 days", result.text
    )
    [(_id, state, start, end, _bf)] = stored_requests(tmp_path)
    assert (state, start, end) == (RequestState.COMPLETED, "2026-01-05", "2026-01-12")


def test_cancel_before_confirming_submits_nothing(tmp_path: Path) -> None:
    result = run_console(tmp_path, "backfill transfer 456789 for last January\ncancel\n")
    assert result.code == 0, result.text
    after = result.text.split("you › cancel", 1)[1]
    assert "✎ card updated:" in after
    assert CARD_BUTTONS not in after
    assert "Waiting for" not in result.text
    [(_id, state, _start, _end, backfill_id)] = stored_requests(tmp_path)
    assert state is RequestState.DISMISSED and backfill_id is None


def test_failing_days_are_reported_with_a_retry_button(tmp_path: Path) -> None:
    result = run_console(tmp_path, "backfill LinkedIn Ads for last January\nconfirm\n")
    text = result.text
    assert result.code == 0, text
    assert "Backfill LinkedIn Ads (#456791)?" in text
    assert "2 days failed:" in text
    assert "2026-01-10, 2026-01-20 (2 days): Permission error" in text
    assert "[Retry failed days]" in text
    assert "29/31 days · 2 failed" in text
    [(_id, state, _s, _e, _bf)] = stored_requests(tmp_path)
    assert state is RequestState.FAILED


def test_help_list_status_and_cancel_of_a_running_backfill(live: LiveConsole) -> None:
    shown = live.type("help")
    assert "confirm [REQUEST]" in shown and "edit YYYY-MM-DD YYYY-MM-DD" in shown
    assert "status" in shown and "list" in shown

    live.type("backfill transfer 456789 for last January")
    live.wait()
    shown = live.type("confirm")
    request_id = int(re.findall(r"request #(\d+)", live.text)[0])
    live.wait()
    assert "completed" in live.text

    shown = live.type("list")
    assert "Recently finished" in shown
    assert f"#{request_id} Facebook Ads - daily (#456789)" in shown

    shown = live.type(f"status {request_id}")
    assert "COMPLETED ▓▓▓▓▓▓▓▓▓▓ 31/31 days" in shown

    # a long backfill, cancelled while it runs: the answer and the thread both say so
    live.env.simulator.sim.seconds_per_run = 1000.0
    live.type("backfill transfer 456790 for last year")
    live.type("confirm")
    with session_scope(live.env.runtime.session_factory) as session:
        newest = list_requests(session, slack_team_id="TCONSOLE", limit=1)[0]
        second = newest.id
    shown = live.type(f"cancel {second}")
    assert "is cancelled" in shown
    live.wait()
    with session_scope(live.env.runtime.session_factory) as session:
        row = get_request(session, request_id=second)
        assert row is not None and row.state is RequestState.CANCELLED
    assert "was cancelled by @you" in live.text


def test_bad_input_gets_a_clear_message_and_the_console_keeps_going(tmp_path: Path) -> None:
    script = "\n".join(
        [
            "confirm",
            "edit tomorrow",
            "status abc",
            "status 999",
            "backfill transfer 456789",
            "backfill transfer 456789 for last January",
            "edit 2026-01-31 2026-01-01",
            "edit 2027-01-01 2027-01-05",
            "choose",
            "confirm",
        ]
    )
    result = run_console(tmp_path, script + "\n")
    text = result.text
    assert result.code == 0, text
    messages = re.findall(r"^! (.+)$", text, re.M)
    assert len(messages) >= 8, text
    assert messages[0].startswith("No request is waiting for confirmation")
    assert "edit 2026-01-05 2026-01-12" in messages[1]
    assert "status needs a request or backfill id, e.g. /backfill status 12" in messages[2]
    assert "no request or backfill #999" in messages[3]
    # the console kept going: the last request was submitted and finished
    assert re.search(r"@you Backfill #\d+ completed", text)
    [(_id, state, start, end, _bf)] = stored_requests(tmp_path)
    assert (state, start, end) == (RequestState.COMPLETED, "2026-01-01", "2026-01-31")


def test_error_messages_show_what_the_api_and_the_user_wrote_unescaped(live: LiveConsole) -> None:
    # a transfer name from the API with the three characters Slack's mrkdwn escapes
    assert live.env.simulator is not None
    live.env.simulator.sim.add_team(
        1, token="another-token", transfers=[Transfer(456800, "Ads & <Partners>", "ACTIVE")]
    )
    shown = live.type("backfill Pinterest & Co for last January")
    [message] = re.findall(r"^! (.+)$", shown, re.M)
    assert message.startswith('I couldn\'t find a transfer named "Pinterest & Co".'), shown
    assert '"Ads & <Partners>"' in message
    for entity in ("&amp;", "&lt;", "&gt;"):
        assert entity not in shown
    # the same name on a card, rendered from its blocks
    shown = live.type("backfill transfer 456800 for last January")
    assert "Backfill Ads & <Partners> (#456800)?" in shown


def test_errors_before_the_console_starts_are_plain_text_too(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("BOT_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("MAX_BACKFILL_DAYS", "lots & lots")
    assert repl.main(["--no-wait"]) == repl.EXIT_CONFIG
    assert "! MAX_BACKFILL_DAYS must be a number, not 'lots & lots'." in capsys.readouterr().err


def test_waiting_is_bounded_by_the_timeout(tmp_path: Path) -> None:
    result = run_console(
        tmp_path,
        "backfill transfer 456789 for last January\nconfirm\n",
        "--timeout",
        "0.5",
        speed=1.0,
    )
    assert result.code == 1
    assert "Timed out after 0.5 s with 1 backfill(s) still running" in result.text


def test_no_wait_stops_when_the_input_ends(tmp_path: Path) -> None:
    result = run_console(
        tmp_path,
        "backfill transfer 456789 for last January\nconfirm\nquit\nlist\n",
        "--no-wait",
        speed=1.0,
    )
    assert result.code == 0
    assert "Stopping with 1 backfill(s) still being tracked" in result.text
    assert "you › list" not in result.text  # quit ended the input


def test_a_restarted_demo_closes_what_the_previous_run_left_open(tmp_path: Path) -> None:
    first = run_console(tmp_path, "backfill transfer 456789 for last January\n", "--no-wait")
    assert first.code == 0
    [(_id, state, *_rest)] = stored_requests(tmp_path)
    assert state is RequestState.PENDING
    second = run_console(tmp_path, "confirm\n")
    assert second.code == 0
    assert "No request is waiting for confirmation" in second.text
    [(_id, state, *_rest)] = stored_requests(tmp_path)
    assert state is RequestState.EXPIRED


def test_a_rerun_on_the_same_data_numbers_backfills_above_the_stored_ones(
    tmp_path: Path,
) -> None:
    first = run_console(tmp_path, "backfill transfer 456789 for last January\nconfirm\n")
    assert first.code == 0, first.text
    [(_id, _state, _start, _end, first_backfill)] = stored_requests(tmp_path)
    assert first_backfill == 10001
    # a new simulator, the same database: `status 10001` must still mean the first one
    script = f"backfill transfer 456790 for last January\nconfirm\nstatus {first_backfill}\n"
    second = run_console(tmp_path, script)
    assert second.code == 0, second.text
    status = second.text.split(f"you › status {first_backfill}", 1)[1]
    assert "Facebook Ads - daily (#456789)" in status.split("\n\n")[1], status
    assert "Google Ads" not in status.split("\n\n")[1]
    # (each run's --today clock starts at 09:00 again, so order by request id)
    rows = sorted(stored_requests(tmp_path))
    assert [(row[0], row[4]) for row in rows] == [(1, 10001), (2, 10002)]


def test_the_simulators_first_id_is_above_every_stored_backfill_id(tmp_path: Path) -> None:
    settings = console_settings(tmp_path)
    assert highest_backfill_id(settings) is None  # no database file yet: no schema
    assert first_backfill_id(None) == 10001
    assert first_backfill_id(7) == 10001  # small ids (a real API's) stay below the default
    assert first_backfill_id(10001) == 10002
    assert first_backfill_id(987654) == 987655


def test_setup_without_a_terminal_explains_the_cli(tmp_path: Path) -> None:
    result = run_console(tmp_path, "setup\n")
    assert result.code == 0
    assert "python -m bot workspace set --slack-team TCONSOLE --supermetrics-team" in result.text


def test_retry_offers_a_new_confirmation_per_span_of_failed_days(live: LiveConsole) -> None:
    live.type("backfill LinkedIn Ads for last January")
    live.type("confirm")
    live.wait()
    assert "[Retry failed days]" in live.text
    shown = live.type("retry")
    # the 10th and the 20th are not contiguous: one card each, each a single day
    assert shown.count("[Confirm] [Edit dates] [Cancel]") == 2, shown
    assert "Backfill LinkedIn Ads (#456791)?\n  2026-01-10 · 1 daily run" in shown
    assert "Backfill LinkedIn Ads (#456791)?\n  2026-01-20 · 1 daily run" in shown
    assert "Retries failed days of request #1" in shown
    with session_scope(live.env.runtime.session_factory) as session:
        pending = list_requests(
            session, slack_team_id="TCONSOLE", states={RequestState.PENDING}, limit=10
        )
    assert sorted(r.range_start.isoformat() for r in pending) == ["2026-01-10", "2026-01-20"]


def test_at_a_terminal_it_prompts_and_does_not_wait_by_default(tmp_path: Path) -> None:
    args = repl.build_parser().parse_args(
        ["--tz", TZ, "--today", TODAY.isoformat(), "--speed", "1"]
    )
    out = io.StringIO()
    code = repl.run(
        args,
        settings=console_settings(tmp_path),
        stdin=io.StringIO("backfill transfer 456789 for last January\nconfirm\n"),
        stdout=out,
        interactive=True,
    )
    assert code == 0
    text = out.getvalue()
    assert text.count(repl.PROMPT) >= 3  # one per line read, plus the one that met the end
    assert "you › backfill transfer" not in text  # a terminal echoes what you type itself
    assert "Stopping with 1 backfill(s) still being tracked" in text


def test_options_are_checked(capsys: pytest.CaptureFixture[str]) -> None:
    for bad in (["--tz", "Mars/Olympus"], ["--speed", "0"], ["--today", "2026-13-01"]):
        with pytest.raises(SystemExit) as exit_info:
            repl.build_parser().parse_args(bad)
        assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert "'Mars/Olympus' is not a timezone" in err
    assert "'0' must be more than 0" in err
    assert "'2026-13-01' is not a date like 2026-01-31" in err


def test_output_while_typing_redraws_the_prompt_and_the_half_typed_line() -> None:
    out = io.StringIO()
    prompt = repl._Prompt(out, True, lambda: "backfill Link")
    notifier = ConsoleNotifier(
        out, on_output=prompt.after_output, before_output=prompt.before_output
    )
    prompt.waiting.set()  # the prompt is shown and "backfill Link" typed so far
    notifier.post(slack_team_id="T", channel="C", text="Backfill #7 is running.")
    assert out.getvalue() == (
        "\r\033[K\nbot › C\n  Backfill #7 is running.\n" + repl.PROMPT + "backfill Link"
    )
    prompt.waiting.clear()  # a command is running: output is printed as it comes
    notifier.say("done")
    assert out.getvalue().endswith("backfill Linkdone\n")


def test_end_of_input_at_the_prompt_ends_its_line_without_drawing_it_again(
    tmp_path: Path,
) -> None:
    args = repl.build_parser().parse_args(["--tz", TZ, "--today", TODAY.isoformat()])
    out = io.StringIO()
    code = repl.run(
        args,
        settings=console_settings(tmp_path),
        stdin=io.StringIO(""),
        stdout=out,
        interactive=True,
    )
    assert code == 0
    assert out.getvalue().endswith(repl.PROMPT + "\n")
    assert "\033[K" not in out.getvalue()
