"""What only the SQLite file promises: durability settings, a SIGKILL after the acknowledgement loses nothing,
and several worker processes writing one file at once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

from acp.store import MIGRATIONS, open_store

ROOT = Path(__file__).resolve().parents[1]
PROCESS_TIMEOUT_SECONDS = 60


def _python(code: str, *args: str) -> list[str]:
    return [sys.executable, "-c", textwrap.dedent(code), *args]


def test_file_store_runs_wal_with_full_sync_and_a_busy_timeout(tmp_path: Path) -> None:
    store = open_store(str(tmp_path / "state.db"))
    with store._transaction(write=False) as cursor:
        assert cursor.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert cursor.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
        assert cursor.execute("PRAGMA busy_timeout").fetchone()[0] >= 1000
    store.close()


CRASHING_WRITER = """
    import os, sys, time
    from acp.store import MIGRATIONS, open_store
    store = open_store(sys.argv[1])
    store.record(system="shop", request_id="acked-1", cmd="DEFINE_SLOS", request_hash="sha256:r",
                 request={"service": "api"}, response={"status": "SLO_SPECIFICATION", "service": "api", "v": 1})
    print("acked", flush=True)
    time.sleep(60)  # killed here: no close(), no checkpoint, no clean exit
"""


def test_sigkill_right_after_the_acknowledgement_loses_nothing(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    writer = subprocess.Popen(_python(CRASHING_WRITER, str(path)), cwd=ROOT, stdout=subprocess.PIPE, text=True,
                              env={**os.environ, "PYTHONPATH": str(ROOT)})
    try:
        assert writer.stdout.readline().strip() == "acked"
        writer.send_signal(signal.SIGKILL)
        writer.wait(PROCESS_TIMEOUT_SECONDS)
    finally:
        if writer.poll() is None:
            writer.kill()
    assert writer.returncode == -signal.SIGKILL
    assert (tmp_path / "state.db-wal").exists()  # the commit sits in the WAL, not yet checkpointed
    reopened = open_store(str(path))
    answer = reopened.lookup("acked-1")
    assert answer is not None and answer.response["v"] == 1
    assert reopened.state("shop")["slos"] == {"api": {"service": "api", "v": 1}}
    reopened.close()


CONCURRENT_WRITER = """
    import sys
    from acp.store import MIGRATIONS, open_store
    store = open_store(sys.argv[1])
    worker = sys.argv[2]
    for n in range(int(sys.argv[3])):
        store.record(system="shop", request_id=f"w{worker}-{n}", cmd="DEFINE_SLOS", request_hash="sha256:r",
                     request={"service": f"svc-{n}"}, response={"status": "SLO_SPECIFICATION", "by": worker, "n": n})
    store.close()
"""


def test_several_processes_write_one_file_without_losing_a_record(tmp_path: Path) -> None:
    path, workers, each = tmp_path / "state.db", 4, 30
    open_store(str(path)).close()  # migrate once; the workers race on writes, which is what is under test
    processes = [subprocess.Popen(_python(CONCURRENT_WRITER, str(path), str(w), str(each)), cwd=ROOT,
                                  env={**os.environ, "PYTHONPATH": str(ROOT)}, stderr=subprocess.PIPE, text=True)
                 for w in range(workers)]
    for process in processes:
        _, errors = process.communicate(timeout=PROCESS_TIMEOUT_SECONDS)
        assert process.returncode == 0, errors
    store = open_store(str(path))
    assert len(store.log()) == workers * each
    assert all(store.lookup(f"w{w}-{n}") is not None for w in range(workers) for n in range(each))
    assert sorted(store.state("shop")["slos"]) == sorted(f"svc-{n}" for n in range(each))
    store.close()


def test_concurrent_opening_migrates_once(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    code = "import sys; from acp.store import open_store; open_store(sys.argv[1]).close()"
    processes = [subprocess.Popen([sys.executable, "-c", code, str(path)], cwd=ROOT, stderr=subprocess.PIPE,
                                  text=True, env={**os.environ, "PYTHONPATH": str(ROOT)}) for _ in range(4)]
    for process in processes:
        _, errors = process.communicate(timeout=PROCESS_TIMEOUT_SECONDS)
        assert process.returncode == 0, errors
    store = open_store(str(path))
    assert store.schema_versions() == [m.version for m in MIGRATIONS]
    store.close()
