"""Packaging: the wheel carries every knowledge file; an installed wheel finds and validates them.

These tests build a real wheel and install it into a fresh virtual environment (sharing the test
environment's packages, so nothing is downloaded); they are marked slow but run in CI.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

import trafficking_ref
from conftest import REPO_ROOT, subprocess_env
from trafficking_ref.core import vocab
from trafficking_ref.loading.knowledge import builtin_data_dir

DATA = REPO_ROOT / "data"


def _bin(venv: Path, name: str) -> Path:
    folder = "Scripts" if os.name == "nt" else "bin"
    suffix = ".exe" if os.name == "nt" else ""
    return venv / folder / f"{name}{suffix}"


def _run(cmd: list[str | os.PathLike[str]], **kwargs) -> subprocess.CompletedProcess[str]:
    kwargs.setdefault("timeout", 600)
    return subprocess.run([str(c) for c in cmd], capture_output=True, text=True, **kwargs)


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """Build the wheel once for this module (offline when hatchling is already installed)."""
    out = tmp_path_factory.mktemp("wheel")
    cmd: list[str | os.PathLike[str]] = [sys.executable, "-m", "build", "--wheel",
                                         "--outdir", out]
    if importlib.util.find_spec("hatchling") is not None:
        cmd.append("--no-isolation")
    proc = _run([*cmd, REPO_ROOT], cwd=REPO_ROOT)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    wheels = list(out.glob("trafficking_ref-*.whl"))
    assert len(wheels) == 1, wheels
    return wheels[0]


def _site_dirs() -> list[str]:
    """The running environment's package directories (never the checkout's src/)."""
    return [p for p in sys.path
            if p.endswith(("site-packages", "dist-packages")) and Path(p).is_dir()]


@pytest.fixture(scope="module")
def venv(wheel, tmp_path_factory) -> Path:
    """A fresh virtual environment with the wheel installed.

    The dependencies come from the environment running the tests (a ``.pth`` file lists its
    package directories), so nothing is downloaded; this works whether the tests run in a virtual
    environment (as in CI) or not. The checkout itself is never on the new environment's path.
    """
    root = tmp_path_factory.mktemp("venv") / "venv"
    proc = _run([sys.executable, "-m", "venv", root])
    assert proc.returncode == 0, proc.stderr
    python = _bin(root, "python")
    site = _run([python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"])
    assert site.returncode == 0, site.stderr
    Path(site.stdout.strip(), "_host_packages.pth").write_text(
        "\n".join(_site_dirs()) + "\n", encoding="utf-8")
    # --force-reinstall: the host may hold this very version (e.g. an editable install).
    proc = _run([python, "-m", "pip", "install", "--no-index", "--no-deps", "--force-reinstall",
                 "--disable-pip-version-check", "--no-cache-dir", "--quiet", wheel])
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return root


DEPS_CHECK = """
import importlib.metadata as m, re
missing = []
for req in m.requires("trafficking-ref") or []:
    if "extra ==" in req:
        continue
    name = re.split(r"[ ;<>=!~\\[]", req, maxsplit=1)[0]
    try:
        m.version(name)
    except m.PackageNotFoundError:
        missing.append(name)
assert not missing, missing
"""


def _knowledge_env(cache: Path) -> dict[str, str]:
    """Use the package's own built-in data: no replacement, no extra layers."""
    return subprocess_env(cache, builtin=None)


def test_data_dir_holds_the_knowledge_files():
    assert DATA.is_dir()
    for required in ("indicators.yaml", "risk_factors.yaml", "referrals.yaml", "sources.yaml"):
        assert (DATA / required).is_file(), f"data/{required} is missing"
    unknown = {p.name for p in DATA.glob("*.yaml")} - set(vocab.FILES.values())
    assert not unknown, f"files in data/ that the program never reads: {sorted(unknown)}"


