"""The pipeline flow on a Dask cluster, as a deployment entrypoint for a work pool.

``pledgeflow run --runner dask`` picks the runner at the command line; a deployment names
its flow object instead, so this module offers one bound to Dask. The scheduler address
comes from ``PLEDGEFLOW_DASK_ADDRESS`` (a LocalCluster of one process per core when unset),
read when the worker imports this module. Deploy it with ``isolate: false``: each Dask
worker process is already the isolation a document needs (docs/scaling.md).
"""

from __future__ import annotations

import os

from pledgeflow.flows.pipeline import pipeline, task_runner

pipeline_on_dask = pipeline.with_options(
    name="pipeline-dask",
    task_runner=task_runner("dask", address=os.environ.get("PLEDGEFLOW_DASK_ADDRESS") or None),
)
