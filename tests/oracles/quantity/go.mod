module rdm/tests/oracles/quantity

go 1.22

require k8s.io/apimachinery v0.35.8
