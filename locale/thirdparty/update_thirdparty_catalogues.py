"""Refresh our zh-hans catalogue for the strings of Django's admin and django-axes that ship untranslated.

django-axes ships no Chinese catalogue, and Django's zh_Hans admin catalogue lacks its newest strings (the
screen-reader headers of the admin index, for one). Regflow carries the missing translations here, as a
LOCALE_PATHS entry after our own. `make messages` runs this script: it copies the installed packages' Python
files and templates into a scratch directory, lets makemessages merge their msgids into our current
catalogue, then keeps only the msgids that the packages' own zh_Hans catalogues (and Django's) do not
translate. Existing translations are kept; a new or changed msgid comes back untranslated or fuzzy, which
.ci/check_catalogues.py then refuses until someone translates it.

Needs the gettext tools (xgettext, msgmerge), like makemessages itself.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
CATALOGUE = HERE / "zh_Hans" / "LC_MESSAGES" / "django.po"


def copy_python_and_templates(package: Path, target: Path) -> None:
    for source in package.rglob("*"):
        relative = source.relative_to(package)
        if relative.parts[0] in {"static", "locale", "tests", "migrations"} or "__pycache__" in relative.parts:
            continue
        if source.suffix in {".py", ".html", ".txt"}:
            destination = target / relative
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, destination)


def main() -> int:
    import django
    from django.conf import settings

    # Stand-alone settings: the project's LOCALE_PATHS must not be in play.
    settings.configure(USE_I18N=True, LOCALE_PATHS=[], INSTALLED_APPS=[])
    django.setup()
    import axes
    import polib  # type: ignore[import-untyped]  # types-polib is not a dependency
    from django.contrib import admin
    from django.core.management import call_command

    packages = {"axes": Path(axes.__file__).resolve().parent, "admin": Path(admin.__file__).resolve().parent}
    translated: set[str] = set()  # what the packages' own catalogues already say in Chinese
    for catalogue in [
        packages["admin"] / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po",
        Path(django.__file__).resolve().parent / "conf" / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po",
        packages["axes"] / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po",
    ]:
        if catalogue.exists():
            translated |= {e.msgid for e in polib.pofile(str(catalogue)).translated_entries()}
    with tempfile.TemporaryDirectory(prefix="regflow-thirdparty-i18n-") as scratch:
        root = Path(scratch)
        for name, package in packages.items():
            copy_python_and_templates(package, root / name)
        scratch_messages = root / "locale" / "zh_Hans" / "LC_MESSAGES"
        scratch_messages.mkdir(parents=True)
        if CATALOGUE.exists():
            shutil.copyfile(CATALOGUE, scratch_messages / "django.po")
        previous = Path.cwd()
        os.chdir(root)
        try:
            call_command("makemessages", locale=["zh_Hans"], no_obsolete=True, add_location="file", verbosity=0)
        finally:
            os.chdir(previous)
        merged = polib.pofile(str(scratch_messages / "django.po"))
        for entry in [e for e in merged if e.msgid in translated]:
            merged.remove(entry)
        CATALOGUE.parent.mkdir(parents=True, exist_ok=True)
        merged.save(str(CATALOGUE))
        print(f"{CATALOGUE}: {len(merged)} strings of django-axes {axes.__version__} and Django {django.__version__}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
