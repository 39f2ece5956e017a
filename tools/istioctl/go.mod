// Pins istioctl, the oracle our renderer and injection templates are compared
// against in the conformance tests. Istio tags have no "v" prefix, so the
// release is required by its pseudo-version.
// istio-version: 1.27.0
module istio-operator.invalid/tools/istioctl

go 1.24.0

tool istio.io/istio/istioctl/cmd/istioctl

require istio.io/istio v0.0.0-20250808040725-7359d8be2504
