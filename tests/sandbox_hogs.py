"""A handler for statuspage.core.confined that misbehaves on request: the confinement's tests run it.

Loaded by path in a confined process, like the message sandbox, so it imports only the standard
library.
"""

from __future__ import annotations

import os
import select
from typing import Any

_kept: list[bytes] = []


def handle(request: dict[str, Any]) -> dict[str, Any]:
    """Do what `request["do"]` says, then answer with this process's id."""
    match request["do"]:
        case "sleep":
            # Not time.sleep: under CI's libfaketime its clock_nanosleep fails.
            select.select([], [], [], request["seconds"])
        case "spin":
            # One long loop in C: no Python code runs that a tracer or signal handler could stop.
            sum(range(10**14))
        case "allocate":
            bytes(request["bytes"])
        case "keep":
            _kept.append(os.urandom(request["bytes"]))
    return {"pid": os.getpid()}
