"""The <title> of pages that do not set their own: the page's title from its view, or what a task page is for."""

from __future__ import annotations

from typing import Any

from django import template
from django.conf import settings
from django.utils.translation import gettext_lazy as _

register = template.Library()

# viewflow's own task pages, by URL name: what the page does with the task.
TASK_PAGE_TITLES = {
    "index": _("Task"),
    "detail": _("Task details"),
    "assign": _("Claim the task"),
    "unassign": _("Release the task"),
    "execute": _("Task"),
}


# Pages every procedure has, titled alike: the procedure's name is added to theirs.
PROCEDURE_LIST_PAGES = frozenset({"queue", "inbox", "archive"})


@register.simple_tag(takes_context=True)
def page_title(context: Any) -> str:
    """ "Claim the task: Facility review · #12 · Regflow", "Queue · Regflow", or the site's name alone."""
    request = context.get("request")
    title = context.get("title") or getattr(context.get("view"), "title", "") or ""
    match = getattr(request, "resolver_match", None)
    activation = getattr(request, "activation", None)
    # viewflow's views carry the task on the request's activation; our TaskPageView hands it to the template.
    task = getattr(activation, "task", None) or context.get("task")
    if task is not None and task.pk and match is not None and match.url_name in TASK_PAGE_TITLES:
        title = f"{TASK_PAGE_TITLES[match.url_name]}: {task.flow_task.task_title} · #{task.process_id}"
    elif title and match is not None and match.url_name in PROCEDURE_LIST_PAGES:
        # Every procedure has a queue, an inbox and an archive: the title says whose.
        procedure = getattr(getattr(context.get("view"), "viewset", None), "title", "")
        if procedure:
            title = f"{title} · {procedure}"
    return f"{title} · {settings.SITE_NAME}" if title else settings.SITE_NAME
