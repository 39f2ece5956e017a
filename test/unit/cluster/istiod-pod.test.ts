import assert from 'node:assert/strict';
import type * as k8s from '@kubernetes/client-node';
import {
  expandVars,
  imageTag,
  istiodReleaseOf,
  localArgs,
  localEnv,
  pilotDiscoveryNameOf,
  volumeContent,
  type EnvContext,
  type LocalPorts,
  type VolumeSources,
} from '../../../src/cluster/istiod-pod.js';
import { parseQuantity } from '../../../src/apply/subset.js';

const PORTS: LocalPorts = {
  http: 41000,
  https: 41001,
  grpc: 41002,
  secureGrpc: 41003,
  monitoring: 41004,
  ctrlz: 41005,
};

const ctx = (over: Partial<EnvContext> = {}): EnvContext => ({
  podName: 'istiod-local-abc',
  namespace: 'istio-system',
  serviceAccount: 'istiod',
  lookup: async (kind, name, key) =>
    kind === 'configMap' && name === 'cm' && key === 'k' ? 'from-cm' : undefined,
  ...over,
});

describe('local istiod: the Deployment’s container as a process', () => {
  describe('args', () => {
    it('binds every listener to its own loopback port and keeps the other args in order', () => {
      const { args, podPorts } = localArgs(
        [
          'discovery',
          '--monitoringAddr=:15014',
          '--log_output_level=default:info',
          '--domain',
          'cluster.local',
          '--keepaliveMaxServerConnectionAge',
          '30m',
        ],
        PORTS,
      );
      assert.deepEqual(args, [
        'discovery',
        '--log_output_level=default:info',
        '--domain',
        'cluster.local',
        '--keepaliveMaxServerConnectionAge',
        '30m',
        '--httpAddr=127.0.0.1:41000',
        '--httpsAddr=127.0.0.1:41001',
        '--grpcAddr=127.0.0.1:41002',
        '--secureGRPCAddr=127.0.0.1:41003',
        '--monitoringAddr=127.0.0.1:41004',
        '--ctrlz_port=41005',
        '--ctrlz_address=127.0.0.1',
      ]);
      assert.deepEqual(podPorts, {
        http: 8080,
        https: 15017,
        grpc: 15010,
        secureGrpc: 15012,
        monitoring: 15014,
      });
    });

    it('learns a listener’s pod port from the Deployment, in either flag form', () => {
      const { args, podPorts } = localArgs(
        ['discovery', '--httpsAddr', ':9443', '--grpcAddr=0.0.0.0:9010', '--ctrlz_port=1'],
        PORTS,
      );
      assert.equal(podPorts.https, 9443);
      assert.equal(podPorts.grpc, 9010);
      assert.equal(args.filter((a) => a.startsWith('--httpsAddr')).length, 1);
      assert.equal(args.filter((a) => a.startsWith('--ctrlz_port')).length, 1);
      assert.ok(!args.includes(':9443'), 'the separate value went with its flag');
    });
  });

  describe('env', () => {
    it('keeps values, resolves the downward API locally and reads ConfigMap keys', async () => {
      const { env, notes } = await localEnv(
        [
          { name: 'REVISION', value: 'default' },
          { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
          { name: 'POD_NAMESPACE', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
          {
            name: 'SERVICE_ACCOUNT',
            valueFrom: { fieldRef: { fieldPath: 'spec.serviceAccountName' } },
          },
          { name: 'IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
          { name: 'HOST', value: 'istiod.$(POD_NAMESPACE).svc' },
          { name: 'FROM_CM', valueFrom: { configMapKeyRef: { name: 'cm', key: 'k' } } },
          {
            name: 'MAYBE',
            valueFrom: { secretKeyRef: { name: 'none', key: 'k', optional: true } },
          },
        ],
        ctx(),
      );
      assert.deepEqual(env, {
        REVISION: 'default',
        POD_NAME: 'istiod-local-abc',
        POD_NAMESPACE: 'istio-system',
        SERVICE_ACCOUNT: 'istiod',
        IP: '127.0.0.1',
        HOST: 'istiod.istio-system.svc',
        FROM_CM: 'from-cm',
      });
      assert.deepEqual(notes, []);
    });

    it('sizes GOMAXPROCS and GOMEMLIMIT from limits, and leaves them out without', async () => {
      const vars: k8s.V1EnvVar[] = [
        {
          name: 'GOMEMLIMIT',
          valueFrom: { resourceFieldRef: { resource: 'limits.memory', divisor: '1' } },
        },
        {
          name: 'GOMAXPROCS',
          valueFrom: { resourceFieldRef: { resource: 'limits.cpu', divisor: '1' } },
        },
      ];
      const limited = await localEnv(
        vars,
        ctx({ resources: { limits: { cpu: '1500m', memory: '2Gi' } } }),
      );
      assert.deepEqual(limited.env, { GOMEMLIMIT: String(2 * 2 ** 30), GOMAXPROCS: '2' });
      const open = await localEnv(vars, ctx({ resources: { requests: { cpu: '10m' } } }));
      assert.deepEqual(open.env, {});
      assert.equal(open.notes.length, 2);
      assert.match(open.notes[0]!, /GOMEMLIMIT: the container sets no limits\.memory/);
    });

    it('fails on a required key that does not exist, naming it', async () => {
      await assert.rejects(
        localEnv([{ name: 'X', valueFrom: { secretKeyRef: { name: 's', key: 'k' } } }], ctx()),
        /env X: secret istio-system\/s has no key k/,
      );
    });

    it('expands $(VAR) like the kubelet, leaving unknown references and $$ escapes', () => {
      assert.equal(expandVars('a-$(X)-$(Y)-$$(X)', { X: '1' }), 'a-1-$(Y)-$(X)');
    });
  });

  describe('quantities', () => {
    for (const [q, n] of [
      ['500m', 0.5],
      ['2', 2],
      ['1Gi', 2 ** 30],
      ['100Mi', 100 * 2 ** 20],
      ['1k', 1000],
      ['1e3', 1000],
    ] as const) {
      it(`${q} → ${n}`, () => assert.equal(parseQuantity(q), n));
    }
    it('malformed → undefined', () => assert.equal(parseQuantity('lots'), undefined));
  });

  describe('volumes', () => {
    const src: VolumeSources = {
      configMap: async (n) => (n === 'istio-ca-root-cert' ? { 'root-cert.pem': 'PEM' } : undefined),
      secret: async (n) => (n === 'cacerts' ? { 'ca-cert.pem': Buffer.from('C') } : undefined),
      token: async (aud, exp) => `token(${aud},${exp})`,
    };

    it('writes ConfigMap and Secret keys, projected tokens, and nothing for absent optional ones', async () => {
      assert.deepEqual(
        await volumeContent(
          { name: 'a', configMap: { name: 'istio-ca-root-cert', optional: true } },
          src,
        ),
        { kind: 'files', files: [{ path: 'root-cert.pem', content: 'PEM', secret: false }] },
      );
      assert.deepEqual(
        await volumeContent({ name: 'b', secret: { secretName: 'cacerts', optional: true } }, src),
        {
          kind: 'files',
          files: [{ path: 'ca-cert.pem', content: Buffer.from('C'), secret: true }],
        },
      );
      assert.deepEqual(
        await volumeContent(
          { name: 'c', secret: { secretName: 'istio-kubeconfig', optional: true } },
          src,
        ),
        { kind: 'absent' },
      );
      assert.deepEqual(
        await volumeContent(
          {
            name: 'istio-token',
            projected: {
              sources: [
                {
                  serviceAccountToken: {
                    audience: 'istio-ca',
                    expirationSeconds: 43200,
                    path: 'istio-token',
                  },
                },
              ],
            },
          },
          src,
        ),
        {
          kind: 'files',
          files: [{ path: 'istio-token', content: 'token(istio-ca,43200)', secret: true }],
        },
      );
      assert.deepEqual(await volumeContent({ name: 'd', emptyDir: {} }, src), { kind: 'empty' });
    });

    it('fails on a missing required ConfigMap and reports volumes with no local meaning', async () => {
      await assert.rejects(
        volumeContent({ name: 'x', configMap: { name: 'nope' } }, src),
        /volume x: ConfigMap nope does not exist/,
      );
      assert.deepEqual(await volumeContent({ name: 'h', hostPath: { path: '/x' } }, src), {
        kind: 'unsupported',
        why: 'hostPath volumes have no local equivalent',
      });
    });
  });

  describe('which pilot-discovery', () => {
    const VERSION = 'operator.istio.io/version';
    it('reads the image tag of a reference with a registry port or a digest', () => {
      assert.equal(imageTag('docker.io/istio/pilot:1.31.4'), '1.31.4');
      assert.equal(imageTag('localhost:5000/istio/pilot:1.30.8-distroless'), '1.30.8-distroless');
      assert.equal(imageTag('localhost:5000/istio/pilot'), '');
      assert.equal(imageTag('docker.io/istio/pilot@sha256:abcd'), '');
      assert.equal(imageTag('docker.io/istio/pilot:1.31.4@sha256:abcd'), '1.31.4');
    });

    it("takes the operator's version label first, else the image tag", () => {
      assert.deepEqual(istiodReleaseOf({ [VERSION]: '1.30.8' }, 'docker.io/istio/pilot:1.31.4'), {
        version: '1.30.8',
        line: '1.30',
        source: 'label',
      });
      // istioctl or Helm installed it (no label), or the tag named no version (label `unknown`).
      for (const labels of [undefined, { [VERSION]: 'unknown' }]) {
        assert.deepEqual(istiodReleaseOf(labels, 'docker.io/istio/pilot:1.27.9-distroless'), {
          version: '1.27.9-distroless',
          line: '1.27',
          source: 'image',
        });
      }
      assert.equal(istiodReleaseOf({ [VERSION]: 'unknown' }, 'my/pilot:latest'), undefined);
    });

    it("runs the line's own pilot-discovery: 1.27's, 1.30's, 1.31's", () => {
      const of = (version: string) =>
        pilotDiscoveryNameOf(
          'istio-system/istiod',
          istiodReleaseOf({ [VERSION]: version }, ''),
          '',
        );
      assert.equal(of('1.27.9'), 'pilot-discovery');
      assert.equal(of('1.30.8'), 'pilot-discovery-1.30');
      assert.equal(of('1.31.4'), 'pilot-discovery-1.31');
    });

    it('refuses a line without one, naming the Deployment, its version and the line', () => {
      for (const version of ['1.28.10', '1.29.8']) {
        assert.throws(
          () =>
            pilotDiscoveryNameOf(
              'istio-system/istiod-canary',
              istiodReleaseOf({ [VERSION]: version }, `docker.io/istio/pilot:${version}`),
              `docker.io/istio/pilot:${version}`,
            ),
          (err: Error) => {
            const line = version.split('.').slice(0, 2).join('.');
            assert.match(err.message, /^Deployment istio-system\/istiod-canary runs Istio /);
            assert.ok(err.message.includes(`Istio ${version} (its ${VERSION} label)`), err.message);
            assert.ok(err.message.includes(`no pilot-discovery of the ${line} line`), err.message);
            assert.ok(err.message.includes('only 1.27, 1.30, 1.31 build'), err.message);
            return true;
          },
        );
      }
      assert.throws(
        () => pilotDiscoveryNameOf('ns/istiod', undefined, 'my/pilot:latest'),
        /Deployment ns\/istiod names no Istio version \(neither its operator\.istio\.io\/version label nor its image my\/pilot:latest\)/,
      );
    });
  });
});
