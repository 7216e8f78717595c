"""Requests run on a frame-stack chunk of their own (project/frames.py: CPython 3.11's chunk churn)."""

from __future__ import annotations

import sys
from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.http import HttpResponse
from django.test import Client, override_settings
from django.urls import path

from project.frames import WIDE_FRAME_LOCALS, call_in_wide_frame

# CPython allocates a chunk of 16 KiB, or double that until it holds the frame and 1,000 slots more.
CHUNK_SLOTS, SLACK_SLOTS = 16 * 1024 // 8, 1_000


def frames_below() -> list[Any]:
    frame, frames = sys._getframe(1), []
    while frame is not None:
        frames.append(frame)
        frame = frame.f_back
    return frames


def wide_frames(frames: list[Any]) -> list[Any]:
    return [frame for frame in frames if frame.f_code is call_in_wide_frame.__code__]


seen: dict[str, Any] = {}


@login_not_required
def stack_view(request: Any) -> HttpResponse:
    frames = frames_below()
    seen["wide"] = wide_frames(frames)
    seen["locals"] = [dict(frame.f_locals) for frame in seen["wide"]]
    return HttpResponse("ok")


urlpatterns = [path("stack/", stack_view)]


def test_the_wide_frame_is_bigger_than_a_chunk_and_leaves_the_request_more_than_a_chunk() -> None:
    frame_slots = call_in_wide_frame.__code__.co_nlocals
    assert frame_slots >= WIDE_FRAME_LOCALS
    chunk = CHUNK_SLOTS
    while chunk < frame_slots + SLACK_SLOTS:
        chunk *= 2
    left_for_the_request = chunk - frame_slots
    assert left_for_the_request > 4 * CHUNK_SLOTS, (chunk, frame_slots)


def test_call_in_wide_frame_passes_arguments_results_and_exceptions() -> None:
    assert call_in_wide_frame(lambda a, b: (a, b), 1, "two") == (1, "two")
    with pytest.raises(KeyError):
        call_in_wide_frame({}.__getitem__, "missing")


def test_the_middleware_comes_first() -> None:
    assert settings.MIDDLEWARE[0] == "project.frames.WideFrameMiddleware"


@pytest.mark.django_db
@override_settings(ROOT_URLCONF=__name__)
def test_a_view_runs_above_the_wide_frame_and_none_of_its_locals_is_bound(client: Client) -> None:
    seen.clear()
    response = client.get("/stack/")
    assert response.status_code == 200
    assert len(seen["wide"]) == 1
    # Tracebacks and debug pages read f_locals: only the call's own arguments are there.
    assert set(seen["locals"][0]) <= {"function", "args", "_never"}