@pytest.mark.slow
def test_wheel_contains_every_knowledge_file(wheel):
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        data_files = sorted(DATA.glob("*.yaml"))
        assert data_files
        for path in data_files:
            member = f"trafficking_ref/data/{path.name}"
            assert member in names, f"{member} is not in {wheel.name}"
            assert archive.read(member) == path.read_bytes(), f"{member} differs from data/"
        assert "trafficking_ref/__main__.py" in names
        assert "trafficking_ref/cli/app.py" in names
        entry_points = next(n for n in names if n.endswith(".dist-info/entry_points.txt"))
        text = archive.read(entry_points).decode()
        assert "trafficking-ref = trafficking_ref.cli.entry:main" in text
        # Nothing from a developer's checkout leaks into the wheel.
        assert not [n for n in names if "__pycache__" in n or n.endswith(".pyc")]
        assert not [n for n in names if n.startswith(("tests/", "staging/"))]


@pytest.mark.slow
def test_installed_wheel_validates_its_built_in_data(venv, tmp_path):
    python = _bin(venv, "python")
    where = _run([python, "-c",
                  "import trafficking_ref, trafficking_ref.loading.knowledge as k; "
                  "print(trafficking_ref.__file__); print(k.builtin_data_dir())"],
                 cwd=tmp_path, env=_knowledge_env(tmp_path / "c0"))
    assert where.returncode == 0, where.stderr
    module_file, data_dir = where.stdout.split("\n")[:2]
    assert Path(module_file).resolve().is_relative_to(venv.resolve()), \
        "the venv imported the checkout instead of the installed wheel"
    assert Path(data_dir).resolve().is_relative_to(venv.resolve())
    assert (Path(data_dir) / "indicators.yaml").is_file()
    # Every declared dependency is there (they are not re-downloaded here).
    deps = _run([python, "-c", DEPS_CHECK], cwd=tmp_path)
    assert deps.returncode == 0, deps.stdout + deps.stderr

    repo = _run([sys.executable, "-m", "trafficking_ref", "validate"],
                cwd=REPO_ROOT, env=_knowledge_env(tmp_path / "c1"))
    installed = _run([_bin(venv, "trafficking-ref"), "validate"],
                     cwd=tmp_path, env=_knowledge_env(tmp_path / "c2"))
    assert "Traceback" not in installed.stdout + installed.stderr
    if repo.returncode == 0:
        assert installed.returncode == 0, installed.stdout + installed.stderr
        assert installed.stdout.startswith("OK:")
    else:
        assert installed.returncode == repo.returncode, (
            f"repo: {repo.returncode} {repo.stderr}\nwheel: {installed.returncode} "
            f"{installed.stderr}")


@pytest.mark.slow
def test_installed_wheel_runs_as_a_module(venv, tmp_path):
    proc = _run([_bin(venv, "python"), "-m", "trafficking_ref", "--version"], cwd=tmp_path,
                env=_knowledge_env(tmp_path / "c"))
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == f"trafficking-ref {trafficking_ref.__version__}"


def test_data_files_point_at_their_schema():
    data = DATA
    for file_name in vocab.FILES.values():
        path = data / file_name
        if not path.exists():
            continue
        first = path.read_text(encoding="utf-8").splitlines()[0]
        schema = file_name.replace(".yaml", ".schema.json")
        assert first == f"# yaml-language-server: $schema=../schemas/{schema}", path
        assert (Path(data, "..", "schemas", schema)).resolve().is_file()


def test_checkout_finds_the_data():
    """The editable install (or the checkout on sys.path) reads data/ from the repository."""
    found = builtin_data_dir()
    assert (found / "indicators.yaml").is_file(), found
    package = Path(trafficking_ref.__file__).resolve().parent
    if package.is_relative_to(REPO_ROOT / "src"):
        assert found.resolve() == DATA.resolve()


def test_checkout_command_uses_repo_data(cache_dir, tmp_path):
    """`trafficking-ref` run from anywhere (not just the repo) uses the built-in data."""
    proc = _run([sys.executable, "-c",
                 "from trafficking_ref.loading.knowledge import resolve_layers; "
                 "print(resolve_layers([])[0].path)"],
                cwd=tmp_path, env=_knowledge_env(cache_dir))
    assert proc.returncode == 0, proc.stderr
    assert Path(proc.stdout.strip()).resolve() == builtin_data_dir().resolve()
