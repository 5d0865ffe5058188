"""Read budget documents, validate them, and build one Polars frame per table for ALL documents.

Per document: read the bytes (:mod:`.sources`), parse them with orjson and
catch what orjson cannot say (:mod:`.parsing`), validate against the document
schema (:mod:`.schema`), then pour every valid document's rows into columnar
frames shared by the whole batch (:mod:`.frames`), amounts as scaled integers
(:mod:`.amounts`); :mod:`.batches` runs it, in chunks or worker processes.
"""

from checker.documents.amounts import MAX_AMOUNT, SCALE, from_scaled, to_scaled, unscale
from checker.documents.batches import (
    BATCH_DOCUMENTS,
    MAX_JOBS,
    Batch,
    DocumentStatus,
    iter_batches,
    load_documents,
    load_frames,
    load_objects,
)
from checker.documents.parsing import parse_document, repeated_keys
from checker.documents.schema import Column, DocumentSchema, load_schema
from checker.documents.sources import DEFAULT_MAX_BYTES, Source, iter_sources

__all__ = [
    "BATCH_DOCUMENTS",
    "DEFAULT_MAX_BYTES",
    "MAX_AMOUNT",
    "MAX_JOBS",
    "SCALE",
    "Batch",
    "Column",
    "DocumentSchema",
    "DocumentStatus",
    "Source",
    "from_scaled",
    "iter_batches",
    "iter_sources",
    "load_documents",
    "load_frames",
    "load_objects",
    "load_schema",
    "parse_document",
    "repeated_keys",
    "to_scaled",
    "unscale",
]
