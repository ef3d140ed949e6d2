"""The model: problems, RDMs, topologies, policy and their schemas.

Frozen dataclasses built from schema-valid mappings, and the rules each file
kind holds on its own. Pure: no clock, no network, no git; the only files read
are the JSON schemas shipped with rdm.
"""
