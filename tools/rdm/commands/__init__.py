"""One module per `rdm` command; each exposes `command`, a click command that only
parses options, calls the library and returns an exit code."""
