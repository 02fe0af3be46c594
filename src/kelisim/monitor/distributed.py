"""The Dask distributed engine of the Watch: archive re-scoring and feed polling as tasks.

A run connects to a scheduler (``tcp://host:8786``) or starts a ``LocalCluster`` of
single-threaded worker processes. The :class:`WatchModels` worker plugin loads the lexicons and
the model once in each worker process when it starts (and again in a worker that replaces a dead
one); tasks carry only the part to read and the model folder's path, never the model. One task
per dataset part (:func:`kelisim.monitor.archive.rescore_part`) or per feed
(:func:`kelisim.monitor.feeds.poll_feed`); the scheduler re-runs the tasks of a worker that dies,
and their writes are idempotent (files named by the part, store rows keyed by ``doc_id``).
Dask: https://distributed.dask.org (``Client``, ``LocalCluster``, ``WorkerPlugin``).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pandas as pd
from distributed import Client, LocalCluster, WorkerPlugin, as_completed

from kelisim.errors import ArgumentError
from kelisim.monitor.archive import Part, merge_part_results, rescore_part
from kelisim.monitor.feeds import PollResult, poll_feed
from kelisim.store.monitor_scale import FeedState


class WatchModels(WorkerPlugin):
    """Loads the lexicons and (with ``model_dir``) the model once per worker process; later
    tasks find them in the process's caches (``load_lexicon``, ``load_models``)."""

    name = "kelisim-watch-models"

    def __init__(self, model_dir: str | None = None) -> None:
        self.model_dir = model_dir

    def setup(self, worker) -> None:
        from kelisim.monitor.classify import load_models
        from kelisim.monitor.extract import lexicon_version, load_lexicon

        load_lexicon()
        lexicon_version()
        if self.model_dir:
            load_models(self.model_dir)


@contextmanager
def dask_client(scheduler: str | None = None, workers: int | None = None) -> Iterator[Client]:
    """A client of the scheduler at ``scheduler``, or of a new local cluster of ``workers``
    single-threaded processes (default: one per core), closed on exit."""
    if scheduler is not None:
        try:
            client = Client(scheduler, timeout="10s")
        except (OSError, TimeoutError) as error:
            raise ArgumentError(
                "scheduler", f"cannot reach a Dask scheduler at {scheduler} ({error})"
            ) from error
        try:
            yield client
        finally:
            client.close()
        return
    cluster = LocalCluster(
        n_workers=workers or os.cpu_count() or 1,
        threads_per_worker=1,
        processes=True,
        dashboard_address=":0",  # a free port: several clusters may run on one machine
        silence_logs=logging.CRITICAL,
    )
    client = Client(cluster)
    try:
        yield client
    finally:
        client.close()
        cluster.close()


def rescore_on_dask(
    client: Client,
    parts: list[Part],
    out_dir: Path,
    text_column: str = "text",
    model_dir: str | None = None,
    progress: Callable[[int], None] | None = None,
) -> tuple[int, pd.DataFrame]:
    """Re-score every part as a task; returns the dataset's row count and daily counts (each
    part's result taken once, whichever worker finished it)."""
    client.register_plugin(WatchModels(model_dir))
    futures = client.map(
        rescore_part,
        parts,
        out_dir=str(out_dir),
        text_column=text_column,
        model_dir=model_dir,
        key=[f"kelisim-rescore-{part.key}" for part in parts],
    )
    results = []
    for future in as_completed(futures):
        results.append(future.result())
        future.release()
        if progress is not None:
            progress(1)
    return merge_part_results(results)


def poll_on_dask(
    client: Client, states: list[FeedState], model_dir: str | None = None
) -> Iterator[PollResult]:
    """Poll every feed as a task; yields each feed's result as soon as it is ready."""
    client.register_plugin(WatchModels(model_dir))
    futures = client.map(poll_feed, states, model_dir=model_dir, pure=False)
    for future in as_completed(futures):
        yield future.result()
        future.release()
