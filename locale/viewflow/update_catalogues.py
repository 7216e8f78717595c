"""Refresh the msgids of our zh-hans catalogues for django-viewflow's own strings.

viewflow ships an empty zh_Hans catalogue and no JavaScript catalogue at all, so
Regflow carries both here, as a second LOCALE_PATHS entry (after our own, which
wins where the two share a msgid). `make messages` runs this script: it copies
the installed viewflow's Python files and templates, and the original sources of
its JavaScript (from the source map shipped next to viewflow.min.js, whose
minified code calls gettext under other names), into a scratch directory, puts
our current catalogues beside them and lets makemessages merge. Existing
translations are kept; a msgid that changed upstream comes back fuzzy or
untranslated, which .ci/check_catalogues.py then refuses until someone
translates it.

Needs the gettext tools (xgettext, msgmerge), like makemessages itself.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
LC_MESSAGES = HERE / "zh_Hans" / "LC_MESSAGES"
GETTEXT_CALL = re.compile(r"\b(?:gettext|pgettext|ngettext|npgettext|gettext_noop)\(")


def copy_python_and_templates(package: Path, target: Path) -> None:
    for source in package.rglob("*"):
        relative = source.relative_to(package)
        if relative.parts[0] in {"static", "locale"} or "__pycache__" in relative.parts:
            continue
        if source.suffix in {".py", ".html", ".txt"}:
            destination = target / relative
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, destination)


def copy_javascript_sources(package: Path, target: Path) -> int:
    """Write out the original modules of viewflow.min.js that call gettext; return how many."""
    source_map = json.loads((package / "static" / "viewflow" / "js" / "viewflow.min.js.map").read_text())
    written = 0
    for name, content in zip(source_map["sources"], source_map.get("sourcesContent") or [], strict=False):
        if not content or "node_modules" in name or not GETTEXT_CALL.search(content):
            continue
        clean = Path(*[part for part in Path(name).parts if part not in {"..", "."}])
        destination = target / "static" / "js" / clean
        destination.parent.mkdir(parents=True, exist_ok=True)
        destination.write_text(content)
        written += 1
    return written


def main() -> int:
    import django
    from django.conf import settings

    # Stand-alone settings: the project's LOCALE_PATHS must not be in play, or
    # makemessages could write viewflow's strings into our own catalogue.
    settings.configure(USE_I18N=True, LOCALE_PATHS=[], INSTALLED_APPS=[])
    django.setup()
    import viewflow
    from django.core.management import call_command

    package = Path(viewflow.__file__).resolve().parent
    with tempfile.TemporaryDirectory(prefix="regflow-viewflow-i18n-") as scratch:
        root = Path(scratch)
        copy_python_and_templates(package, root / "viewflow")
        if not copy_javascript_sources(package, root / "viewflow"):
            print("no gettext calls found in viewflow.min.js.map: has viewflow changed?", file=sys.stderr)
            return 1
        scratch_messages = root / "locale" / "zh_Hans" / "LC_MESSAGES"
        scratch_messages.mkdir(parents=True)
        for domain in ("django", "djangojs"):
            current = LC_MESSAGES / f"{domain}.po"
            if current.exists():
                shutil.copyfile(current, scratch_messages / current.name)
        previous = Path.cwd()
        os.chdir(root)
        try:
            for domain in ("django", "djangojs"):
                call_command(
                    "makemessages",
                    locale=["zh_Hans"],
                    domain=domain,
                    no_obsolete=True,
                    add_location="file",
                    verbosity=0,
                )
        finally:
            os.chdir(previous)
        LC_MESSAGES.mkdir(parents=True, exist_ok=True)
        for domain in ("django", "djangojs"):
            shutil.copyfile(scratch_messages / f"{domain}.po", LC_MESSAGES / f"{domain}.po")
            print(f"{LC_MESSAGES / domain}.po: refreshed from viewflow {viewflow.__version__}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
