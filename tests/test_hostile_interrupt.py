"""Interruption and failing disks: Ctrl-C exits 130 with one line, a full or unwritable output
location exits 1 with one clear message, and neither ever leaves a partial file behind.
"""

from __future__ import annotations

import errno
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
import typer

from conftest import MINI_KB, subprocess_env
from trafficking_ref.cli import output
from trafficking_ref.io import files
from trafficking_ref.io.files import write_bytes_atomic

INTERRUPTED = "trafficking-ref: interrupted"


def leftovers(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir() if p.name.endswith(".part"))


# --- write_bytes_atomic ---------------------------------------------------------------------------


def _fsync_raising(exc: BaseException):
    real = os.fsync

    def fsync(fd: int) -> None:
        real(fd)  # the whole temporary file is written by now
        raise exc

    return fsync


@pytest.mark.parametrize("exc", [KeyboardInterrupt(), OSError(errno.ENOSPC, "No space left")])
@pytest.mark.parametrize("overwrite", [False, True])
def test_atomic_write_leaves_nothing_behind_when_interrupted(tmp_path, monkeypatch, exc,
                                                             overwrite):
    target = tmp_path / "out.md"
    if overwrite:
        target.write_bytes(b"old content")
    monkeypatch.setattr(os, "fsync", _fsync_raising(exc))
    with pytest.raises(type(exc)):
        write_bytes_atomic(target, b"new content " * 10_000, overwrite=overwrite)
    assert leftovers(tmp_path) == []
    if overwrite:
        assert target.read_bytes() == b"old content"
    else:
        assert not target.exists()


# --- run(): Ctrl-C anywhere is exit 130 and one line ----------------------------------------------


@pytest.fixture
def entry_point(monkeypatch, cache_dir, capsys):
    """Call the console-script entry point in-process: ``entry_point(args) -> (code, err)``."""
    from trafficking_ref.cli.app import run

    monkeypatch.setenv("TRAFFICKING_REF_BUILTIN_DIR", str(MINI_KB))
    monkeypatch.setenv("TRAFFICKING_REF_CACHE_DIR", str(cache_dir))
    monkeypatch.delenv("TRAFFICKING_REF_DATA_DIR", raising=False)
    monkeypatch.setenv("NO_COLOR", "1")

    def call(args: list[str]) -> tuple[int, str]:
        monkeypatch.setattr(sys, "argv", ["trafficking-ref", *args])
        output._out = output._err = None
        capsys.readouterr()
        with pytest.raises(SystemExit) as exit_info:
            run()
        output._out = output._err = None
        return exit_info.value.code, capsys.readouterr().err

    return call


def test_run_turns_ctrl_c_into_exit_130_and_one_line(entry_point, monkeypatch):
    from trafficking_ref.cli.app import State

    def interrupted(cls):
        raise KeyboardInterrupt

    monkeypatch.setattr(State, "store", classmethod(interrupted))
    code, err = entry_point(["stats"])
    assert code == 130
    assert err.splitlines() == [INTERRUPTED]


def test_run_says_interrupted_once_when_a_command_already_did(entry_point, monkeypatch):
    from trafficking_ref.cli.app import State

    def interrupted(cls):
        output.interrupted()
        raise typer.Exit(output.EXIT_INTERRUPTED)

    monkeypatch.setattr(State, "store", classmethod(interrupted))
    code, err = entry_point(["stats"])
    assert code == 130
    assert err.splitlines() == [INTERRUPTED]
    code, err = entry_point(["stats"])  # and again in a later invocation
    assert err.splitlines() == [INTERRUPTED]


def test_run_leaves_other_exits_alone(entry_point):
    assert entry_point(["show", "someone-else-holds-id"])[0] in (0, None)
    code, err = entry_point(["show", "no-such-entry"])
    assert code == 1
    assert INTERRUPTED not in err


# --- Ctrl-C in a real process ---------------------------------------------------------------------

HELPER = textwrap.dedent("""\
    import os, signal, sys, time

    signal.signal(signal.SIGINT, signal.default_int_handler)
    mode = os.environ["HOSTILE_MODE"]
    if mode == "fsync":  # Ctrl-C arrives once the temporary file is complete
        real = os.fsync

        def fsync(fd):
            real(fd)
            os.kill(os.getpid(), signal.SIGINT)
            time.sleep(30)

        os.fsync = fsync
    elif mode == "render":  # Ctrl-C arrives from outside while the sheet is being made
        import trafficking_ref.render.markdown as markdown

        def slow(sheet):
            sys.stderr.write("READY\\n")
            sys.stderr.flush()
            time.sleep(30)

        markdown.checklist_markdown = slow

    from trafficking_ref.cli.app import run

    sys.argv[0] = "trafficking-ref"
    run()
""")

