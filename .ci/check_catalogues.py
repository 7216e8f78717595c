"""Fail when a catalogue under locale/ has an untranslated or fuzzy entry, or a stale .mo file.

Walks every <language>/LC_MESSAGES/*.po below locale/: our own catalogues
(locale/zh_Hans), the ones for django-viewflow's strings (locale/viewflow/zh_Hans) and for the strings of
Django's admin and django-axes that ship untranslated (locale/thirdparty/zh_Hans).
A .mo without its .po, or a required catalogue that is missing, also fails.

With --compile, write the .mo files first (the app needs no gettext tools at run time:
the compiled catalogues are committed).
"""

from __future__ import annotations

import sys
from pathlib import Path

import polib

LOCALE = Path(__file__).resolve().parent.parent / "locale"
REQUIRED = [
    "zh_Hans/LC_MESSAGES/django.po",
    "viewflow/zh_Hans/LC_MESSAGES/django.po",
    "viewflow/zh_Hans/LC_MESSAGES/djangojs.po",
    "thirdparty/zh_Hans/LC_MESSAGES/django.po",
]


def _compiled_form(entries: list[polib.POEntry] | polib.MOFile) -> dict[tuple[str | None, str], tuple[object, ...]]:
    return {
        (e.msgctxt, e.msgid): (e.msgid_plural, e.msgstr, tuple(sorted(e.msgstr_plural.items())))
        for e in entries
        if e.msgid  # the header
    }


def check(po_path: Path, *, locale: Path, compile_first: bool) -> list[str]:
    name = po_path.relative_to(locale.parent)
    problems: list[str] = []
    catalogue = polib.pofile(str(po_path))
    mo_path = po_path.with_suffix(".mo")
    if compile_first:
        catalogue.save_as_mofile(str(mo_path))
    for entry in catalogue.untranslated_entries():
        problems.append(f"{name}:{entry.linenum}: untranslated: {entry.msgid!r}")
    for entry in catalogue.fuzzy_entries():
        problems.append(f"{name}:{entry.linenum}: fuzzy: {entry.msgid!r}")
    if catalogue.metadata_is_fuzzy:
        # Only a warning: polib compiles the header anyway, but msgfmt would drop
        # it, and with it the Plural-Forms line that Chinese needs.
        print(f"{name}: warning: the header is marked fuzzy", file=sys.stderr)
    if not mo_path.exists():
        problems.append(f"{mo_path.relative_to(locale.parent)}: missing (run make messages)")
    elif _compiled_form(catalogue.translated_entries()) != _compiled_form(polib.mofile(str(mo_path))):
        problems.append(f"{mo_path.relative_to(locale.parent)}: out of date with {po_path.name} (run make messages)")
    print(f"{name}: {len(catalogue.translated_entries())} translated")
    return problems


def main(argv: list[str] | None = None, *, locale: Path = LOCALE, required: list[str] = REQUIRED) -> int:
    compile_first = "--compile" in (sys.argv[1:] if argv is None else argv)
    problems = [f"{locale.name}/{path}: missing" for path in required if not (locale / path).exists()]
    for po_path in sorted(locale.glob("**/LC_MESSAGES/*.po")):
        problems += check(po_path, locale=locale, compile_first=compile_first)
    for mo_path in sorted(locale.glob("**/LC_MESSAGES/*.mo")):
        if not mo_path.with_suffix(".po").exists():
            problems.append(f"{mo_path.relative_to(locale.parent)}: compiled catalogue without its .po")
    for problem in problems:
        print(problem, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
