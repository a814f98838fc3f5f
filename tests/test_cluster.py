"""Dask scale-out: a real scheduler and worker processes on loopback give the in-process result."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time

import numpy as np
import pytest

from conftest import PYTHON, REPO
from corridors import criticality, risk
from corridors.cluster import connect
from corridors.demand import Flow
from corridors.errors import UsageError

distributed = pytest.importorskip("distributed")

FLOWS = [
    Flow("Uzcity", "Pkport", "general", 1000.0),
    Flow("Uzcity", "Afcity", "bulk", 400.0),
    Flow("Afcity", "Pkport", "perishable", 50.0),
]


@pytest.fixture(scope="module")
def client():
    cluster = distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0", silence_logs=50
    )
    c = distributed.Client(cluster)
    yield c
    c.close()
    cluster.close()


def test_risk_identical_on_two_workers(toy_net, client):
    samples = 5 * risk.CHUNK + 123
    local = risk.simulate(toy_net, "Uzcity", "Pkport", samples=samples, seed=9, wait=True)
    remote = risk.simulate(toy_net, "Uzcity", "Pkport", samples=samples, seed=9, wait=True, client=client)
    assert remote.to_dict() == local.to_dict()
    assert len(client.scheduler_info()["workers"]) == 2


def test_criticality_identical_on_two_workers(toy_net, client):
    local = criticality.criticality(toy_net, FLOWS, edges=True)
    remote = criticality.criticality(toy_net, FLOWS, edges=True, client=client)
    assert [r.to_dict() for r in remote] == [r.to_dict() for r in local]


def test_risk_with_rarely_repeating_states_identical_on_two_workers(shipped_net, client):
    """States that rarely repeat (every crossing closing half the time): the compact tallies of
    the workers merge to the in-process tally, state by state."""
    from corridors.scenarios import Scenario

    values = {f"crossing.{c}.closure_prob": 0.5 for c in shipped_net.data.crossings}
    net = shipped_net.with_scenarios([Scenario("every", set_values=values)])
    for wait in (False, True):
        local = risk.simulate(net, "Termez", "Karachi", samples=3 * risk.CHUNK + 7, seed=4, wait=wait)
        remote = risk.simulate(net, "Termez", "Karachi", samples=3 * risk.CHUNK + 7, seed=4, wait=wait, client=client)
        assert remote.to_dict() == local.to_dict()
        assert local.distinct_states > 0.9 * local.samples
        for k in ("words", "counts", "route", "committed"):
            np.testing.assert_array_equal(getattr(remote.tally, k), getattr(local.tally, k))
        np.testing.assert_array_equal(remote.tally.flexible, local.tally.flexible)
        assert remote.tally.routes == local.tally.routes


def test_criticality_edges_on_the_shipped_data_identical_on_two_workers(shipped_net, client):
    from corridors.demand import default_od_path, load_flows

    flows = load_flows(default_od_path(shipped_net.data.directory))
    local = criticality.criticality(shipped_net, flows, edges=True)
    remote = criticality.criticality(shipped_net, flows, edges=True, client=client)
    full = criticality.criticality(shipped_net, flows, edges=True, skip_untouched=False)
    assert [r.to_dict() for r in remote] == [r.to_dict() for r in local] == [r.to_dict() for r in full]


def _was_recomputed(log: list[tuple[str, str, str, str]], key: str) -> bool:
    """Whether the scheduler's transition log shows ``key`` taken back from a lost worker and run again.

    ``log`` holds ``(key, start, finish, stimulus_id)``: after a transition out of processing or
    memory caused by the worker's cleanup, the key must go to processing again and finish in memory.
    """
    mine = [(start, finish, stimulus) for k, start, finish, stimulus in log if k == key]
    lost = [
        i
        for i, (start, _, stimulus) in enumerate(mine)
        if stimulus.startswith("handle-worker-cleanup") and start in ("processing", "memory")
    ]
    if not lost:
        return False
    after = [(start, finish) for start, finish, _ in mine[lost[0] + 1 :]]
    rerun = [i for i, (_, finish) in enumerate(after) if finish == "processing"]
    return bool(rerun) and ("processing", "memory") in after[rerun[0] :]


def test_a_worker_killed_mid_run_changes_nothing(toy_net):
    """Kill a worker while it runs a chunk: the scheduler's log shows the chunk run again, the
    answer is bit for bit the in-process one."""
    samples = 40 * risk.CHUNK
    local = risk.simulate(toy_net, "Uzcity", "Pkport", samples=samples, seed=21)
    cluster = distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0", silence_logs=50, scheduler_port=0
    )
    c = distributed.Client(cluster)
    try:
        pids = c.run(os.getpid)
        killed: dict[str, list[str]] = {}

        def executing(dask_worker) -> list[str]:
            """Keys this worker is running now (run on each worker by ``Client.run``)."""
            return sorted(str(k) for k, ts in dask_worker.state.tasks.items() if ts.state == "executing")

        def progress(done: int) -> None:
            if killed:
                return
            # after the first chunk is back: kill a worker that is executing a chunk right now
            running = {a: keys for a, keys in c.run(executing).items() if any("run_chunks" in k for k in keys)}
            if not running:
                return  # between chunks: try again when the next one is back
            victim = sorted(running)[0]
            os.kill(pids[victim], signal.SIGKILL)
            killed[victim] = running[victim]

        remote = risk.simulate(toy_net, "Uzcity", "Pkport", samples=samples, seed=21, client=c, progress=progress)
        assert killed, "no worker was executing a chunk whenever one came back, so nothing was killed"
        [(victim, keys)] = killed.items()
        assert pids[victim] not in c.run(os.getpid).values()
        # Scheduler.transition_log rows: (key, start, finish, recommendations, stimulus_id, timestamp)
        log = c.run_on_scheduler(
            lambda dask_scheduler: [(str(t[0]), t[1], t[2], t[4]) for t in dask_scheduler.transition_log]
        )
        for key in keys:
            assert _was_recomputed(log, key), f"the scheduler's log does not show {key} run again"
        # and the answer is the in-process one, bit for bit
        assert remote.to_dict() == local.to_dict()
        assert remote.samples == samples  # no sample lost or counted twice
        assert remote.outcomes == local.outcomes
        for name, values in local.distribution.items():
            np.testing.assert_array_equal(remote.distribution[name], values)
    finally:
        c.close()
        cluster.close()


def test_the_recompute_check_needs_a_lost_worker():
    """:func:`_was_recomputed` on hand-written logs: a plain run is not a re-run."""
    plain = [("k", "released", "waiting", "update-graph-1"), ("k", "waiting", "processing", "update-graph-1"),
             ("k", "processing", "memory", "task-finished-2")]  # fmt: skip
    lost = [
        ("k", "processing", "released", "handle-worker-cleanup-3"),
        ("k", "released", "waiting", "handle-worker-cleanup-3"),
    ]
    again = [("k", "waiting", "processing", "task-finished-4"), ("k", "processing", "memory", "task-finished-5")]
    assert not _was_recomputed(plain, "k")
    assert not _was_recomputed(plain[:2] + lost, "k")  # taken back but never finished
    assert _was_recomputed(plain[:2] + lost + again, "k")
    assert not _was_recomputed(plain[:2] + lost + again, "other")


def test_connect_errors():
    with pytest.raises(UsageError, match="not both"), connect(2, "tcp://127.0.0.1:1"):
        pass
    with pytest.raises(UsageError, match="cannot reach the Dask scheduler"), connect(None, "tcp://127.0.0.1:1"):
        pass
    with connect(None, None) as c:
        assert c is None


def wait_until(condition, timeout: float, what: str, interval: float = 0.05):
    """Poll ``condition`` every ``interval`` s until it returns a true value (returned), or fail
    naming ``what`` once ``timeout`` s have passed."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"gave up after {timeout:g} s waiting for {what}")
        time.sleep(interval)


