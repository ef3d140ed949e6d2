"""Does a pull request's change to topologies stay inside a standard-change template?

A standard (pre-approved) change may touch only what its template in
`policy/standard-changes.yaml` allows. This module compares the raw, schema-valid
mappings of each changed topology at the PR's base and head, lists the changed
dotted paths (``workloads.protheus-appserver-homolog.image``) and says, path by
path, why a change goes beyond the template.

Pure: it takes mappings and returns values. Reading the two revisions from git is
the caller's job (`repository.decide_from_git` does it with `rdm.edges.sources.GitRevision`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Any

from rdm.model.policy import StandardTemplate
from rdm.model.problems import Located
from rdm.model.rdms import Rdm
from rdm.model.topologies import WORKLOADS

_MAJOR_MINOR = re.compile(r"^([0-9]+\.[0-9]+)")
_MAJOR_MINOR_PATCH = re.compile(r"^([0-9]+\.[0-9]+\.[0-9]+)")
_MISSING = object()


@dataclass(frozen=True)
class TopologyDiff:
    """One changed topology: its raw data at base and head (None: absent there)."""

    org_id: str
    base: Mapping[str, Any] | None
    head: Mapping[str, Any] | None


def changed_paths(base: Any, head: Any, prefix: str = "") -> tuple[str, ...]:
    """Dotted paths whose value differs; lists compare whole, mappings key by key."""
    if isinstance(base, Mapping) and isinstance(head, Mapping):
        paths: list[str] = []
        for key in sorted(set(base) | set(head), key=str):
            where = f"{prefix}.{key}" if prefix else str(key)
            paths += changed_paths(base.get(key, _MISSING), head.get(key, _MISSING), where)
        return tuple(paths)
    return () if base == head else (prefix,)


def workload_environments(workload: str) -> tuple[str, ...]:
    """The environments a workload serves: by its name suffix; shared ones serve both."""
    if workload.endswith("-prod"):
        return ("producao",)
    if workload.endswith("-homolog"):
        return ("homologacao",)
    return ("producao", "homologacao")


def beyond_template(template: StandardTemplate, diffs: tuple[TopologyDiff, ...]) -> tuple[str, ...]:
    """Every way the diffs go beyond `template`, one sentence each; empty: they fit."""
    findings: list[str] = []
    for diff in diffs:
        where = f"topologies/{diff.org_id}.yaml"
        if diff.base is None or diff.head is None:
            verb = "adds" if diff.base is None else "removes"
            findings.append(f"{where}: the PR {verb} the whole topology")
            continue
        for path in changed_paths(diff.base, diff.head):
            problem = _path_problem(template, diff, path)
            if problem is not None:
                findings.append(f"{where}: {path}: {problem}")
    return tuple(findings)


def _path_problem(template: StandardTemplate, diff: TopologyDiff, path: str) -> str | None:
    assert diff.base is not None and diff.head is not None
    if not any(_glob_match(pattern, path) for pattern in template.fields):
        allowed = ", ".join(template.fields) or "nothing"
        return f"not a field the template allows ({allowed})"
    segments = path.split(".")
    workload = segments[1] if segments[0] == "workloads" and len(segments) > 1 else None
    if workload is not None:
        problem = workload_problem(template, workload)
        if problem is not None:
            return problem
        if segments[2:] == ["image"] and template.image_tags not in (None, "any"):
            return _image_problem(
                template.image_tags, _image(diff.base, workload), _image(diff.head, workload)
            )
    return None


def workload_problem(template: StandardTemplate, workload: str) -> str | None:
    """Why changing `workload` is beyond `template` (its workloads, its environments), or None."""
    if template.workloads is not None and workload not in template.workloads:
        allowed = ", ".join(template.workloads)
        return f"workload {workload} is not in the template's workloads ({allowed})"
    if template.environments is not None:
        outside = [e for e in workload_environments(workload) if e not in template.environments]
        if outside:
            return f"{workload} serves {', '.join(outside)}, outside the template's environments"
    return None


def scope_findings(
    rdm: Rdm, template: StandardTemplate, diffs: Sequence[TopologyDiff] = ()
) -> list[Located]:
    """What a standard RDM itself says that goes beyond its template, at validate time.

    Its `environments` must be the template's; the workloads it changes are held
    to the template's workloads and environments: those it declares
    (`changes.workloads`) and, when the change under review is known (`diffs`),
    every path the diff of its targets alters. A standard RDM that says nothing
    of what it changes, with no diff to read, cannot be held to its template.
    """
    rule = "rdm-template-scope"
    found: list[Located] = []
    name = template.name
    if template.environments is not None:
        allowed = ", ".join(template.environments)
        for index, environment in enumerate(rdm.environments):
            if environment not in template.environments:
                found.append(
                    Located(
                        ("environments", index),
                        f"{environment} is outside the template {name!r} (it allows {allowed}): "
                        "a change there is a normal change, approved by the CM",
                        rule,
                        key=False,
                    )
                )
    for index, workload in enumerate(rdm.declared_workloads or ()):
        problem = workload_problem(template, workload)
        if problem is not None:
            found.append(
                Located(
                    ("changes", "workloads", index),
                    f"{problem}: beyond the template {name!r}, so a normal change",
                    rule,
                    key=False,
                )
            )
    for finding in beyond_template(template, tuple(diffs)):
        found.append(Located(("template",), f"beyond the template {name!r}: {finding}", rule))
    if rdm.declared_workloads is None and not diffs:
        allowed = ", ".join(template.workloads) if template.workloads else "any workload"
        found.append(
            Located(
                ("template",),
                "a standard RDM says which workloads it changes (changes.workloads), so that "
                f"they can be held to the template {name!r} ({allowed})",
                rule,
            )
        )
    return found


def _glob_match(pattern: str, path: str) -> bool:
    # Segment by segment, so that `workloads.*.image` never matches a deeper
    # `workloads.x.config.image`; fnmatch alone lets `*` cross dots.
    pattern_parts, path_parts = pattern.split("."), path.split(".")
    return len(pattern_parts) == len(path_parts) and all(
        fnmatchcase(part, glob) for part, glob in zip(path_parts, pattern_parts, strict=True)
    )


def _image(data: Mapping[str, Any], workload: str) -> str | None:
    """The image a workload runs: its override, else its component's default."""
    entry = data.get("workloads", {}).get(workload)
    if isinstance(entry, Mapping) and isinstance(entry.get("image"), str):
        return str(entry["image"])
    component = WORKLOADS.get(workload)
    default = data.get("images", {}).get(component) if component else None
    return default if isinstance(default, str) else None


