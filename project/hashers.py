"""The password hasher: argon2id at OWASP's recommended cost, in place of Django's 1,000,000-round PBKDF2.

Every electronic signature re-checks the signer's password (audit.services.signature_password_check),
so the hash's cost is paid on every approval, under the case's lock. Django 5.2's PBKDF2-SHA256 at
1,000,000 iterations took about 180 ms of CPU per signature on the reference machine. argon2id with
19 MiB of memory, 2 passes and 1 lane is the first configuration OWASP's Password Storage Cheat Sheet
recommends, listed as equivalent to its PBKDF2-SHA256 600,000 iterations; being memory-hard, it costs
an attacker with GPUs far more per guess than PBKDF2 does for the same time on our side. Measured on
this 2-core machine under load (docs/performance.md): about 12x less time per check than PBKDF2 at
1,000,000 iterations.

Existing PBKDF2 hashes stay valid and are rehashed with argon2id at the user's next successful login
or signature (Django's check_password upgrades a hash whose hasher is not the first one).
"""

from __future__ import annotations

from django.contrib.auth.hashers import Argon2PasswordHasher


class RegflowArgon2PasswordHasher(Argon2PasswordHasher):
    """argon2id, t=2, m=19 MiB, p=1 (OWASP). Same algorithm name as Django's: hashes verify either way."""

    time_cost = 2
    memory_cost = 19 * 1024  # KiB
    parallelism = 1
