"""Orchestration against the cluster: apply, snapshots, rollback, lock, drift, health waits.

The layer between the thin commands and the cluster edge. It receives the
cluster through the `ports.Cluster` Protocol and the clock and sleep as
arguments, imports no I/O library and reads no clock (tests/test_architecture.py
checks it), so unit tests drive it without a network. The rules it follows are
pure functions in `rdm.decisions` (health, drift, changes) and `rdm.model`
(objects, fields, snapshots). Library entry point: `applier.apply_topologies`.
"""
