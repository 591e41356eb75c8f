"""Shared pytest set-up: offscreen Qt, no user-level side effects."""

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

# Never write into the user's own log folder: every process the tests start logs to one
# throw-away folder (a full user log would also break the file-size-limit tests).
if "SPANTUNE_LOG_DIR" not in os.environ:
    import atexit
    import shutil
    import tempfile

    os.environ["SPANTUNE_LOG_DIR"] = tempfile.mkdtemp(prefix="spantune-test-logs-")
    atexit.register(shutil.rmtree, os.environ["SPANTUNE_LOG_DIR"], ignore_errors=True)
