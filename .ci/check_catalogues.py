"""Fail when a zh-hans catalogue has an untranslated or fuzzy entry, or a stale .mo file.

With --compile, write the .mo files first (the app needs no gettext tools at run time:
the compiled catalogues are committed).
"""

from __future__ import annotations

import sys
from pathlib import Path

import polib

LOCALE = Path(__file__).resolve().parent.parent / "locale" / "zh_Hans" / "LC_MESSAGES"
DOMAINS = ["django", "djangojs"]


def main() -> int:
    compile_first = "--compile" in sys.argv
    problems: list[str] = []
    for domain in DOMAINS:
        po_path = LOCALE / f"{domain}.po"
        if not po_path.exists():
            if domain == "django":
                problems.append(f"{po_path}: missing")
            continue
        catalogue = polib.pofile(str(po_path))
        mo_path = po_path.with_suffix(".mo")
        if compile_first:
            catalogue.save_as_mofile(str(mo_path))
        for entry in catalogue.untranslated_entries():
            problems.append(f"{po_path.name}:{entry.linenum}: untranslated: {entry.msgid!r}")
        for entry in catalogue.fuzzy_entries():
            problems.append(f"{po_path.name}:{entry.linenum}: fuzzy: {entry.msgid!r}")
        if not mo_path.exists():
            problems.append(f"{mo_path}: missing (run make messages)")
        else:
            compiled = polib.mofile(str(mo_path))
            expected = {
                (e.msgctxt, e.msgid): (e.msgstr, tuple(sorted(e.msgstr_plural.items())))
                for e in catalogue.translated_entries()
            }
            actual = {(e.msgctxt, e.msgid): (e.msgstr, tuple(sorted(e.msgstr_plural.items()))) for e in compiled}
            if expected != {k: v for k, v in actual.items() if k[1]}:
                problems.append(f"{mo_path}: out of date with {po_path.name} (run make messages)")
        print(f"{po_path.name}: {len(catalogue.translated_entries())} translated")
    for problem in problems:
        print(problem, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
