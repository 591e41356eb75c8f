"""Import readers and export writers, found by name in two registries.

Readers: ``text``, ``text-lines``, ``jsonl``, ``doccano``, ``labelstudio``, ``conll``.
Writers: ``jsonl``, ``doccano``, ``conll`` (IOB2), ``hf`` (Hugging Face datasets JSON Lines).
A new format is one module whose functions carry :func:`register_reader` /
:func:`register_writer`, imported below.
"""

from . import (  # noqa: F401  (registration)
    brat,
    conll,
    conllu,
    doccano,
    documents,
    hf,
    jsonl,
    labelstudio,
    plaintext,
    webanno,
)
from .files import detect_format, read_file, write_file
from .registry import (
    READERS,
    WRITERS,
    ReadContext,
    Reader,
    Writer,
    reader_names,
    register_reader,
    register_writer,
    writer_names,
)

__all__ = [
    "READERS",
    "WRITERS",
    "ReadContext",
    "Reader",
    "Writer",
    "detect_format",
    "read_file",
    "reader_names",
    "register_reader",
    "register_writer",
    "write_file",
    "writer_names",
]
