"""The harness that starts servers for the process tests: it works from any checkout and venv."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

from tests.processes import ROOT, ManagedProcess

LONG_ARGUMENT = "a-checkout-path-" + "x" * 120


@pytest.mark.slow
def test_group_processes_reads_whole_command_lines_however_narrow_the_terminal(monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    child = ManagedProcess(
        [sys.executable, "-c", "import time; time.sleep(30)", LONG_ARGUMENT], env={"COLUMNS": "80"}
    )
    try:
        assert any(LONG_ARGUMENT in line for line in child.group_processes())
    finally:
        child.stop()


def test_tests_and_benchmarks_start_tools_of_the_running_environment_not_a_fixed_venv():
    # Under tox, nox or a distro venv there is no .venv in the checkout: tools are found next to
    # sys.executable (tests.processes.BIN). A string naming .venv is a path the code would open.
    fixed_path = re.compile(r"""["'][^"'\n]*\.venv\b""")
    sources = [*(ROOT / "tests").rglob("*.py"), *(ROOT / "bench").rglob("*.py")]
    found = [
        f"{path.relative_to(ROOT)}:{number}"
        for path in sources
        if path != Path(__file__)
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if fixed_path.search(line)
    ]
    assert found == []
