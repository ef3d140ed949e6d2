"""rdm: change management (Requisição de Mudança) as code for a shared Kubernetes SaaS.

The package follows one direction of flow: load -> validate -> decide -> render ->
apply -> record. Decisions (calendar, approvals, gate) are pure; I/O lives in the
edges (`documents` for files and git, `github` for reviews, `cluster` for the API).
"""

__version__ = "0.1.0"
