// Pins sigs.k8s.io/gateway-api at the version Istio 1.27.0 is built against
// (istio.io/istio's go.mod): its config/crd/standard/*.yaml are the Gateway
// API CRDs the real-istiod tests install before asking istiod to deploy a
// Gateway (test/support/gateway-api.ts reads them with `go mod download`).
// go.sum pins the module's content. Nothing is built from this module.
module istio-operator.invalid/tools/gateway-api

go 1.24.0

require sigs.k8s.io/gateway-api v1.3.0
