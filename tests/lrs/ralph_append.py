"""Serve ralph's LRS (`serve HOST PORT`) with its file-system backend appending to its file,
or run any other ralph command (`auth ...`).

Out of the box that backend creates its file once and refuses every later write, so an LRS
on it accepts one POST only. This launcher changes that one thing (writes append) and serves
ralph's own API application with uvicorn in this process (ralph's `runserver` starts a child
process, which would not see the change). ralph's HTTP API, statement validation and its
duplicate and conflict checks stay its own. It runs with the Python of ralph's venv.
"""

import sys

from ralph.backends.data.base import BaseOperationType
from ralph.backends.lrs.fs import FSLRSBackend

FSLRSBackend.default_operation_type = BaseOperationType.APPEND

if sys.argv[1:2] == ["serve"]:
    import uvicorn

    uvicorn.run("ralph.api:app", host=sys.argv[2], port=int(sys.argv[3]), log_level="info")
else:
    from ralph.__main__ import cli  # a module

    sys.exit(cli.cli())
