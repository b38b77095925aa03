"""The README stays true to the code: its Quick start and its configuration table."""

from __future__ import annotations

import ast
import re
import shlex

from tests.docs.markdown import README, ROOT, quick_start_commands, section


def _env_name(node: ast.AST | None) -> str | None:
    if (
        isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and re.fullmatch(r"[A-Z][A-Z0-9_]+", node.value)
    ):
        return node.value
    return None


def config_variables() -> set[str]:
    """Return every environment variable name bot/config/ reads (parsed from its source).

    A name counts when it is looked up (``env.get("X")``, ``env["X"]``, ``"X" in env``)
    or is a key of a name → setting table (``{"X": ...}``).
    """
    trees = [
        ast.parse(path.read_text(encoding="utf-8"))
        for path in sorted((ROOT / "bot" / "config").glob("*.py"))
    ]
    candidates: list[ast.AST | None] = []
    for node in (node for tree in trees for node in ast.walk(tree)):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in {"get", "getenv", "pop"}
            and node.args
        ):
            candidates.append(node.args[0])
        elif isinstance(node, ast.Subscript):
            candidates.append(node.slice)
        elif isinstance(node, ast.Compare) and any(isinstance(op, ast.In) for op in node.ops):
            candidates.append(node.left)
        elif isinstance(node, ast.Dict):
            candidates.extend(node.keys)
    return {name for name in map(_env_name, candidates) if name}


def test_quick_start_has_exactly_two_commands_and_ci_runs_the_second() -> None:
    commands = quick_start_commands()
    assert len(commands) == 2, commands
    assert all(shlex.split(command) for command in commands)
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    ci_commands = [
        line.strip()
        for line in ci.splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]
    assert commands[1] in ci_commands


def test_quick_start_targets_exist_in_the_makefile() -> None:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    for command in quick_start_commands():
        words = shlex.split(command)
        if words[0] == "make":
            for target in words[1:]:
                assert re.search(rf"^{re.escape(target)}:", makefile, re.M), target


def test_configuration_table_lists_every_variable_config_reads() -> None:
    table = section(README.read_text(encoding="utf-8"), "Configuration")
    documented = set(re.findall(r"^\|\s*`([A-Z0-9_]+)`\s*\|", table, re.M))
    read = config_variables()
    assert read, "found no variable names in bot/config/"
    assert read - documented == set(), f"undocumented: {sorted(read - documented)}"
    assert documented - read == set(), f"documented but not read: {sorted(documented - read)}"


def test_configuration_defaults_match_the_settings() -> None:
    from bot.config import environment, load_settings

    settings = load_settings({})
    table = section(README.read_text(encoding="utf-8"), "Configuration")
    rows = dict(re.findall(r"^\|\s*`([A-Z0-9_]+)`\s*\|\s*([^|]*)\|", table, re.M))
    for name, (attr, _kind, _minimum) in environment._NUMBERS.items():
        assert float(rows[name].strip().strip("`")) == float(getattr(settings, attr)), name
    for name, attr in environment._STRINGS.items():
        value = getattr(settings, attr)
        shown = rows[name].strip()
        if value:
            assert shown.strip("`") == str(value), name
        else:
            assert "none" in shown or "empty" in shown, name
    assert rows["BOT_DATA_DIR"].strip().strip("`") == str(settings.data_dir)
    assert rows["DATE_ORDER"].strip().strip("`") == settings.date_order
    assert (
        rows["RUN_TRACKER_IN_SERVER"].strip().strip("`")
        == str(settings.run_tracker_in_server).lower()
    )
