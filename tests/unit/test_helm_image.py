"""The container image definition. No Docker engine runs on these machines, so the image is not built
here; these tests check what can be checked without one: the Dockerfile's stages, user and variants,
that its build context (.dockerignore) holds exactly what it copies, and that `pip install .` from that
context alone yields a distribution with the packaged data the worker needs offline."""
from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DOCKERFILE = (REPO / "Dockerfile").read_text()


def _stages() -> dict[str, str]:
    """Dockerfile text per build stage, by stage name."""
    parts = re.split(r"^FROM\s+\S+\s+AS\s+(\S+)\s*$", DOCKERFILE, flags=re.M | re.I)
    return dict(zip(parts[1::2], parts[2::2]))


def _copied_sources() -> set[str]:
    sources = set()
    for line in DOCKERFILE.splitlines():
        if line.startswith("COPY ") and "--from=" not in line:
            sources.update(p.rstrip("/") for p in line.split()[1:-1])
    return sources


def test_multi_stage_with_a_numeric_non_root_user_and_two_variants():
    stages = _stages()
    assert list(stages) == ["build", "runtime"]
    runtime = stages["runtime"]
    user = re.findall(r"^USER\s+(\S+)", runtime, flags=re.M)
    assert user and user[-1].split(":")[0].isdigit() and user[-1].split(":")[0] != "0"
    assert "COPY --from=build /opt/guardstream /opt/guardstream" in runtime
    assert 'ENTRYPOINT ["guardstream"]' in runtime and 'CMD ["worker"]' in runtime
    assert "pip install" not in runtime  # nothing is built in the final image
    build = stages["build"]
    assert "ARG VARIANT=cpu" in build and 'if [ "$VARIANT" = "cuda" ]' in build
    assert "cpu|cuda)" in build  # any other variant fails the build


def test_build_context_is_exactly_what_the_dockerfile_copies():
    ignore = [line.strip() for line in (REPO / ".dockerignore").read_text().splitlines()
              if line.strip() and not line.startswith("#")]
    assert ignore[0] == "*"  # start from nothing ...
    included = {line[1:].rstrip("/") for line in ignore if line.startswith("!")}
    assert included == _copied_sources()  # ... and let in only what is copied
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text())
    packages = {p.rstrip("*") for p in pyproject["tool"]["setuptools"]["packages"]["find"]["include"]}
    assert packages | {"pyproject.toml", pyproject["project"]["readme"]} == included


def test_the_copied_context_alone_builds_a_wheel_with_models_and_schemas(tmp_path):
    context = tmp_path / "context"
    context.mkdir()
    for source in _copied_sources():
        src = REPO / source
        if src.is_dir():
            shutil.copytree(src, context / source, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            shutil.copy2(src, context / source)
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                    "-w", str(tmp_path / "dist"), str(context)], check=True, capture_output=True)
    (wheel,) = (tmp_path / "dist").glob("guardstream-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    assert {"classifiers/weights/heads.json", "classifiers/weights/heads.npz", "schemas/event.v1.schema.json",
            "schemas/elasticsearch/verdicts.json", "pipeline/cli.py", "pipeline/metrics.py",
            "alerts/__init__.py"} <= names
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    assert "guardstream = pipeline.cli:main" in zipfile.ZipFile(wheel).read(entry_points).decode()
