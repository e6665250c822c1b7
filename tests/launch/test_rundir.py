import json
import os
import signal
import subprocess
import sys
import textwrap

import pytest

from plansight.launch.rundir import make_run_dir, write_atomic, write_json


def test_run_dirs_never_clash(tmp_path):
    a = make_run_dir(tmp_path, "m", now=0)
    b = make_run_dir(tmp_path, "m", now=0)
    assert a != b and a.is_dir() and b.is_dir()


def test_failed_write_keeps_the_previous_file(tmp_path):
    p = tmp_path / "metrics.json"
    write_json(p, {"v": 1})

    def boom(f):
        f.write('{"v": 2, "half')
        raise OSError("disk full")

    with pytest.raises(OSError):
        write_atomic(p, boom)
    assert json.loads(p.read_text()) == {"v": 1}
    assert list(tmp_path.iterdir()) == [p]


def test_killed_writer_keeps_the_previous_file(tmp_path):
    p = tmp_path / "metrics.json"
    write_json(p, {"v": 1})
    code = textwrap.dedent(f"""
        import os, sys
        from plansight.launch.rundir import write_atomic
        def slow(f):
            f.write('{{"v": 2, ')
            f.flush()
            print("writing", flush=True)
            sys.stdin.readline()  # block until killed
        write_atomic({str(p)!r}, slow)
    """)
    proc = subprocess.Popen([sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "writing"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert json.loads(p.read_text()) == {"v": 1}
