"""Import readers and export writers, found by name in two registries.

Readers: ``brat``, ``conll``, ``conllu``, ``jsonl`` (spaCy/Prodigy), ``doccano``, ``pdf``,
``docx``, ``html``, ``markdown``, ``hf``, ``labelstudio``, ``text``, ``text-lines``, ``webanno``.
Writers: ``brat`` (folder), ``conll`` (IOB2), ``jsonl``, ``doccano``, ``hf`` (Hugging Face
datasets JSON Lines + labels file), ``labelstudio``, ``webanno`` (folder).
A new format is one module whose functions carry :func:`register_reader` (the file's text),
:func:`register_path_reader` (opens the file itself) or :func:`register_writer`, imported below.
Label names follow :mod:`engine.label_names`; readers' names that break it are mapped.
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
    register_path_reader,
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
    "register_path_reader",
    "register_reader",
    "register_writer",
    "write_file",
    "writer_names",
]
