"""Reading requirements.txt (the lock ``uv pip compile`` writes) against pyproject.toml."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from importlib import metadata

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

# what uv writes under a requirement pulled in by the project itself
DIRECT = "backfill-bot (pyproject.toml)"


@dataclass(frozen=True)
class Pin:
    name: str
    version: str
    hashes: int
    direct: bool


def parse_lock(text: str) -> dict[str, Pin]:
    """Return the lock's pins by canonical name; raise ValueError on a line that is no pin."""
    pins: dict[str, Pin] = {}
    # one entry: the requirement line, its `\`-continued hashes, then its `# via` comments
    for entry in re.split(r"\n(?=[^\s#])", text.strip()):
        lines = entry.splitlines()
        if all(line.startswith("#") for line in lines):
            continue  # the header
        spec = lines[0].rstrip(" \\")
        requirement = Requirement(spec)
        (specifier, *more) = list(requirement.specifier)
        if more or specifier.operator != "==" or "*" in specifier.version:
            raise ValueError(f"not an exact pin: {spec}")
        name = canonicalize_name(requirement.name)
        vias = [
            line.strip().lstrip("#").strip().removeprefix("via").strip()
            for line in lines[1:]
            if line.strip().startswith("#")
        ]
        pins[name] = Pin(
            name=name,
            version=specifier.version,
            hashes=entry.count("--hash=sha256:"),
            direct=DIRECT in vias,
        )
    return pins


def lock_command(text: str) -> str:
    """The refresh command the lock's header records."""
    match = re.search(r"^#\s+(uv pip compile .*)$", text, re.M)
    if not match:
        raise ValueError("the lock's header names no `uv pip compile` command")
    return match.group(1).strip()


def _extra_requirements(requirement: Requirement) -> list[Requirement]:
    """What the requirement's extras add, read from the installed distribution's metadata."""
    if not requirement.extras:
        return []
    try:
        requires = metadata.requires(requirement.name) or []
    except metadata.PackageNotFoundError:
        return []
    found = []
    for raw in requires:
        extra = Requirement(raw)
        if extra.marker is None:
            continue
        if any(extra.marker.evaluate({"extra": name}) for name in requirement.extras):
            # only the extra's own clause decides; other markers (platforms) are the lock's
            found.append(extra)
    return found


def lock_problems(pyproject_text: str, lock_text: str) -> list[str]:
    """Every way the lock disagrees with pyproject.toml's dependencies, one line each."""
    declared = [
        Requirement(raw) for raw in tomllib.loads(pyproject_text)["project"]["dependencies"]
    ]
    try:
        pins = parse_lock(lock_text)
    except ValueError as exc:
        return [str(exc)]
    problems = []
    names = set()
    for requirement in declared:
        name = canonicalize_name(requirement.name)
        names.add(name)
        pin = pins.get(name)
        if pin is None:
            problems.append(f"{requirement} is not in the lock")
            continue
        if not requirement.specifier.contains(pin.version, prereleases=True):
            problems.append(f"the lock pins {name}=={pin.version}, outside {requirement}")
        if not pin.direct:
            problems.append(f"the lock does not record {name} as a dependency of the project")
        for extra in _extra_requirements(requirement):
            if canonicalize_name(extra.name) not in pins:
                problems.append(f"{extra.name} (from {requirement}) is not in the lock")
    for pin in pins.values():
        if pin.direct and pin.name not in names:
            problems.append(f"the lock has {pin.name} as a dependency pyproject.toml no longer has")
        if pin.hashes == 0:
            problems.append(f"{pin.name} has no hash in the lock")
    return problems