def _scheduler_address(path, proc) -> str | None:
    """The address a ``dask scheduler --scheduler-file`` wrote, once the file is complete."""
    if proc.poll() is not None:
        pytest.fail(f"dask scheduler exited with code {proc.returncode}")
    try:
        return json.loads(path.read_text(encoding="utf-8"))["address"]
    except (OSError, ValueError, KeyError):
        return None


def _accepts(address: str) -> bool:
    """Whether something listens at ``tcp://host:port``."""
    host, port = address.removeprefix("tcp://").rsplit(":", 1)
    try:
        socket.create_connection((host, int(port)), timeout=1).close()
    except OSError:
        return False
    return True


def test_cli_on_dask_scheduler_and_worker_processes(toy_dir, tmp_path):
    bindir = os.path.dirname(sys.executable)
    dask = os.path.join(bindir, "dask") if os.path.exists(os.path.join(bindir, "dask")) else "dask"
    # port 0: the OS picks a free port when the scheduler binds, and the file says which
    scheduler_file = tmp_path / "scheduler.json"
    procs = [subprocess.Popen([dask, "scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard",
                               "--scheduler-file", str(scheduler_file)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)]  # fmt: skip
    address = None
    try:
        address = wait_until(lambda: _scheduler_address(scheduler_file, procs[0]), 60, "the scheduler file")
        assert not address.endswith(":0")
        for _ in range(2):
            procs.append(subprocess.Popen([dask, "worker", "--scheduler-file", str(scheduler_file), "--nthreads", "1",
                                           "--no-nanny", "--no-dashboard", "--host", "127.0.0.1"],
                                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))  # fmt: skip
        with distributed.Client(address, timeout="30s") as c:
            c.wait_for_workers(2, timeout=60)
        od = toy_dir / "od.csv"
        od.write_text("origin,destination,cargo,tonnes_per_year\nUZCITY,PKPORT,general,1000\nUZCITY,AFCITY,bulk,500\n")
        risk_args = ("risk", "Uzcity", "Pkport", "--samples", "25000", "--seed", "3", "--wait")
        for args in (risk_args, ("criticality", "--od", str(od), "--edges")):
            base = [PYTHON, "-m", "corridors", *args, "--geodata", str(toy_dir), "--json"]
            here = subprocess.run(base, capture_output=True, text=True, cwd=REPO, timeout=120)
            there = subprocess.run(
                [*base, "--scheduler", address], capture_output=True, text=True, cwd=REPO, timeout=300
            )
            assert here.returncode == 0 and there.returncode == 0, there.stderr
            assert json.loads(there.stdout) == json.loads(here.stdout)
            if args is risk_args:
                # and on a LocalCluster started by --workers
                local = subprocess.run([*base, "--workers", "2"], capture_output=True, text=True, cwd=REPO, timeout=300)
                assert local.returncode == 0, local.stderr
                assert json.loads(local.stdout) == json.loads(here.stdout)
        # the work really ran on the cluster
        with distributed.Client(address, timeout="30s") as c:
            prefixes = c.run_on_scheduler(lambda dask_scheduler: sorted(dask_scheduler.task_prefixes))
        assert "run_chunks" in prefixes and "case_damage" in prefixes
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait(timeout=20)
        assert all(p.returncode is not None for p in procs)
        if address is not None:
            wait_until(lambda: not _accepts(address), 20, f"the scheduler at {address} to stop listening")
