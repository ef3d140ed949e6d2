"""Decisions: the calendar, the committee's verdict, standard changes, CODEOWNERS.

Each takes data and an instant and returns a decision that explains itself.
Pure: nothing here reads the clock, a file, git, GitHub or the cluster.
"""