COMMANDS = {
    "export-checklist": ["export", "checklist", "-s", "school", "-F", "md", "-o", "{out}"],
    "export-card": ["export", "card", "-s", "school", "-F", "html", "-o", "{out}"],
    "export-indicators": ["export", "indicators", "-F", "csv", "-o", "{out}"],
    "checklist-save": ["checklist", "--answers", "{answers}", "--save", "{out}"],
}


def _spawn(tmp_path: Path, cache_dir: Path, mode: str, command: str, force: bool):
    helper = tmp_path / "helper.py"
    helper.write_text(HELPER, encoding="utf-8")
    answers = tmp_path / "answers.yaml"
    answers.write_text("setting: school\nobserved: [someone-else-holds-id]\n", encoding="utf-8")
    out_dir = tmp_path / "out"
    out_dir.mkdir(exist_ok=True)
    out = out_dir / ("result.md" if command == "checklist-save" else "result.out")
    if force:
        out.write_text("the old file", encoding="utf-8")
    args = [a.format(out=out, answers=answers) for a in COMMANDS[command]]
    if force:
        args.append("--force")
    env = subprocess_env(cache_dir, HOSTILE_MODE=mode)
    proc = subprocess.Popen([sys.executable, str(helper), *args], cwd=tmp_path, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    return proc, out


def _check_interrupted(returncode: int, stderr: str, out: Path, force: bool) -> None:
    assert "Traceback" not in stderr
    assert returncode == 130, stderr
    assert [line for line in stderr.splitlines() if line != "READY"] == [INTERRUPTED]
    assert leftovers(out.parent) == []
    if force:
        assert out.read_text(encoding="utf-8") == "the old file"
    else:
        assert not out.exists()


@pytest.mark.parametrize("force", [False, True], ids=["new", "force"])
@pytest.mark.parametrize("command", list(COMMANDS))
def test_ctrl_c_while_writing_leaves_no_partial_file(tmp_path, cache_dir, command, force):
    proc, out = _spawn(tmp_path, cache_dir, "fsync", command, force)
    _stdout, stderr = proc.communicate(timeout=60)
    _check_interrupted(proc.returncode, stderr, out, force)


def test_ctrl_c_from_outside_during_an_export(tmp_path, cache_dir):
    proc, out = _spawn(tmp_path, cache_dir, "render", "export-checklist", False)
    assert proc.stderr is not None
    deadline = time.monotonic() + 60
    line = proc.stderr.readline()
    assert line == "READY\n", line + proc.stderr.read()
    assert time.monotonic() < deadline
    proc.send_signal(signal.SIGINT)
    _stdout, stderr = proc.communicate(timeout=60)
    _check_interrupted(proc.returncode, stderr, out, False)


# --- a full disk ----------------------------------------------------------------------------------


class _FullDisk:
    """A file handle that writes half of what it is given, then finds the disk full."""

    def __init__(self, handle):
        self._handle = handle

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self._handle.close()

    def write(self, data):
        self._handle.write(data[: len(data) // 2])
        self._handle.flush()
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    def __getattr__(self, name):
        return getattr(self._handle, name)


def _no_space(*_args, **_kwargs):
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


def _inject_full_disk(monkeypatch, where: str) -> None:
    if where == "write":
        real_fdopen = os.fdopen
        monkeypatch.setattr(os, "fdopen", lambda *a, **k: _FullDisk(real_fdopen(*a, **k)))
    else:
        monkeypatch.setattr(os, where, _no_space)


WRITERS = {
    "export-checklist": ["export", "checklist", "-s", "school", "-F", "md", "-o", "{out}"],
    "export-card-pdf": ["export", "card", "-s", "school", "-F", "pdf", "-o", "{out}"],
    "export-referrals": ["export", "referrals", "-F", "json", "-o", "{out}"],
    "checklist-save": ["checklist", "--answers", "{answers}", "--save", "{out}"],
}


def _writer_args(tmp_path: Path, command: str) -> tuple[list[str], Path]:
    answers = tmp_path / "answers.yaml"
    answers.write_text("setting: school\nobserved: [someone-else-holds-id]\n", encoding="utf-8")
    out_dir = tmp_path / "out"
    out_dir.mkdir(exist_ok=True)
    out = out_dir / ("result.json" if command == "checklist-save" else "result.out")
    return [a.format(out=out, answers=answers) for a in WRITERS[command]], out


@pytest.mark.parametrize("where", ["write", "fsync", "link"])
@pytest.mark.parametrize("command", list(WRITERS))
def test_full_disk_is_a_clear_error_and_leaves_nothing(run, tmp_path, monkeypatch, command,
                                                      where):
    args, out = _writer_args(tmp_path, command)
    assert run(["stats"]).exit_code == 0  # the cache is built before the disk fills
    _inject_full_disk(monkeypatch, where)
    result = run(args)
    assert "Traceback" not in result.output
    assert result.exit_code == 1, result.output
    lines = result.stderr.strip().splitlines()
    assert lines == [f"trafficking-ref: error: cannot write {out}: No space left on device"]
    assert sorted(out.parent.iterdir()) == []


def test_full_disk_while_replacing_keeps_the_old_file(run, tmp_path, monkeypatch):
    args, out = _writer_args(tmp_path, "export-checklist")
    out.write_text("the old file", encoding="utf-8")
    assert run(["stats"]).exit_code == 0
    _inject_full_disk(monkeypatch, "replace")
    result = run([*args, "--force"])
    assert result.exit_code == 1
    assert result.stderr.startswith("trafficking-ref: error: cannot write ")
    assert out.read_text(encoding="utf-8") == "the old file"
    assert leftovers(out.parent) == []


def test_full_disk_for_schemas_is_a_clear_error(run, tmp_path, monkeypatch):
    _inject_full_disk(monkeypatch, "fsync")
    result = run(["schema", "--output", tmp_path / "schemas"])
    assert result.exit_code == 1
    assert "No space left on device" in result.stderr
    assert leftovers(tmp_path / "schemas") == []


# --- an unwritable output location ----------------------------------------------------------------


@pytest.mark.parametrize("command", list(WRITERS))
def test_unwritable_directory_is_a_clear_error(run, tmp_path, monkeypatch, command):
    args, out = _writer_args(tmp_path, command)
    assert run(["stats"]).exit_code == 0

    def refused(*_args, **_kwargs):
        raise PermissionError(errno.EACCES, os.strerror(errno.EACCES))

    monkeypatch.setattr(files.tempfile, "mkstemp", refused)
    result = run(args)
    assert "Traceback" not in result.output
    assert result.exit_code == 1
    assert result.stderr.strip().splitlines() == [
        f"trafficking-ref: error: cannot write {out}: Permission denied"]
    assert sorted(out.parent.iterdir()) == []


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0,
                    reason="root writes into read-only directories")
@pytest.mark.parametrize("command", list(WRITERS))
def test_read_only_directory_is_a_clear_error(run, tmp_path, command):
    args, out = _writer_args(tmp_path, command)
    out.parent.chmod(0o500)
    try:
        result = run(args)
    finally:
        out.parent.chmod(0o700)
    assert result.exit_code == 1
    assert result.stderr.startswith(f"trafficking-ref: error: cannot write {out}:")
    assert sorted(out.parent.iterdir()) == []


def test_read_only_system_location_is_a_clear_error(run):
    target = Path("/sys/trafficking-ref-test.md")
    if not Path("/sys").is_dir():
        pytest.skip("no /sys here (sysfs refuses new files, even to root)")
    result = run(["export", "checklist", "-s", "school", "-o", target])
    assert "Traceback" not in result.output
    assert result.exit_code == 1
    assert result.stderr.startswith(f"trafficking-ref: error: cannot write {target}:")
    assert not target.exists()


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full (Linux)")
@pytest.mark.parametrize("args", [
    ["search", "passport"], ["search", "passport", "--json"], ["show", "homelessness"],
    ["referrals"], ["stats"], ["export", "checklist", "-s", "school"],
])
def test_stdout_on_a_full_disk_is_one_line_and_exit_1(cache_dir, args):
    with open("/dev/full", "w") as full:
        done = subprocess.run([sys.executable, "-m", "trafficking_ref", *args], stdout=full,
                              stderr=subprocess.PIPE, text=True, timeout=60,
                              env=subprocess_env(cache_dir))
    assert done.returncode == 1
    assert done.stderr == "trafficking-ref: error: cannot write the output: No space left on " \
        "device\n"


def test_an_os_error_about_a_file_names_the_file_not_the_output(entry_point, tmp_path):
    long_name = tmp_path / ("x" * 300)
    code, err = entry_point(["--data-dir", str(long_name), "validate"])
    assert code == 1
    assert err.startswith("trafficking-ref: error: File name too long: ")
    assert "cannot write the output" not in err
    assert len(err.strip().splitlines()) == 1