def split_image(image: str) -> tuple[str, str]:
    """`registry:5000/a/b:1.2.3` -> (`registry:5000/a/b`, `1.2.3`); no tag -> ''.

    A digest reference `a/b@sha256:…` gives (`a/b`, `@sha256:…`): the repository
    is what stands before the `@`, and the "tag" says it is a digest.
    """
    if "@" in image:
        repository, _, digest = image.partition("@")
        return repository, f"@{digest}"
    name, _, last = image.rpartition("/")
    if ":" not in last:
        return image, ""
    repository, _, tag = last.partition(":")
    return (f"{name}/{repository}" if name else repository), tag


def _image_problem(rule: str, old: str | None, new: str | None) -> str | None:
    if old is None or new is None:
        return "the image is added or removed, not retagged"
    old_repo, old_tag = split_image(old)
    new_repo, new_tag = split_image(new)
    if old_repo != new_repo:
        return (
            f"the image changes from {old_repo} to {new_repo}; the template allows only a new tag"
        )
    if rule != "any" and (old_tag.startswith("@") or new_tag.startswith("@")):
        return (
            f"tag {old_tag!r} -> {new_tag!r}: a digest carries no version, so it cannot "
            f"be checked against {rule}"
        )
    pattern = _MAJOR_MINOR if rule == "same-major-minor" else _MAJOR_MINOR_PATCH
    label = "major.minor" if rule == "same-major-minor" else "major.minor.patch"
    old_match, new_match = pattern.match(old_tag), pattern.match(new_tag)
    if old_match is None or new_match is None:
        return f"tag {old_tag!r} -> {new_tag!r}: cannot read a {label} from both tags"
    if old_match.group(1) != new_match.group(1):
        before, after = old_match.group(1), new_match.group(1)
        return f"tag {old_tag} -> {new_tag} changes {label} ({before} -> {after})"
    return None
