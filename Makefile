# The two commands of the README. Both create .venv themselves.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
LOCALCLUSTER := tools/controlplane/localcluster.py

.PHONY: run example test lint bench bench-cluster bench-apply bench-faults fuzz clean controlplane cluster-up cluster-down cluster-status catalogs browser

# pt-BR text: the .po files are the source, the .mo files are built here (and by
# a wheel build, see setup.py); never committed. tools/rdm/i18n/README.md.
CATALOG_PO := $(wildcard tools/rdm/i18n/locale/*/LC_MESSAGES/rdm.po)
CATALOG_MO := $(CATALOG_PO:.po=.mo)

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test,manifests]'
	touch $(STAMP)

$(CATALOG_MO): %.mo: %.po $(STAMP)
	$(BIN)/python -m rdm.i18n.catalogs compile

## make catalogs: after adding or changing a message, bring the .po files up to date
catalogs: $(STAMP)
	$(BIN)/python -m rdm.i18n.catalogs update
	$(BIN)/python -m rdm.i18n.catalogs compile

## make run: set up, check the example repository (`make example`), then the main job
## on it: the example's history (a real git repository under build/demo), a local
## GitHub-shaped server with its reviews, the local control plane (built the first
## time: 15-30 min), `rdm rollout` at the emergency and in the window, `rdm status`
## and `rdm history`. Without Go it says so and shows `rdm rollout --dry-run`.
## tools/demo/run.py.
run: example
	$(BIN)/python tools/demo/run.py

## make example: check every file of the example (and the rendered manifests), show
## the calendar and whether a change may run now, render the manifests to build/manifests.
example: $(STAMP) $(CATALOG_MO)
	$(BIN)/rdm validate --manifests
	$(BIN)/rdm calendar --weeks 4
	@# exit 1 means "closed right now": information here, not a failure
	@echo "$(BIN)/rdm window"; $(BIN)/rdm window; code=$$?; \
	if [ $$code -eq 0 ]; then echo "(exit 0: the window is open, a normal change may run now)"; \
	elif [ $$code -eq 1 ]; then echo "(exit 1: the window is closed, no normal change may run now; only emergencies may)"; \
	else exit $$code; fi
	$(BIN)/rdm render --out build/manifests

## make test: set up and run the whole suite (lint and types included); builds the
## local control plane first, or reuses it (without Go, outside CI, the cluster tests skip)
test: $(STAMP) $(CATALOG_MO)
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
	$(BIN)/python bench/calendar_scale.py
	$(BIN)/python bench/people.py

## make fuzz: the atheris campaign over the loader and the validator (bench/fuzz.py);
## FUZZ_RUNS executions (~11 min on an idle core at the default). Installs the fuzz extra.
FUZZ_RUNS ?= 150000
fuzz: $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[fuzz]'
	$(BIN)/python bench/fuzz.py -runs=$(FUZZ_RUNS)

## make bench-cluster: warm build, cluster start/stop and apply-to-rolled-out times
bench-cluster: controlplane
	$(BIN)/python bench/controlplane.py

## make bench-apply: 1,000 generated topologies applied by a kubectl loop and by rdm (concurrency
## 8 and 16), each on a fresh local control plane it starts itself (building it first if needed);
## about 45 minutes on 2 cores. Figures in docs/benchmarks.md. BENCH_APPLY_ARGS=--topologies 50 for a quick one.
bench-apply: controlplane
	$(BIN)/python bench/apply.py $(BENCH_APPLY_ARGS)

## make bench-faults: 100 applies through the fault-injecting proxy, each judged from outside
## (zero half-applied is the bar), on a fresh local control plane; BENCH_FAULTS_ARGS=--seed N to repeat one
bench-faults: controlplane
	$(BIN)/python bench/faults.py $(BENCH_FAULTS_ARGS)

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

## make browser: headless Chromium and chromium-driver (Debian packages) for the
## browser tests; .ci/run calls it under CI=true
browser:
	.ci/install-chromium

clean:
	rm -rf $(VENV) build .pytest_cache .mypy_cache .ruff_cache
