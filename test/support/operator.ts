import type * as k8s from '@kubernetes/client-node';
import { randomBytes } from 'node:crypto';
import type { IstioOperator } from '../../src/api/types.js';
import type { ManagerOptions, OperatorManager } from '../../src/controller/manager.js';
import { Operator } from '../../src/controller/operator.js';
import { KubeClient, type ObjectRef } from '../../src/kube/client.js';
import { waitFor } from '../../src/cluster/health.js';
import { isNotFound } from '../../src/kube/errors.js';
import type { RunningControlPlane } from '../../src/cluster/controlplane.js';
import { useCluster } from './cluster.js';
import { installIstioOperatorCrd } from './crd.js';

/** What the operator tests share: a client, fresh namespaces, and an operator to start. */
export interface OperatorEnv {
  kc: k8s.KubeConfig;
  client: KubeClient;
  /** Creates a namespace with a random suffix. */
  namespace(prefix: string): Promise<string>;
  /** Starts an operator (in-process) watching `namespaces`. */
  startOperator(namespaces: string[], opts?: Partial<ManagerOptions>): Promise<OperatorManager>;
  /** Whether the object exists. */
  exists(ref: ObjectRef): Promise<boolean>;
  /** Waits until the IstioOperator is gone (its finalizer ran); fails after `ms`. */
  uninstalled(namespace: string, name: string, ms?: number): Promise<void>;
  /** The IstioOperator, as the API server has it now. */
  getIop(namespace: string, name: string): Promise<IstioOperator>;
}

/** A reference to an IstioOperator. */
export function iopRef(namespace: string, name: string): ObjectRef {
  return {
    apiVersion: 'install.istio.io/v1alpha1',
    kind: 'IstioOperator',
    metadata: { name, namespace },
  };
}

/** A reference to a Deployment. */
export function deploymentRef(namespace: string, name: string): ObjectRef {
  return { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name, namespace } };
}

/** Connects to the shared control plane and installs the IstioOperator CRD. */
export async function operatorEnv(cluster?: RunningControlPlane): Promise<OperatorEnv> {
  const kc = (cluster ?? (await useCluster())).kubeConfig();
  const client = new KubeClient(kc);
  await installIstioOperatorCrd(kc);
  const exists = async (ref: ObjectRef) => {
    try {
      await client.get(ref);
      return true;
    } catch (e) {
      if (isNotFound(e)) return false;
      throw e;
    }
  };
  return {
    kc,
    client,
    exists,
    uninstalled: (namespace, name, ms = 60_000) =>
      waitFor(
        `IstioOperator ${namespace}/${name} uninstalled`,
        async () => !(await exists(iopRef(namespace, name))),
        ms,
        undefined,
        200,
      ),
    namespace: async (prefix) => {
      const name = `${prefix}-${randomBytes(3).toString('hex')}`;
      await client.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
      return name;
    },
    startOperator: async (namespaces, opts = {}) => {
      // Started as every operator starts (controller/operator.ts), without probes.
      const op = new Operator({
        kubeConfig: kc,
        watchNamespaces: namespaces,
        requeueWhileRollingMs: 500,
        // Revision claims in the file's first namespace, as `run` keeps them
        // in the operator's: the operators one file starts see each other's.
        ...(namespaces[0] ? { claimNamespace: namespaces[0] } : {}),
        ...opts,
      });
      await op.start();
      return op.manager;
    },
    getIop: async (namespace, name) =>
      (await client.get(iopRef(namespace, name))) as unknown as IstioOperator,
  };
}
