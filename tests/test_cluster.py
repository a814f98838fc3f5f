"""Dask scale-out: a real scheduler and worker processes on loopback give the in-process result."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time

import pytest

from conftest import PYTHON, REPO
from corridors import risk
from corridors.cluster import connect
from corridors.errors import UsageError

distributed = pytest.importorskip("distributed")

FLOWS = [
    risk.Flow("Uzcity", "Pkport", "general", 1000.0),
    risk.Flow("Uzcity", "Afcity", "bulk", 400.0),
    risk.Flow("Afcity", "Pkport", "perishable", 50.0),
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
    local = risk.criticality(toy_net, FLOWS, edges=True)
    remote = risk.criticality(toy_net, FLOWS, edges=True, client=client)
    assert [r.to_dict() for r in remote] == [r.to_dict() for r in local]


def test_a_worker_killed_mid_run_changes_nothing(toy_net):
    samples = 40 * risk.CHUNK
    local = risk.simulate(toy_net, "Uzcity", "Pkport", samples=samples, seed=21)
    cluster = distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0", silence_logs=50
    )
    c = distributed.Client(cluster)
    try:
        pids = c.run(os.getpid)
        victim = sorted(pids.values())[0]
        killed = []

        def progress(done: int) -> None:
            if not killed:
                os.kill(victim, signal.SIGKILL)
                killed.append(done)

        remote = risk.simulate(toy_net, "Uzcity", "Pkport", samples=samples, seed=21, client=c, progress=progress)
        assert killed and killed[0] < samples  # the kill happened while chunks were outstanding
        assert victim not in c.run(os.getpid).values()
        assert remote.to_dict() == local.to_dict()
        assert remote.samples == samples  # no sample lost or counted twice
    finally:
        c.close()
        cluster.close()


def test_connect_errors():
    with pytest.raises(UsageError, match="not both"), connect(2, "tcp://127.0.0.1:1"):
        pass
    with pytest.raises(UsageError, match="cannot reach the Dask scheduler"), connect(None, "tcp://127.0.0.1:1"):
        pass
    with connect(None, None) as c:
        assert c is None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_cli_on_dask_scheduler_and_worker_processes(toy_dir):
    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    bindir = os.path.dirname(sys.executable)
    dask = os.path.join(bindir, "dask") if os.path.exists(os.path.join(bindir, "dask")) else "dask"
    procs = [subprocess.Popen([dask, "scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)]  # fmt: skip
    try:
        for _ in range(2):
            procs.append(subprocess.Popen([dask, "worker", address, "--nthreads", "1", "--no-dashboard", "--host", "127.0.0.1"],
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
        time.sleep(0.2)
