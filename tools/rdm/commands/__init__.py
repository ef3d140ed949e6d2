"""One module per `rdm` command; each exposes `command`, a click command that only
parses options, calls the library and returns an exit code.

A rule, a loading step or an output format does not belong here: it goes in
the core (`calendar`, `approvals`, `rendering`, ...), in an edge (`repository`,
`documents`, `github`) or in a reporter, where the library can use it too.
"""
