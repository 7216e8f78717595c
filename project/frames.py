"""Run a request on one roomy stretch of the interpreter's frame stack (a workaround for CPython 3.11).

CPython 3.11 keeps a thread's Python frames in 16 KiB chunks, allocated with mmap when a call does not fit in
the current chunk and returned with munmap as soon as the first frame in a chunk returns. A loop that calls at
the depth of a chunk's edge (Django's template rendering does, many times a page) maps and unmaps a chunk at
every call: CPython issue gh-142183, fixed by caching a chunk in the 3.13 and 3.14 releases after March 2026,
not in 3.11. Measured here (docs/performance.md, "The interpreter's frame stack"): about 390 such mmap/munmap
pairs per request of the authorization matrix and 70-4,000 per page under daphne, about 30 % of the time
of a request in the matrix.

``call_in_wide_frame`` calls a function from a frame with ``WIDE_FRAME_LOCALS`` locals that are never bound.
Such a frame needs more than a chunk, so the interpreter gives it a chunk of its own of 256 KiB, and everything
the function calls is stacked in the 128 KiB left after it: a request's deepest stack fits there, so it crosses
no chunk edge, and the chunk is mapped once per request. The locals are never bound, so tracebacks and debug
pages show none of them. WideFrameMiddleware, first in settings.MIDDLEWARE, runs each request through it.
It costs about 80 microseconds a request (the chunk's mapping, the cleared slots); on a Python with gh-142183
fixed it buys nothing and can go.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse

# 16,000 locals (125 KiB) + CPython's 1,000-slot allowance exceed 128 KiB: the frame's chunk is 256 KiB.
WIDE_FRAME_LOCALS = 16_000


def _compile_wide_caller() -> Callable[..., Any]:
    names = " = ".join(f"_unused{i}" for i in range(WIDE_FRAME_LOCALS))
    source = (
        "def call_in_wide_frame(function, *args, _never=False):\n"
        "    if _never:  # makes the names locals of this frame; never runs, so none is ever bound\n"
        f"        {names} = None\n"
        "    return function(*args)\n"
    )
    namespace: dict[str, Any] = {}
    exec(compile(source, __file__, "exec"), namespace)  # noqa: S102 - the source is the constant above
    return namespace["call_in_wide_frame"]


call_in_wide_frame = _compile_wide_caller()
call_in_wide_frame.__doc__ = "``function(*args)``, called from a frame that has a 256 KiB stack chunk to itself."


class WideFrameMiddleware:
    """The request below this middleware runs on a stack chunk of its own (see the module's docstring)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return call_in_wide_frame(self.get_response, request)
