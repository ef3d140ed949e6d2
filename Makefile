# The two commands of the README. Both create .venv themselves.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
LOCALCLUSTER := tools/controlplane/localcluster.py

.PHONY: run test lint bench bench-cluster clean controlplane cluster-up cluster-down cluster-status

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test,manifests]'
	touch $(STAMP)

## make run: set up, then the main job on the bundled example repository:
## check every file (and the rendered manifests), show the calendar and whether
## a change may run now, and render the manifests to build/manifests.
run: $(STAMP)
	$(BIN)/rdm validate --manifests
	$(BIN)/rdm calendar --weeks 4
	@# exit 1 means "closed right now": information here, not a failure
	-$(BIN)/rdm window
	$(BIN)/rdm render --out build/manifests

## make test: set up and run the whole suite (lint and types included); builds the
## local control plane first, or reuses it (without Go, outside CI, the cluster tests skip)
test: $(STAMP)
	$(BIN)/ruff check tools tests bench
	$(BIN)/mypy
	$(BIN)/python $(LOCALCLUSTER) build --skip-without-go
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check tools tests bench
	$(BIN)/mypy

bench: $(STAMP)
	$(BIN)/python bench/validate.py
	$(BIN)/python bench/render.py

## make bench-cluster: warm build, cluster start/stop and apply-to-rolled-out times
bench-cluster: controlplane
	$(BIN)/python bench/controlplane.py

## make controlplane: build kube-apiserver, kube-controller-manager, kube-scheduler, kubectl,
## etcd and kwok from their pinned Go modules into ~/.cache/rdm/controlplane (reused later)
controlplane: $(STAMP)
	$(BIN)/python $(LOCALCLUSTER) build

## make cluster-up / cluster-down: a local control plane with kwok nodes (build/cluster/kubeconfig)
cluster-up: $(STAMP)
	$(BIN)/python $(LOCALCLUSTER) up

cluster-down: $(STAMP)
	$(BIN)/python $(LOCALCLUSTER) down

cluster-status: $(STAMP)
	$(BIN)/python $(LOCALCLUSTER) status

clean:
	rm -rf $(VENV) build .pytest_cache .mypy_cache .ruff_cache
