"""Is a host this machine? The one exception every outside edge makes to https.

GitHub, Slack, UptimeRobot and SMTP send a secret (a token, a webhook URL, an
API key, a password) only over TLS, except to a loopback address, where the
tests' and the demo's local servers answer. One rule for all four edges, so
that none of them widens it alone. Pure: it resolves no name.
"""

from __future__ import annotations

import ipaddress


def is_loopback(host: str) -> bool:
    """`localhost` or a loopback IP literal (127.0.0.0/8, ::1); never a name to resolve."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
