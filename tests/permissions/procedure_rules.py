"""What every procedure's matrix entries share: the rules of viewflow's task URLs, node kinds read from the flows.

A procedure's test-scene module (``Procedure.test_scene``) writes ``matrix_entries() -> dict[str, Entry]`` for its
routes with these helpers and tests/permissions/matrix.py's ``Entry``, ``rule`` and ``Target``; the matrix reads
them through tests/procedures.py. Nothing here knows any procedure.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from viewflow.workflow.flow import nodes as flow

from .matrix import ANONYMOUS, WORLD_PERSONAS, Entry, Scene, Target, rule, walk_routes

LOGIN = 302  # LoginRequiredMiddleware sends anonymous users to the login page
EVERYONE_200 = rule(200, anonymous=LOGIN)
GET_ONLY = rule(405, anonymous=LOGIN)

# Personas who can reach the host cases of mismatched task URLs (hospital A, county A).
COUNTY_A_INSIDERS = ("clerk", "director", "officer", "officer2", "chief", "inspector")

# --- Node kinds, read from the flow's node classes --------------------------------------------------------------

_NODE_CLASSES: tuple[tuple[type[Any] | tuple[type[Any], ...], str], ...] = (
    (flow.View, "human"),
    ((flow.Start, flow.StartHandle), "start"),
    (flow.End, "end"),
    ((flow.Function, flow.Handle), "function"),
    (flow.Split, "split"),
    ((flow.If, flow.Switch, flow.Join), "gateway"),
    ((flow.Timer, flow.TimerBoundary, flow.StartTimer), "timer"),
)


def node_kind(node: Any) -> str:
    """What a node of a flow is, by its viewflow class; a class the matrix does not know stops the run."""
    for classes, kind in _NODE_CLASSES:
        if isinstance(node, classes):
            return kind
    raise AssertionError(f"{node.flow_class.__name__}.{node.name}: a {type(node).__name__} node is new here")


def node_kinds(flow_class: Any) -> dict[str, str]:
    """node name -> kind, for every node of the flow."""
    return {node.name: node_kind(node) for node in flow_class.instance.nodes()}


def node_of(task: Any) -> str:
    return str(task.flow_task.name)


# --- Task URLs: who may claim, hand back, execute -------------------------------------------------------------


def task_of(scene: Scene, target: Target) -> Any:
    """The target's task as the scene left it, read once: every request of the matrix is rolled back."""
    from viewflow.workflow.models import Task

    cache = scene.extra.setdefault("tasks", {})
    key = target.kwargs["task_pk"]
    if key not in cache:
        cache[key] = Task.objects.get(pk=key)
    return cache[key]


def claimers(scene: Scene, target: Target) -> set[str]:
    from .oracle import may_claim

    cache = scene.extra.setdefault("claimers", {})
    key = target.kwargs["task_pk"]
    if key not in cache:
        task = task_of(scene, target)
        cache[key] = {p for p in WORLD_PERSONAS if may_claim(scene.world.users[p], task)}
    return cache[key]


def owner(scene: Scene, target: Target) -> str | None:
    task = task_of(scene, target)
    for persona in WORLD_PERSONAS:
        if scene.world.users[persona].pk == task.owner_id:
            return persona
    return None


def node_status(action: str) -> Callable[[Scene, Target, str, str], set[int]]:
    """Statuses for an in-scope persona on a task URL of the right case and step."""

    def status(scene: Scene, target: Target, method: str, persona: str) -> set[int]:
        if action == "index":
            return {302} if method == "GET" else {405}  # redirects to the page the persona may use
        if action == "detail":
            return {200} if method == "GET" else {405}
        finished = task_of(scene, target).status in {"DONE", "CANCELED"}
        if method == "GET" and finished and action in {"assign", "unassign", "execute"}:
            return {200}  # a finished step's old link says who finished it and when, to anyone who sees the case
        if method == "POST" and persona == "inspector":
            return {404}  # changes need write access, which inspectors never have: the case "does not exist"
        if action == "assign":
            if persona in claimers(scene, target):
                return {200} if method == "GET" else {302}
            return {403}
        if action == "unassign":
            # Only the holder of an assigned task may hand it back (its page, then the POST).
            if persona == owner(scene, target) and task_of(scene, target).status == "ASSIGNED":
                return {200} if method == "GET" else {302}
            return {403}
        if action == "execute":
            if persona == owner(scene, target) and task_of(scene, target).status in {"ASSIGNED", "STARTED"}:
                return {200}
            return {403}
        raise AssertionError(f"no rule for task action {action}")

    return status


