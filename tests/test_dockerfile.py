"""The Dockerfile cannot be built here (no Docker engine), so it is linted and checked for shape."""

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOCKERFILE = ROOT / "Dockerfile"


def hadolint() -> str:
    beside_python = Path(sys.executable).parent / "hadolint"
    return str(beside_python) if beside_python.exists() else shutil.which("hadolint")


def test_the_dockerfile_passes_hadolint():
    result = subprocess.run(
        [hadolint(), str(DOCKERFILE)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_image_runs_as_a_non_root_user():
    users = [
        line.split()[1] for line in DOCKERFILE.read_text().splitlines() if line.startswith("USER ")
    ]
    assert users and users[-1] not in {"root", "0", "0:0"}


def test_the_image_ships_what_the_package_needs_beside_it():
    text = DOCKERFILE.read_text()
    for folder in ("templates", "static", "migrations", "translations"):
        assert f"COPY {folder} ./{folder}" in text
    assert "pip install --no-cache-dir -e ." in text


def test_the_entrypoint_migrates_before_serving_and_can_run_the_scheduler():
    entrypoint = (ROOT / "docker" / "entrypoint.sh").read_text()
    assert entrypoint.index("db upgrade") < entrypoint.index("exec $flask serve")
    assert "exec $flask scheduler" in entrypoint
