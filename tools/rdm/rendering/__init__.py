"""Rendering: topologies to Kubernetes manifests through the Jinja2 templates here.

Reads only its own templates; never touches the cluster.
"""
