"""The edges: every module here talks to something outside rdm.

`sources` reads files from a work tree or a git revision, `repository` loads
and writes the repository through it, `github` talks to GitHub's REST API.
Each outside library is imported by its edge alone (tests/test_architecture.py).
"""
