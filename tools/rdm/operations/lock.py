"""The lock: one `coordination.k8s.io/v1` Lease per topology, in `rdm-system`.

Held for the whole apply, rollback or restart of a topology, renewed while it
runs, released at the end. Taking it:

1. create the Lease `rdm-lock-<org id>` naming us as holder; done if created;
2. it exists (409): read it. Ours already (a create whose answer was lost and
   was retried): done. Released (no holder) or expired (`renewTime` +
   `leaseDurationSeconds` passed: its holder stopped renewing): replace it with
   the `resourceVersion` read, naming us; a 409 means another run won the race.
3. otherwise refused at once: `LockHeld` says who holds it, since when, and
   when it expires unless renewed.

`keep` renews when a third of the duration has passed since the last renewal;
the applier calls it between steps. A lost lease (someone took it over) is a
`LockLost`. `release` deletes the Lease only if it is still the version we
wrote. Times come from the clock passed in; expiry is judged on it, so hosts
whose clocks disagree by more than the lease duration can take over early.

No I/O here but through the `Cluster` handed in; no clock but the one passed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from rdm.model.kube import (
    LEASE,
    SYSTEM_NAMESPACE,
    ClusterError,
    Conflict,
    KubeObject,
    LockHeld,
    LockHolder,
)
from rdm.operations.ports import Clock, Cluster

DEFAULT_DURATION = 120  # seconds; longer than the slowest request with its retries


class LockLost(ClusterError):
    """Another run took the Lease over while we held it."""


def lease_name(org_id: str) -> str:
    return f"rdm-lock-{org_id}"


def _micro(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _parse(text: Any) -> datetime | None:
    if not isinstance(text, str):
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None


def holder_of(lease: KubeObject) -> LockHolder:
    spec = lease.get("spec") or {}
    renewed = _parse(spec.get("renewTime"))
    duration = spec.get("leaseDurationSeconds")
    expires = (
        renewed + timedelta(seconds=duration)
        if renewed is not None and isinstance(duration, int)
        else None
    )
    return LockHolder(
        holder=str(spec.get("holderIdentity") or ""),
        acquired=spec.get("acquireTime"),
        renewed=spec.get("renewTime"),
        expires=_micro(expires) if expires else None,
    )


def expired(lease: KubeObject, now: datetime) -> bool:
    spec = lease.get("spec") or {}
    if not spec.get("holderIdentity"):
        return True
    renewed = _parse(spec.get("renewTime")) or _parse(spec.get("acquireTime"))
    duration = spec.get("leaseDurationSeconds")
    if renewed is None or not isinstance(duration, int):
        return True  # a lease nobody can renew meaningfully
    return now >= renewed + timedelta(seconds=duration)


@dataclass
class Lock:
    cluster: Cluster
    org_id: str
    identity: str
    clock: Clock
    duration: int = DEFAULT_DURATION
    _lease: KubeObject | None = field(default=None, repr=False)
    _renewed: datetime | None = field(default=None, repr=False)

    @property
    def name(self) -> str:
        return lease_name(self.org_id)

    def _body(self, now: datetime, acquired: datetime, transitions: int) -> KubeObject:
        return {
            "apiVersion": "coordination.k8s.io/v1",
            "kind": "Lease",
            "metadata": {
                "name": self.name,
                "namespace": SYSTEM_NAMESPACE,
                "labels": {"app.kubernetes.io/part-of": "rdm", "rdm/org-id": self.org_id},
            },
            "spec": {
                "holderIdentity": self.identity,
                "leaseDurationSeconds": self.duration,
                "acquireTime": _micro(acquired),
                "renewTime": _micro(now),
                "leaseTransitions": transitions,
            },
        }

    def acquire(self) -> None:
        now = self.clock()
        try:
            self._lease = self.cluster.create(self._body(now, now, 0))
            self._renewed = now
            return
        except Conflict:
            pass
        current = self.cluster.get(LEASE, self.name, SYSTEM_NAMESPACE)
        if current is None:  # released between our create and our read
            self._lease = self.cluster.create(self._body(now, now, 0))
            self._renewed = now
            return
        spec = current.get("spec") or {}
        if spec.get("holderIdentity") == self.identity:
            self._lease, self._renewed = current, now
            return
        if not expired(current, now):
            raise self._held(current)
        body = self._body(now, now, int(spec.get("leaseTransitions") or 0) + 1)
        body["metadata"]["resourceVersion"] = current["metadata"]["resourceVersion"]
        try:
            self._lease = self.cluster.replace(body)
        except Conflict:
            latest = self.cluster.get(LEASE, self.name, SYSTEM_NAMESPACE)
            if latest is not None and (latest.get("spec") or {}).get("holderIdentity") == (
                self.identity
            ):
                self._lease, self._renewed = latest, now
                return
            raise self._held(latest or current) from None
        self._renewed = now

    def _held(self, lease: KubeObject) -> LockHeld:
        holder = holder_of(lease)
        return LockHeld(
            f"{self.org_id}: locked by {holder.holder} since {holder.acquired} "
            f"(Lease {SYSTEM_NAMESPACE}/{self.name}, renewed {holder.renewed}, "
            f"expires {holder.expires} unless renewed)",
            holder,
        )

    def keep(self) -> None:
        """Renew when a third of the duration has passed since the last renewal."""
        if self._lease is None or self._renewed is None:
            return
        now = self.clock()
        if now - self._renewed < timedelta(seconds=self.duration / 3):
            return
        body = dict(self._lease)
        spec = dict(body.get("spec") or {})
        spec["renewTime"] = _micro(now)
        body["spec"] = spec
        try:
            self._lease = self.cluster.replace(body)
        except Conflict:
            latest = self.cluster.get(LEASE, self.name, SYSTEM_NAMESPACE)
            if latest is None or (latest.get("spec") or {}).get("holderIdentity") != self.identity:
                holder = holder_of(latest) if latest else None
                who = holder.holder if holder else "nobody (the Lease was deleted)"
                raise LockLost(
                    f"{self.org_id}: the lock was taken over by {who} while this run held it"
                ) from None
            # our own renewal went through, and its retry found the new version
            self._lease = latest
        except ClusterError:
            return  # a renewal that failed after retries is tried again at the next step
        self._renewed = now

    def release(self) -> bool:
        """Delete the Lease if it is still ours; False when it could not be (it expires)."""
        if self._lease is None:
            return True
        lease: KubeObject = self._lease
        self._lease = None
        for _attempt in range(3):
            metadata = lease.get("metadata") or {}
            try:
                self.cluster.delete(
                    LEASE,
                    self.name,
                    SYSTEM_NAMESPACE,
                    preconditions={
                        "uid": str(metadata.get("uid", "")),
                        "resourceVersion": str(metadata.get("resourceVersion", "")),
                    },
                )
                return True
            except Conflict:
                # changed since we wrote it: ours still (a renewal whose answer was
                # lost), or taken over (then it is theirs now)
                try:
                    latest = self.cluster.get(LEASE, self.name, SYSTEM_NAMESPACE)
                except ClusterError:
                    return False
                if latest is None or (latest.get("spec") or {}).get("holderIdentity") != (
                    self.identity
                ):
                    return True
                lease = latest
            except ClusterError:
                return False  # left to expire after `duration` seconds
        return False
