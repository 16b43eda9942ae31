"""Projects and the keys that reach them.

A key belongs to one project (`team-a:key1`; a bare `key` belongs to `default`), and
a request made with it reads and writes that project's data only. An admin key reads
every project. One place parses the key settings; the API's guard asks `KeyTable`
who a bearer token is.
"""

from __future__ import annotations

import hmac
import re
from dataclasses import dataclass
from pathlib import Path

DEFAULT_PROJECT = "default"
# Like a session id: safe as a folder name and in a glob, no '/' (so the warehouse's
# project-qualified session key `<project>/<session>` splits back unambiguously).
PROJECT_ID_PATTERN = r"[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}"
_PROJECT_RE = re.compile(PROJECT_ID_PATTERN)


class KeyConfigError(ValueError):
    """A key setting that cannot be used; the message names the entry's place."""


@dataclass(frozen=True, slots=True)
class Caller:
    """Who a request's key is: the project it acts in, and whether it may read all."""

    project_id: str
    is_admin: bool = False


def check_project_id(value: str) -> str:
    if not isinstance(value, str) or not _PROJECT_RE.fullmatch(value):
        raise ValueError(
            f"project id {value!r} must be 1-64 characters of letters, digits, '_', '.', '-', "
            "starting with a letter or digit"
        )
    return value


def parse_key_entry(entry: str, where: str) -> tuple[str, str]:
    """`project:key` or a bare `key` (project `default`) -> (project, key)."""
    entry = entry.strip()
    project, sep, key = entry.partition(":")
    if not sep:
        project, key = DEFAULT_PROJECT, entry
    project, key = project.strip(), key.strip()
    if not key:
        raise KeyConfigError(f"{where}: empty key in {entry!r}")
    try:
        check_project_id(project)
    except ValueError as exc:
        raise KeyConfigError(f"{where}: {exc}") from None
    return project, key


def read_keys_file(path: Path) -> list[tuple[str, str]]:
    """One `project:key` (or bare `key`) per line; blank lines and `#` comments skipped."""
    entries = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        text = line.split("#", 1)[0].strip()
        if text:
            entries.append(parse_key_entry(text, f"{path}:{number}"))
    return entries


class KeyTable:
    """Bearer token -> Caller, compared in constant time."""

    def __init__(self, keys: list[tuple[str, str]], admin_keys: list[tuple[str, str]]):
        seen: dict[str, Caller] = {}
        for is_admin, entries in ((False, keys), (True, admin_keys)):
            for project, key in entries:
                caller = Caller(project, is_admin)
                if seen.get(key, caller) != caller:
                    raise KeyConfigError(f"the same key is configured twice: {seen[key]}, {caller}")
                seen[key] = caller
        self._entries = [(k.encode(), c) for k, c in seen.items()]

    def __len__(self) -> int:
        return len(self._entries)

    def resolve(self, token: str) -> Caller | None:
        given = token.encode()
        found = None
        for key, caller in self._entries:  # no early exit: the time says nothing
            if hmac.compare_digest(given, key):
                found = caller
        return found
