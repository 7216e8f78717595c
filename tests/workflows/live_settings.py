"""Settings for the daphne processes the browser and multi-process tests start.

Exactly the production settings, except that WhiteNoise serves static files
from the apps' directories: the suite does not run collectstatic.
"""

from project.settings import *  # noqa: F403

WHITENOISE_USE_FINDERS = True
