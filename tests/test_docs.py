"""The README documents the commands that exist, with the options they have (as sqlite-utils
checks its docs against its CLI): every ``### `chachong CMD …` `` section names a real command,
every ``--option`` in that section is in ``chachong CMD --help``, and every command has a
section."""

from __future__ import annotations

import re

import pytest
import typer

from chachong.cli import app

from .conftest import REPO

README = (REPO / "README.md").read_text(encoding="utf-8")
_SECTION = re.compile(r"^### `chachong (?P<command>[a-z]+)[^`]*`\n(?P<body>.*?)(?=^#{2,3} )", re.M | re.S)
_OPTION = re.compile(r"(?<![\w-])--[a-z][a-z-]*[a-z]")


def _sections() -> dict[str, str]:
    return {m["command"]: m["body"] for m in _SECTION.finditer(README)}


def test_every_command_has_a_readme_section():
    click_command = typer.main.get_command(app)
    commands = set(click_command.commands)  # type: ignore[attr-defined]
    assert commands == set(_sections())


@pytest.mark.parametrize("command", sorted(_sections()))
def test_readme_options_exist(cli, command, monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")  # help text unwrapped, whatever the terminal
    documented = set(_OPTION.findall(_sections()[command]))
    assert documented, f"the README section of `chachong {command}` names no option"
    out = cli(command, "--help")
    assert out.code == 0, out.stderr
    help_text = out.stdout
    missing = sorted(o for o in documented if not re.search(rf"(?<![\w-]){re.escape(o)}(?![\w-])", help_text))
    assert not missing, f"`chachong {command} --help` has no {missing}"


def test_readme_commands_in_code_blocks_exist():
    blocks = re.findall(r"```sh\n(.*?)```", README, re.S)
    used = {m for block in blocks for m in re.findall(r"\bchachong ([a-z]+)\b", block)}
    assert used <= set(_sections()), used - set(_sections())


def test_package_docstring_example_runs(tmp_path, monkeypatch, capsys):
    """The example at the top of ``chachong/__init__.py`` works as written."""
    import chachong

    doc = chachong.__doc__ or ""
    example = doc.split("::\n", 1)[1].split("\n\n", 2)
    code = "\n".join(line[4:] for line in "\n\n".join(example[:2]).splitlines())
    monkeypatch.chdir(tmp_path)
    exec(compile(code, "chachong/__init__.py docstring", "exec"), {})  # noqa: S102 - our own example
    printed = capsys.readouterr().out
    assert (tmp_path / "index.sqlite").exists()
    assert printed.startswith("0.9") and "2023年D建工作总结" in printed
