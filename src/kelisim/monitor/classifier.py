"""The classifier the pipeline and the classify command call: ``kelisim.monitor.classify``
(a build may lack it), through its contract ``classify_batch(texts, languages, model_dir)``, a
frame with the ``CLASSIFICATION_COLUMNS`` (and ``model``); the built-in module also gives the
same values as rows (``classify_rows``), which the classify command writes without pandas.
"""

from __future__ import annotations

import importlib

from kelisim.errors import KelisimError

CLASSIFICATION_COLUMNS = (
    "relevant", "relevance_score", "tier", "hostility_score", "counter_speech", "groups",
    "places", "rationale",
)  # fmt: skip


def classifier():
    """The classify module; one clear error when this build lacks it."""
    try:
        return importlib.import_module("kelisim.monitor.classify")
    except ModuleNotFoundError as error:
        if error.name != "kelisim.monitor.classify":
            raise
        raise KelisimError(
            "Classification is not installed in this build (kelisim.monitor.classify is missing)."
        ) from error


def classified_rows(texts: list[str], languages: list[str], model_dir: str | None = None):
    """The classification columns (``CLASSIFICATION_COLUMNS``, then ``model`` when the
    classifier names one per row) and one row of values per text: the classify module's
    ``classify_rows``, or the rows of its ``classify_batch`` frame (missing values None) for a
    classifier that offers only the contract."""
    module = classifier()
    if hasattr(module, "classify_rows"):
        return list(module.COLUMNS), module.classify_rows(texts, languages, model_dir)
    frame = module.classify_batch(texts, languages, model_dir=model_dir)
    columns = [*CLASSIFICATION_COLUMNS, *(["model"] if "model" in frame.columns else [])]
    frame = frame.reset_index(drop=True)[columns].astype(object)
    values = frame.where(frame.notna(), None)
    return columns, [list(row) for row in values.itertuples(index=False, name=None)]
