// Pins istio.io/api for Istio 1.30: its kubernetes/customresourcedefinitions.gen.yaml
// holds the Istio config CRDs (schemas, CEL rules, printer columns) that
// istioctl 1.30 installs, spec for spec (checked by the conformance suite).
// scripts/istio-crds.ts extracts them at build time (`npm ci`, `npm run
// build`); go.sum pins the module's content. Nothing is built from this
// module, so it has no tool line and no Go sources.
module istio-operator.invalid/tools/istio-api/1.30

go 1.24.0

require istio.io/api v1.30.8
