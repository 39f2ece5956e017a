// Pins sigs.k8s.io/gateway-api at the version Istio 1.27.0 is built against
// (istio.io/istio's go.mod): its config/crd/standard/*.yaml are the
// Gateway API CRDs the real-istiod tests install for the 1.27 line before
// asking istiod to deploy a Gateway (test/support/gateway-api.ts reads them
// with `go mod download`; a unit test checks this pin equals the one in the
// line's pilot-discovery wrapper, tools/istiod). go.sum pins the module's
// content. Nothing is built from this module.
module istio-operator.invalid/tools/gateway-api/1.27

go 1.24.0

require sigs.k8s.io/gateway-api v1.3.0
