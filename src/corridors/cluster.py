"""Scale-out of risk and criticality sweeps on Dask (``dask.distributed``).

Work is cut into chunks (samples for risk, closure cases for criticality). Each chunk is a
pure function of the frozen problem and its index (its random stream comes from
``SeedSequence(seed).spawn``), so any number of workers, any scheduling, and retries after a
worker dies give exactly the in-process result. The problem (CSR snapshot, endpoints,
baseline) is scattered to the workers once, not sent with every task.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from corridors.errors import UsageError

#: How often a chunk may be retried when it fails or its worker dies.
RETRIES = 3


_ADDRESS = re.compile(r"^(?:(tcp|tls|inproc|ucx|ws|wss)://)?([A-Za-z0-9._-]+|\[[0-9A-Fa-f:]+\]):(\d{1,5})$")


def check_scheduler_address(address: str) -> str:
    """Return ``address`` if it is a Dask scheduler address (``tcp://host:port`` or ``host:port``).

    Raises
    ------
    UsageError
        If it is empty, has no port, or the port is out of range.

    """
    m = _ADDRESS.match(address.strip())
    if not m or not 0 < int(m.group(3)) < 65536:
        raise UsageError(f"--scheduler '{address}' is not a scheduler address such as tcp://10.0.0.5:8786")
    return address.strip()


@contextmanager
def connect(workers: int | None = None, scheduler: str | None = None) -> Iterator[Any]:
    """A Dask client: a local cluster of ``workers`` processes, or an existing scheduler.

    Parameters
    ----------
    workers
        Start a ``LocalCluster`` with this many single-threaded worker processes.
    scheduler
        Address of a running scheduler, e.g. ``tcp://10.0.0.5:8786``.

    Yields
    ------
    distributed.Client or None
        None when neither is given (run in this process).

    Raises
    ------
    UsageError
        For both options at once, a non-positive worker count, or an unreachable scheduler.

    """
    if workers is not None and scheduler is not None:
        raise UsageError("give --workers or --scheduler, not both")
    if workers is None and scheduler is None:
        yield None
        return
    if workers is not None and workers < 1:
        raise UsageError(f"--workers must be at least 1, not {workers}")
    if scheduler is not None:
        check_scheduler_address(scheduler)
    from distributed import Client, LocalCluster  # deferred: dask.distributed, only with --workers/--scheduler

    if scheduler is not None:
        try:
            client = Client(scheduler, timeout="10s")
        except (OSError, TimeoutError) as exc:
            raise UsageError(f"cannot reach the Dask scheduler at {scheduler}: {exc}") from None
        try:
            yield client
        finally:
            client.close()
        return
    import dask  # deferred: dask, only with --workers

    # Dask starts workers with MALLOC_TRIM_THRESHOLD_ set, which fixes glibc's mmap threshold:
    # every numpy temporary above 128 KiB is then mapped and faulted in afresh (on this VM a
    # worker ran 1.4x slower alone and two did not scale at all). A cluster started for one
    # command keeps glibc's default instead.
    with dask.config.set({"distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None}):
        cluster = LocalCluster(
            n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=":0", silence_logs=50
        )
    client = Client(cluster)
    try:
        yield client
    finally:
        client.close()
        cluster.close()


#: Tasks per worker thread a sweep is cut into: enough to balance load and survive a lost
#: worker, few enough that scheduling and transfer stay small next to the work.
TASKS_PER_THREAD = 4


def batches(chunks: Sequence[Any], client: Any) -> list[list[Any]]:
    """Group chunks into about :data:`TASKS_PER_THREAD` tasks per worker thread, keeping order."""
    threads = max(1, sum(w.get("nthreads", 1) for w in client.scheduler_info()["workers"].values()))
    size = max(1, -(-len(chunks) // (threads * TASKS_PER_THREAD)))
    return [list(chunks[i : i + size]) for i in range(0, len(chunks), size)]


def map_chunks(
    client: Any,
    fn: Callable[..., Any],
    problem: Any,
    chunks: Sequence[tuple[Any, ...]],
    progress: Callable[[int], None] | None = None,
    weight: Callable[[tuple[Any, ...]], int] | None = None,
) -> list[Any]:
    """Run ``fn(problem, *chunk)`` for every chunk on the cluster; return results in chunk order.

    Parameters
    ----------
    client
        A ``distributed.Client``; None runs the chunks one after another in this process
        (same results, same progress calls).
    fn
        A pure function of ``(problem, *chunk)``.
    problem
        Sent to the workers once (scattered, broadcast).
    chunks
        The arguments of each chunk after the problem.
    progress
        Called with the amount of work done (``weight`` of the completed chunks, default the
        chunk's first item) each time a chunk completes.
    weight
        How much work a chunk is, for ``progress``.

    Returns
    -------
    list
        ``fn``'s results, in the order of ``chunks``.

    Notes
    -----
    A chunk whose worker dies is recomputed elsewhere by the scheduler, and a chunk that
    raises is retried up to :data:`RETRIES` times; since chunks are pure, nothing is lost or
    counted twice. Ctrl-C cancels every outstanding chunk before it propagates.

    """
    size = weight or (lambda chunk: int(chunk[0]))
    if client is None:
        out: list[Any] = []
        done = 0
        for chunk in chunks:
            out.append(fn(problem, *chunk))
            done += size(chunk)
            if progress:
                progress(done)
        return out
    from distributed import as_completed  # deferred: dask.distributed, only with --workers/--scheduler

    [remote] = client.scatter([problem], broadcast=True)
    futures = [client.submit(fn, remote, *chunk, pure=False, retries=RETRIES) for chunk in chunks]
    index = {f.key: i for i, f in enumerate(futures)}
    results: list[Any] = [None] * len(futures)
    done = 0
    try:
        for future in as_completed(futures):
            i = index[future.key]
            results[i] = future.result()
            done += size(chunks[i])
            if progress:
                progress(done)
    except BaseException:
        client.cancel(futures)
        raise
    return results
