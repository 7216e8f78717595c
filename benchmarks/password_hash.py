"""Time one password check (what every e-signature pays) per hasher: `python benchmarks/password_hash.py`.

Prints the median and the best of a few checks for Django's PBKDF2 (1,000,000 iterations), Django's
default argon2 parameters and the argon2id configuration Regflow uses (project/hashers.py), plus other
OWASP argon2id configurations for comparison. Figures go in docs/performance.md.
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

import django
from django.conf import settings

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
settings.configure()
django.setup()

from django.contrib.auth.hashers import Argon2PasswordHasher, PBKDF2PasswordHasher  # noqa: E402

from project.hashers import RegflowArgon2PasswordHasher  # noqa: E402

PASSWORD = "correct horse battery staple"  # noqa: S105 - a benchmark input, not a secret


def timed(hasher: object, rounds: int = 7) -> tuple[float, float]:
    encoded = hasher.encode(PASSWORD, hasher.salt())  # type: ignore[attr-defined]
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        assert hasher.verify(PASSWORD, encoded)  # type: ignore[attr-defined]
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times), min(times)


def argon2(t: int, m: int, p: int) -> Argon2PasswordHasher:
    hasher = Argon2PasswordHasher()
    hasher.time_cost, hasher.memory_cost, hasher.parallelism = t, m, p  # type: ignore[misc]
    return hasher


def main() -> None:
    rows = [
        ("PBKDF2-SHA256, 1,000,000 iterations (Django 5.2 default)", PBKDF2PasswordHasher()),
        ("argon2id t=2 m=100 MiB p=8 (Django's Argon2PasswordHasher)", argon2(2, 102400, 8)),
        ("argon2id t=2 m=19 MiB p=1 (Regflow, OWASP)", RegflowArgon2PasswordHasher()),
        ("argon2id t=1 m=46 MiB p=1 (OWASP)", argon2(1, 47104, 1)),
        ("argon2id t=3 m=12 MiB p=1 (OWASP)", argon2(3, 12288, 1)),
    ]
    print("| hasher | median ms | best ms |\n|---|---|---|")
    for label, hasher in rows:
        median, best = timed(hasher)
        print(f"| {label} | {median:.0f} | {best:.0f} |")


if __name__ == "__main__":
    main()