def node_targets(
    cases: Callable[[Scene], list[tuple[str, Any]]],
    *,
    host: str,
    hosts: dict[str, str] | None = None,
    stranger: str | None = None,
) -> Callable[[str], Callable[[Scene], list[Target]]]:
    """``targets(node_name)`` for node_entries: the URLs of a node's task, in scope and refused to everyone.

    ``cases(scene)`` lists the procedure's (label, process) records: the latest task of the node in one case per
    county fills the URL, in scope for some personas and outside it for the others. Then another step's open task
    under the node's URL, taken from the ``host`` record (county A), or ``hosts[node_name]`` for a node whose only
    open task there is the host's own. With a ``stranger`` (a record of county B), also the node's task under the
    stranger's id. Both mismatches are refused (404) to everyone, whoever may take or see the task.
    """

    made_here = object()  # this call's key in the scene's cache

    def for_node(node_name: str) -> Callable[[Scene], list[Target]]:
        def targets(scene: Scene) -> list[Target]:
            # Every action's URL of the node takes the same targets: found once per scene (it does not change).
            cache = scene.extra.setdefault("node_targets", {})
            key = (made_here, node_name)
            if key not in cache:
                cache[key] = find(scene)
            return list(cache[key])

        def find(scene: Scene) -> list[Target]:
            result, counties_done = [], set()
            for label, case in cases(scene):
                county = scene.records[label].county
                task = next((t for t in case.task_set.order_by("-pk") if node_of(t) == node_name), None)
                if task is not None and county not in counties_done:
                    counties_done.add(county)
                    result.append(Target(kwargs={"process_pk": case.pk, "task_pk": task.pk}, record=label, label=label))
            # Another step's task under this step's URL (every node has one, whether or not the scene reaches it).
            case = scene.records[(hosts or {}).get(node_name, host)].obj
            other = next(
                t for t in case.task_set.filter(status="NEW", flow_task_type="HUMAN") if node_of(t) != node_name
            )
            insiders = (*COUNTY_A_INSIDERS, "clerk_b", ANONYMOUS)
            result.append(
                Target(
                    kwargs={"process_pk": case.pk, "task_pk": other.pk},
                    record=None,
                    label=f"{node_of(other)} task under {node_name}",
                    refused_to_all=True,
                    personas=insiders,
                )
            )
            # The node's task of a county A case under the stranger's id (a lock would be taken on the wrong case).
            if stranger is not None and len(result) > 1:
                alien = scene.records[stranger].obj
                if result[0].kwargs["process_pk"] != alien.pk:
                    result.append(
                        Target(
                            kwargs={"process_pk": alien.pk, "task_pk": result[0].kwargs["task_pk"]},
                            record=stranger,
                            label="another case's task",
                            refused_to_all=True,
                            personas=(*insiders, "officer_b"),
                        )
                    )
            return result

        return targets

    return for_node


def node_entries(
    namespace: str,
    flow_class: Any,
    targets: Callable[[str], Callable[[Scene], list[Target]]],
    *,
    skip: set[str] | frozenset[str] = frozenset(),
    valid_post: Callable[[str], Callable[[Scene, Target | None], dict[str, Any]]] | None = None,
    state_of: Callable[[Scene, Target | None], Any] | None = None,
) -> dict[str, Entry]:
    """An entry for every URL viewflow serves for a node of the flow (its actions follow from the node's class).

    ``targets(node_name)`` fills the URL; ``skip`` names routes the procedure writes its own entry for (a start
    node's form); ``valid_post(node_name)``, for a human step's execute URL, is a form its holder could send.
    """
    kinds = node_kinds(flow_class)
    entries: dict[str, Entry] = {}
    for route in walk_routes():
        node_name, _colon, action = route.key.removeprefix(f"{namespace}:").partition(":")
        if not route.key.startswith(f"{namespace}:") or node_name not in kinds or not action or route.key in skip:
            continue
        writes = valid_post is not None and action == "execute" and kinds[node_name] == "human"
        entries[route.key] = Entry(
            # Signed-in personas are answered by status_for; these rules serve anonymous users only.
            get=rule(set(), anonymous=LOGIN),
            post=rule(set(), anonymous=LOGIN),
            targets=targets(node_name),
            status_for=node_status(action),
            get_only=action in {"index", "detail"},
            valid_post=valid_post(node_name) if (writes and valid_post is not None) else None,
            state_of=state_of if writes else None,
        )
    return entries


# The names the expectations written before they moved into their scene modules use.
_node_status = node_status
_node_of = node_of
_us_node_kind = node_kind
_claimers = claimers
_owner = owner
_task_of = task_of
