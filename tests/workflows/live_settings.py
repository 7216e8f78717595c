"""Settings for the daphne processes the browser and multi-process tests start.

Exactly the production settings, except that WhiteNoise serves static files
from the apps' directories (the suite does not run collectstatic), and that under
pytest-xdist the channel layer's keys carry the worker's prefix (tests/conftest.py).
"""

import os

from project.settings import *  # noqa: F403

WHITENOISE_USE_FINDERS = True

if os.environ.get("REGFLOW_TEST_CHANNEL_PREFIX"):
    for _layer in CHANNEL_LAYERS.values():  # noqa: F405
        if _layer["BACKEND"].startswith("channels_redis."):
            _layer.setdefault("CONFIG", {})["prefix"] = os.environ["REGFLOW_TEST_CHANNEL_PREFIX"]
