"""The package as people install it: a wheel built from the tree carries its data (the
prompts, the chat page, the reader), and ``qa`` run from that wheel, outside the
checkout and from another working directory, finds them."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.helpers import ROOT

FOUND = """
from qa.generate.prompts import load_prompt, prompts_dir
folder = prompts_dir()
print(folder)
for name in ("answer.txt", "condense.txt"):
    load_prompt(folder / name)
"""


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel's files unpacked in a folder of their own (as site-packages holds them)."""
    tree = tmp_path_factory.mktemp("tree")
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, tree)
    for folder in ("qa", "prompts"):
        shutil.copytree(ROOT / folder, tree / folder, ignore=shutil.ignore_patterns("__pycache__"))
    wheels = tmp_path_factory.mktemp("wheels")
    build = [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q"]
    subprocess.run([*build, "-w", str(wheels), str(tree)], check=True, capture_output=True)
    site = tmp_path_factory.mktemp("site")
    with zipfile.ZipFile(next(wheels.glob("qa-*.whl"))) as wheel:
        wheel.extractall(site)
    return site


def test_the_wheel_carries_the_prompts_page_and_reader(installed: Path) -> None:
    for data in ("prompts/answer.txt", "prompts/condense.txt", "web/index.html"):
        assert (installed / "qa" / data).is_file(), data
    assert (installed / "qa/answer/reader/model.onnx").stat().st_size > 1_000_000


def test_the_installed_package_finds_its_prompts_from_any_directory(installed: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(installed)}
    env.pop("QA_PROMPTS_DIR", None)
    done = subprocess.run(
        [sys.executable, "-c", FOUND], cwd="/", env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == str(installed / "qa" / "prompts")
