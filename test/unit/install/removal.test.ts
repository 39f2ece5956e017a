import assert from 'node:assert/strict';
import type { IstioOperator } from '../../../src/api/types.js';
import {
  describeRemoval,
  type RemovalPlan,
  type RemoveOptions,
} from '../../../src/install/installer.js';

const iop = (namespace: string, name: string, deleting = false): IstioOperator => ({
  apiVersion: 'install.istio.io/v1alpha1',
  kind: 'IstioOperator',
  metadata: {
    name,
    namespace,
    finalizers: ['istio-finalizer.install.istio.io'],
    ...(deleting ? { deletionTimestamp: '2026-01-01T00:00:00Z' } : {}),
  },
  spec: {},
});

const plan = (
  options: Partial<RemoveOptions>,
  iops: IstioOperator[],
  available = 1,
): RemovalPlan => ({
  options: { purge: false, uninstallIstio: false, ...options },
  deployment: 'istio-operator/istio-operator',
  deploymentExists: available > 0,
  ...(available > 0
    ? { operator: { deployment: 'istio-operator/istio-operator', available } }
    : {}),
  crdInstalled: true,
  iops,
  otherOperators: [],
});

describe('what remove says before it asks', () => {
  const demo = [iop('istio-system', 'control-plane'), iop('istio-ingress', 'ingress')];

  it('--purge: Istio keeps running because the IstioOperators are released, never "keeps running" and then uninstalled', () => {
    const text = describeRemoval(plan({ purge: true }, demo));
    assert.match(text, /The Istio installation it manages keeps running/);
    assert.match(
      text,
      /--purge releases every IstioOperator \(2: istio-system\/control-plane, istio-ingress\/ingress\): their finalizer is removed first, so nothing is uninstalled/,
    );
    assert.doesNotMatch(text, /UNINSTALLS/);
  });

  it('--uninstall-istio says it uninstalls, and who does it', () => {
    const running = describeRemoval(plan({ uninstallIstio: true, purge: true }, demo));
    assert.match(running, /^This UNINSTALLS Istio: 2 IstioOperator\(s\)/);
    assert.match(
      running,
      /The running operator istio-operator\/istio-operator uninstalls them; remove waits/,
    );
    assert.match(running, /with the IstioOperator CRD\.$/m);
    const stopped = describeRemoval(plan({ uninstallIstio: true }, demo, 0));
    assert.match(
      stopped,
      /No running operator reconciles them: this command uninstalls them itself/,
    );
    assert.doesNotMatch(stopped, /keeps running/);
  });

  it('says when a deletion is pending that nothing will finish once the operator is gone', () => {
    const text = describeRemoval(plan({}, [...demo, iop('istio-egress', 'egress', true)]));
    assert.match(text, /deleting one later waits until an operator runs again/);
    assert.match(
      text,
      /IstioOperator istio-egress\/egress is being deleted and waits for the operator to uninstall it; once the operator is gone nothing will: finish it with `istio-operator uninstall egress -n istio-egress`/,
    );
    const purge = describeRemoval(plan({ purge: true }, [iop('istio-egress', 'egress', true)]));
    assert.match(
      purge,
      /istio-egress\/egress is being deleted and waiting for an uninstall: released, what it installed stays/,
    );
  });
});
