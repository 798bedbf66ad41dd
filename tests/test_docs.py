"""The README stays true: its test command is the one CI runs, and it documents every command."""

from __future__ import annotations

import re
from pathlib import Path

from aifactories.cli import COMMANDS
from aifactories.config import Settings

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()


def _quick_start_commands() -> list[str]:
    section = README.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```sh\n(.+?)\n```", section)


def test_quick_start_has_exactly_two_commands() -> None:
    assert len(_quick_start_commands()) == 2


def test_ci_runs_the_readme_test_command() -> None:
    test_command = _quick_start_commands()[1]
    assert test_command in (ROOT / ".ci" / "run").read_text().splitlines()


def test_readme_serve_command_serves_the_bundled_graph() -> None:
    serve = _quick_start_commands()[0]
    assert serve.endswith("aifactories serve") and "pip install ." in serve


def test_readme_documents_every_command() -> None:
    for command in COMMANDS:
        assert f"aifactories {command}" in README


def test_readme_documents_every_setting() -> None:
    for name in Settings.__dataclass_fields__:
        if name != "skip_validation":
            assert f"`{name}`" in README, name
