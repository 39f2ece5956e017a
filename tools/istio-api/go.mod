// Pins istio.io/api, Istio's published API module: its
// kubernetes/customresourcedefinitions.gen.yaml holds the 14 Istio config
// CRDs (schemas, CEL rules, printer columns) that istioctl 1.27.0 installs,
// byte for byte. scripts/istio-crds.ts extracts them at build time
// (`npm ci`, `npm run build`); go.sum pins the module's content. Nothing is
// built from this module, so it has no tool line and no Go sources.
module istio-operator.invalid/tools/istio-api

go 1.24.0

require istio.io/api v1.27.0
