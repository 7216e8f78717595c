from __future__ import annotations

# The fuzz runs over the authorization matrix's scene: personas plus records inside and outside their scope.
from tests.permissions.conftest import scene

__all__ = ["scene"]
