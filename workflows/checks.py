"""System checks that keep every procedure inside the access rules.

workflows.E001: a flow mounted with a viewset that is not a ScopedFlowAppViewset
shows every process of the flow to anyone with the model's view permission
(viewflow's own list, detail and task pages are not row-scoped).
workflows.E002: a human step that is not a RegflowView escapes audited claims
and, unless it is a SigningView, the case-wide four-eyes rule.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.core.checks import Error, Tags, register
from django.urls import URLResolver, get_resolver


def _resolvers(resolver: URLResolver) -> Iterator[URLResolver]:
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            yield entry
            yield from _resolvers(entry)


def mounted_flow_viewsets() -> list[Any]:
    """Every flow viewset reachable from the root URLconf."""
    found: dict[int, Any] = {}
    for resolver in _resolvers(get_resolver()):
        viewset = getattr(resolver, "extra", {}).get("flow_viewset")
        if viewset is not None:
            found[id(viewset)] = viewset
    return list(found.values())


@register(Tags.urls, Tags.security)
def check_flow_viewsets_are_scoped(app_configs: Any, **kwargs: Any) -> list[Error]:
    from .viewsets import ScopedFlowAppViewset

    return [
        Error(
            f"{type(viewset).__name__} mounts {viewset._flow_class.__name__} without row-level scoping.",
            hint="Mount procedures with a subclass of workflows.viewsets.ScopedFlowAppViewset.",
            obj=type(viewset),
            id="workflows.E001",
        )
        for viewset in mounted_flow_viewsets()
        if not isinstance(viewset, ScopedFlowAppViewset)
    ]


@register(Tags.security)
def check_human_steps_use_the_shared_nodes(app_configs: Any, **kwargs: Any) -> list[Error]:
    from viewflow.workflow import flow

    from .nodes import RegflowView

    errors = []
    for viewset in mounted_flow_viewsets():
        flow_class = viewset._flow_class
        for node in flow_class.instance.nodes():
            if isinstance(node, flow.View) and not isinstance(node, RegflowView):
                errors.append(
                    Error(
                        f"{flow_class.__name__}.{node.name} is a plain {type(node).__name__}.",
                        hint="Use workflows.nodes.SigningView (or RegflowView for a step that signs nothing).",
                        obj=flow_class,
                        id="workflows.E002",
                    )
                )
    return errors
