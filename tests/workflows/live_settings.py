"""Settings for the daphne processes the browser and multi-process tests start.

Exactly the production settings, except that WhiteNoise serves static files
from the apps' directories (the suite does not run collectstatic), and that under
pytest-xdist the channel layer's and the shared cache's keys carry the worker's prefix (tests/conftest.py).
"""

import os

from project.settings import *  # noqa: F403

WHITENOISE_USE_FINDERS = True

if os.environ.get("REGFLOW_TEST_CHANNEL_PREFIX"):
    for _layer in CHANNEL_LAYERS.values():  # noqa: F405
        if _layer["BACKEND"].startswith("channels_redis."):
            _layer.setdefault("CONFIG", {})["prefix"] = os.environ["REGFLOW_TEST_CHANNEL_PREFIX"]

if os.environ.get("PYTEST_XDIST_WORKER"):  # the worker's shared-cache prefix too (tests/conftest.py)
    for _cache in CACHES.values():  # noqa: F405
        if _cache["BACKEND"].endswith("RedisCache"):
            _cache["KEY_PREFIX"] = f"{_cache.get('KEY_PREFIX', '')}-{os.environ['PYTEST_XDIST_WORKER']}"
