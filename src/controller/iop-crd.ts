import { describeKubeError, isNotFound } from '../kube/errors.js';

/** A one-line reason an IstioOperator list failed, naming the CRD when it is missing. */
export function describeIopListError(err: unknown): string {
  if (isNotFound(err)) return crdMissingMessage();
  return describeKubeError(err);
}

/** What to say when the IstioOperator CRD is not installed. */
export function crdMissingMessage(): string {
  return (
    'the IstioOperator CRD (istiooperators.install.istio.io) is not installed in this cluster: ' +
    'install it with `istio-operator init` (the operator and the CRD), or only the CRD with ' +
    '`kubectl apply -f crds/istiooperators.install.istio.io.yaml`'
  );
}
