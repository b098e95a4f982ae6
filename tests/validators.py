"""The standard validators as test tools: the Nu HTML Checker and axe-core.

Both come from npm (`package.json`; `make test` runs `npm ci` when it changes). The Nu HTML Checker
(`vnu.jar`, Java 17+) checks many documents in one JVM run, since starting the JVM is most of its
cost. axe-core runs inside Debian's chromium through Playwright, on pages with their stylesheet
loaded, so colour contrast is measured as readers see it, in each mode of `MODES`.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from tests.browser import missing_browser

ROOT = Path(__file__).resolve().parent.parent
NODE_MODULES = ROOT / "node_modules"
VNU_JAR = NODE_MODULES / "vnu-jar" / "build" / "dist" / "vnu.jar"
AXE_SCRIPT = NODE_MODULES / "axe-core" / "axe.min.js"
# Only the findings: passes and "needs review" results would cost time on pages of 1,000+ nodes.
AXE_OPTIONS = {"resultTypes": ["violations"]}
# Nodes named per axe rule in a failure message; the count says how many there were.
NODES_SHOWN = 5


@dataclass(frozen=True)
class Mode:
    """How a page is looked at: colour scheme and window size."""

    name: str
    color_scheme: str
    width: int
    height: int


MODES = (
    Mode("light", "light", 1280, 900),
    Mode("dark", "dark", 1280, 900),
    Mode("phone", "light", 360, 780),
)


def missing_validators() -> str | None:
    """Why the validators cannot run here, or None when they can."""
    if shutil.which("java") is None:
        return "java is not installed (apt-get install default-jre-headless; vnu.jar needs 17+)"
    for path in (VNU_JAR, AXE_SCRIPT):
        if not path.is_file():
            return f"{path.relative_to(ROOT)} is missing (npm ci, or make test)"
    return missing_browser()


def nu_errors(documents: Mapping[str, bytes], folder: Path) -> dict[str, list[str]]:
    """Check every document in one run of the Nu HTML Checker: its errors, per document name.

    Warnings and notes are not errors and are left out; a fatal (non-document) error fails.
    """
    folder.mkdir(parents=True, exist_ok=True)
    names = {}
    for index, (name, body) in enumerate(documents.items()):
        path = (folder / f"{index:03d}.html").resolve()
        path.write_bytes(body)
        names[str(path)] = name
    run = subprocess.run(
        ["java", "-jar", str(VNU_JAR), "--format", "json", "--stdout", *names],
        capture_output=True,
        timeout=600,
        check=False,
    )
    try:
        report = json.loads(run.stdout)
    except json.JSONDecodeError:
        raise AssertionError(
            f"vnu.jar gave no report (exit {run.returncode}):\n{run.stdout[-2000:]!r}\n"
            f"{run.stderr[-2000:]!r}"
        ) from None
    errors: dict[str, list[str]] = {name: [] for name in documents}
    for message in report["messages"]:
        if message["type"] == "info":
            continue
        name = names.get(unquote(urlsplit(message.get("url", "")).path))
        if name is None:
            raise AssertionError(f"vnu.jar could not check the documents: {message}")
        errors[name].append(_describe_nu(message))
    return errors


def _describe_nu(message: dict[str, Any]) -> str:
    line = message.get("lastLine", "?")
    extract = " ".join(message.get("extract", "").split())
    return f"line {line}: {message['message']}\n    {extract}"


def axe_violations(page: Any) -> list[str]:
    """axe-core's violations on the page loaded in `page` (a Playwright Page), one per rule.

    axe must be in the page already: `install_axe(context)` adds it to every page of a context.
    """
    results = page.evaluate("options => axe.run(document, options)", AXE_OPTIONS)
    return [_describe_axe(violation) for violation in results["violations"]]


def look_as(page: Any, mode: Mode) -> None:
    """Show the loaded page in this mode: the stylesheet's media queries follow at once, so one
    load serves every mode (a load costs more than a check)."""
    page.emulate_media(color_scheme=mode.color_scheme)
    page.set_viewport_size({"width": mode.width, "height": mode.height})


def install_axe(context: Any) -> None:
    """Make axe-core part of every page opened in this Playwright browser context.

    An init script goes in through the DevTools protocol, so the pages' Content-Security-Policy
    (no inline or foreign script) does not stop it, and the policy stays as readers get it.
    """
    context.add_init_script(path=str(AXE_SCRIPT))


def _describe_axe(violation: dict[str, Any]) -> str:
    nodes = violation["nodes"]
    lines = [f"{violation['id']} ({violation['impact']}): {violation['help']} ({len(nodes)} nodes)"]
    for node in nodes[:NODES_SHOWN]:
        summary = " ".join(node.get("failureSummary", "").split())
        lines.append(f"    {' > '.join(map(str, node['target']))}: {summary}")
    if len(nodes) > NODES_SHOWN:
        lines.append(f"    ... and {len(nodes) - NODES_SHOWN} more")
    return "\n".join(lines)
