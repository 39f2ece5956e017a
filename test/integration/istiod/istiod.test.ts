import type * as k8s from '@kubernetes/client-node';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import {
  ensureBinaries,
  ISTIO_BINARY_LINES,
  istioctlFor,
  pilotDiscoveryFor,
} from '../../../src/cluster/binaries.js';
import { probe, waitFor } from '../../../src/cluster/health.js';
import { startLocalIstiod, type LocalIstiod } from '../../../src/cluster/istiod.js';
import type { OperatorManager } from '../../../src/controller/manager.js';
import { toKubeError } from '../../../src/kube/errors.js';
import { kubeRequest } from '../../../src/kube/request.js';
import type { RunningControlPlane } from '../../../src/cluster/controlplane.js';
import { ownCluster } from '../../support/cluster.js';
import { releaseOfMinor } from '../../../src/releases/catalog.js';
import { installGatewayApiCrds } from '../../support/gateway-api.js';
import {
  isLoopbackAddress,
  injectedLikeKubeInject,
  processUsage,
  socketsOf,
  webApp as app,
  configurationErrors,
  firstPodOf,
  toleratedErrors,
} from '../../support/istiod.js';
import { deploymentRef, iopRef, operatorEnv, type OperatorEnv } from '../../support/operator.js';
import { FORCE_DELETE_ANNOTATION, IOP_RESOURCE } from '../../../src/api/vocabulary.js';
import { keepForSuite } from '../../support/operator-leaks.js';

/** A cold build of pilot-discovery (and istioctl) on a contended 2-core machine. */
const BUILD_TIMEOUT_MS = 40 * 60_000;

const webhookRef = (kind: string, name: string) => ({
  apiVersion: 'admissionregistration.k8s.io/v1',
  kind,
  metadata: { name },
});

type Hooks = k8s.V1MutatingWebhookConfiguration | k8s.V1ValidatingWebhookConfiguration;

/**
 * The same suite for every Istio line with a module-built pilot-discovery
 * (1.27, 1.30, 1.31): the operator installs the line's default patch, and
 * startLocalIstiod runs that line's pilot-discovery in place of its pods.
 */
for (const line of ISTIO_BINARY_LINES) describeLine(line);

function describeLine(line: string) {
  /** The patch the operator installs: the line's default (the pilot-discovery stands in for it). */
  const tag = releaseOfMinor(line)?.patch;
  const pilotDiscovery = pilotDiscoveryFor(line)!;
  const istioctlName = istioctlFor(line)!;
  describe(`the real istiod (pilot-discovery ${line}) against what the operator installs`, function () {
    let env: OperatorEnv;
    let dir: string;
    let cluster: RunningControlPlane | undefined;
    let istioctl: string;
    let ns: string;
    const managers: OperatorManager[] = [];
    const istiods: LocalIstiod[] = [];
    const appNamespaces: string[] = [];
    let istiod: LocalIstiod;
    let appliedToReady = 0;
    let suiteStarted = 0;

    const iop = (name: string, spec: Record<string, unknown>) => ({
      ...iopRef(ns, name),
      // Uninstall at the end even though this test's pods still use the revision.
      metadata: { name, namespace: ns, annotations: { [FORCE_DELETE_ANNOTATION]: 'true' } },
      // The real istiod here is the line's pilot-discovery: install that line for it.
      spec: { namespace: ns, tag, ...spec },
    });

    const healthy = (name: string) =>
      waitFor(
        `${name} HEALTHY`,
        async () => (await env.getIop(ns, name)).status?.status === 'HEALTHY',
        90_000,
        undefined,
        200,
      );

    const appNamespace = async (prefix: string, labels: Record<string, string>) => {
      const name = await env.namespace(prefix);
      await env.client.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels } });
      appNamespaces.push(name);
      return name;
    };

    /** Creates a Deployment and returns its first pod, as the webhooks left it. */
    const podOf = (d: k8s.V1Deployment) => firstPodOf(env.client, d);

    /** The pod the real webhook injected equals kube-inject's template with the same ConfigMaps. */
    const assertInjectedLikeKubeInject = async (
      d: k8s.V1Deployment,
      revision: string,
    ): Promise<k8s.V1Pod> => {
      return await injectedLikeKubeInject({
        istioctl,
        kc: env.kc,
        client: env.client,
        istioNamespace: ns,
        revision,
        deployment: d,
      });
    };

    before(async function () {
      this.timeout(BUILD_TIMEOUT_MS);
      suiteStarted = Date.now();
      assert.ok(tag, `the catalog carries Istio ${line}`);
      const progress = (l: string) => process.stderr.write(`      [build] ${l}\n`);
      // Both found (or built, loudly) up front: pilot-discovery is what
      // startLocalIstiod picks for the line, istioctl the kube-inject oracle.
      const bins = await ensureBinaries([pilotDiscovery, istioctlName], { onProgress: progress });
      istioctl = bins[istioctlName];
      // Its own control plane: the shared one holds other files' webhook
      // configurations, which the pods and Istio config created here would meet.
      cluster = await ownCluster(`istiod-${line}`);
      dir = cluster.dir;
      env = await operatorEnv(cluster);
      // Before istiod starts, as a user would have them: istiod's Gateway
      // controllers start once it sees the Gateway API served. The version
      // the line's istiod is built against (tools/gateway-api/<line>).
      await installGatewayApiCrds(env.client, line);
      ns = await env.namespace('istiod');
      managers.push(await env.startOperator([ns]));
      const applied = Date.now();
      await env.client.apply(iop('control-plane', { profile: 'default' }));
      await waitFor(
        'istiod Deployment applied',
        () => env.exists(deploymentRef(ns, 'istiod')),
        60_000,
        undefined,
        100,
      );
      // No binary named: startLocalIstiod picks the Deployment's line's.
      istiod = await startLocalIstiod({ kubeConfig: env.kc, controlPlaneDir: dir, namespace: ns });
      istiods.push(istiod);
      appliedToReady = (Date.now() - applied) / 1000;
      process.stderr.write(
        `      [istiod ${line}] IstioOperator applied → istiod ready in ${appliedToReady.toFixed(1)}s ` +
          `(start → ready ${istiod.readySeconds.toFixed(1)}s, pilot-discovery ${istiod.binary.version}); ` +
          `log ${istiod.log}\n`,
      );
    });

    after(async function () {
      this.timeout(180_000);
      for (const n of appNamespaces) {
        await env?.client
          .delete({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: n } })
          .catch(() => {});
      }
      // Uninstall first, so no webhook configuration outlives its istiod.
      for (const name of ['ambient', 'canary', 'control-plane']) {
        if (!env) break;
        await env.client.delete(iopRef(ns, name)).catch(() => {});
        await env.uninstalled(ns, name, 120_000).catch(() => {});
      }
      // Read now: stopping the control plane removes its folder, logs included.
      const noise = istiods.map(
        (i) => `${i.name} ${JSON.stringify(toleratedErrors(readFileSync(i.log, 'utf8')))}`,
      );
      for (const i of istiods) await i.stop();
      for (const m of managers) await m.stop();
      await cluster?.stop();
      process.stderr.write(
        `      [istiod ${line}] suite took ${((Date.now() - suiteStarted) / 1000).toFixed(0)}s; ` +
          `ready (start → /ready): ${istiods.map((i) => `${i.name} ${i.readySeconds.toFixed(1)}s`).join(', ')}; ` +
          `tolerated error lines: ${noise.join(', ')}\n`,
      );
    });

    it(`runs the line's own pilot-discovery for Istio ${tag}, ready on its own readiness endpoint, with no error in its log`, async () => {
      assert.deepEqual(
        {
          release: istiod.release,
          binary: istiod.binary.name,
          stamped: istiod.binary.version?.split('.').slice(0, 2).join('.'),
        },
        {
          release: { version: tag, line, source: 'label' },
          binary: pilotDiscovery,
          stamped: line,
        },
      );
      assert.equal((await probe(istiod.readyUrl)).status, 200);
      await healthy('control-plane');
      const log = readFileSync(istiod.log, 'utf8');
      assert.match(log, /mesh configuration: /, 'istiod read the mesh ConfigMap');
      const errors = configurationErrors(log);
      assert.deepEqual(errors, [], `errors in ${istiod.log}`);
      // The GatewayClass controller's self-race (SELF_RACED_CLASS) converged:
      // both built-in classes are there, as istiod writes them.
      const controllers: Record<string, string> = {};
      await waitFor(
        'the built-in GatewayClasses',
        async () => {
          const classes = await env.client.list<
            k8s.KubernetesObject & { spec?: { controllerName?: string } }
          >({
            apiVersion: 'gateway.networking.k8s.io/v1',
            kind: 'GatewayClass',
            plural: 'gatewayclasses',
            namespaced: false,
          });
          for (const gc of classes) {
            const name = gc.metadata?.name ?? '';
            if (['istio', 'istio-remote'].includes(name) && gc.spec?.controllerName)
              controllers[name] = gc.spec.controllerName;
          }
          return Object.keys(controllers).length === 2;
        },
        30_000,
        undefined,
        200,
      );
      assert.deepEqual(controllers, {
        istio: 'istio.io/gateway-controller',
        'istio-remote': 'istio.io/unmanaged-gateway',
      });
    });

    it('listens and connects on loopback only', () => {
      const sockets = socketsOf(istiod.pid);
      assert.ok(sockets.some((s) => s.listening && s.local.endsWith(`:${istiod.ports.https}`)));
      const outside = sockets.filter(
        (s) => !isLoopbackAddress(s.local) || (!s.listening && !isLoopbackAddress(s.remote)),
      );
      assert.deepEqual(outside, []);
    });

    it('injects a Deployment in an istio-injection=enabled namespace as istioctl kube-inject does', async () => {
      const appNs = await appNamespace('inject', { 'istio-injection': 'enabled' });
      const pod = await assertInjectedLikeKubeInject(app(appNs, 'web'), '');
      assert.equal(pod.metadata?.annotations?.['istio.io/rev'], 'default');
      // And a namespace without the label is left alone.
      const plain = await appNamespace('plain', {});
      const untouched = await podOf(app(plain, 'web'));
      assert.deepEqual(
        untouched.spec!.containers.map((c) => c.name),
        ['web'],
      );
    });

    it('denies an invalid VirtualService and DestinationRule with its validating webhook; admits valid ones', async () => {
      const appNs = await appNamespace('config', {});
      const vs = (regex: string) => ({
        apiVersion: 'networking.istio.io/v1',
        kind: 'VirtualService',
        // Only labelled objects: the rendered istio-validator-<ns> selects
        // istio.io/rev=default; istioctl adds istiod-default-validator for
        // unlabelled ones at install time, which manifest generate (and so the
        // operator) does not render.
        metadata: { name: 'reviews', namespace: appNs, labels: { 'istio.io/rev': 'default' } },
        spec: {
          hosts: ['reviews'],
          http: [{ match: [{ uri: { regex } }], route: [{ destination: { host: 'reviews' } }] }],
        },
      });
      const dr = (maxConnections: number) => ({
        apiVersion: 'networking.istio.io/v1',
        kind: 'DestinationRule',
        metadata: { name: 'reviews', namespace: appNs, labels: { 'istio.io/rev': 'default' } },
        spec: {
          host: 'reviews',
          trafficPolicy: { connectionPool: { tcp: { maxConnections } } },
        },
      });
      // Server-side apply by path: DestinationRule is no kind the operator's client knows.
      const applyAny = async (obj: k8s.KubernetesObject) => {
        const plural = `${obj.kind!.toLowerCase()}s`;
        await kubeRequest(
          env.kc,
          'PATCH',
          `/apis/${obj.apiVersion}/namespaces/${appNs}/${plural}/${obj.metadata!.name}?fieldManager=istiod-test`,
          obj,
          'application/apply-patch+yaml',
        );
      };
      const denied = async (obj: k8s.KubernetesObject, why: RegExp) => {
        const err = await applyAny(obj).then(
          () => undefined,
          (e: unknown) => toKubeError(e),
        );
        assert.ok(err, `${obj.kind} was admitted`);
        assert.match(
          err.message,
          /admission webhook "rev\.validation\.istio\.io" denied the request/,
        );
        assert.match(err.message, why);
      };
      // istiod puts its CA into the validator, then turns it fail-closed: until
      // then the API server cannot verify it and fails open.
      await waitFor(
        'istiod patched istio-validator (caBundle, failurePolicy Fail)',
        async () => {
          const v = (await env.client.get(
            webhookRef('ValidatingWebhookConfiguration', `istio-validator-${ns}`),
          )) as k8s.V1ValidatingWebhookConfiguration;
          return !!v.webhooks?.every((w) => w.clientConfig.caBundle && w.failurePolicy === 'Fail');
        },
        60_000,
        undefined,
        200,
      );
      await denied(vs('[a-z'), /error parsing regexp/);
      await denied(dr(-1), /max connections must be non-negative/);
      await applyAny(vs('^/reviews/[a-z]+$'));
      await applyAny(dr(100));
    });

    it("publishes its CA's root certificate as istio-ca-root-cert into namespaces", async () => {
      const appNs = await appNamespace('ca', {});
      let root = '';
      await waitFor(
        'istio-ca-root-cert',
        async () => {
          try {
            const cm = (await env.client.get({
              apiVersion: 'v1',
              kind: 'ConfigMap',
              metadata: { name: 'istio-ca-root-cert', namespace: appNs },
            })) as k8s.V1ConfigMap;
            root = cm.data?.['root-cert.pem'] ?? '';
            return root !== '';
          } catch {
            return false;
          }
        },
        30_000,
        undefined,
        200,
      );
      assert.match(root, /^-----BEGIN CERTIFICATE-----/);
      // The same CA istiod put into the webhook configurations.
      const hooks = (await env.client.get(
        webhookRef('MutatingWebhookConfiguration', `istio-sidecar-injector-${ns}`),
      )) as k8s.V1MutatingWebhookConfiguration;
      const bundle = Buffer.from(hooks.webhooks![0]!.clientConfig.caBundle ?? '', 'base64');
      assert.equal(bundle.toString().trim(), root.trim());
    });

    it('runs a revisioned istiod beside it: istio.io/rev=<rev> namespaces and a revision tag inject through it', async () => {
      managers.push(keepForSuite(await env.startOperator([ns], { revision: 'canary' })));
      await env.client.apply(
        iop('canary', {
          profile: 'default',
          revision: 'canary',
          components: {
            base: { enabled: false },
            ingressGateways: [{ name: 'istio-ingressgateway', enabled: false }],
          },
          values: { revisionTags: ['prod'] },
        }),
      );
      // Start it once the operator has applied everything, as for the default
      // istiod: started mid-apply, istiod's first caBundle patch can meet the
      // operator's first write of the same webhook configuration (a 409 it
      // retries and logs as an error).
      await healthy('canary');
      const canary = await startLocalIstiod({
        kubeConfig: env.kc,
        controlPlaneDir: dir,
        namespace: ns,
        revision: 'canary',
      });
      istiods.push(canary);
      assert.notDeepEqual(canary.ports, istiod.ports);
      assert.equal((await probe(istiod.readyUrl)).status, 200, 'the default istiod still runs');

      const revNs = await appNamespace('rev', { 'istio.io/rev': 'canary' });
      const pod = await assertInjectedLikeKubeInject(app(revNs, 'web'), 'canary');
      assert.equal(pod.metadata?.annotations?.['istio.io/rev'], 'canary');
      const proxy = pod.spec!.containers.find((c) => c.name === 'istio-proxy')!;
      assert.equal(
        proxy.env?.find((e) => e.name === 'CA_ADDR')?.value,
        `istiod-canary.${ns}.svc:15012`,
      );

      const tagNs = await appNamespace('tag', { 'istio.io/rev': 'prod' });
      const tagged = await assertInjectedLikeKubeInject(app(tagNs, 'web'), 'canary');
      assert.equal(tagged.metadata?.annotations?.['istio.io/rev'], 'canary');
      const log = readFileSync(canary.log, 'utf8');
      assert.deepEqual(configurationErrors(log), [], `errors in ${canary.log}`);
    });

    /** A Gateway API Gateway of `className`, listening on `port`. */
    const gateway = (namespace: string, name: string, className: string, extra = {}) => ({
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind: 'Gateway',
      metadata: { name, namespace, ...extra },
      spec: {
        gatewayClassName: className,
        listeners:
          className === 'istio-waypoint'
            ? [{ name: 'mesh', port: 15008, protocol: 'HBONE' }]
            : [{ name: 'http', port: 80, protocol: 'HTTP' }],
      },
    });

    /** Server-side applies a Gateway API Gateway (not a kind the operator's client manages). */
    const applyGateway = async (gw: ReturnType<typeof gateway>) => {
      const r = await kubeRequest(
        env.kc,
        'PATCH',
        `/apis/gateway.networking.k8s.io/v1/namespaces/${gw.metadata.namespace}/gateways/${gw.metadata.name}?fieldManager=istiod-test`,
        gw,
        'application/apply-patch+yaml',
      );
      assert.ok(r.status < 300, `apply Gateway ${gw.metadata.name}: ${r.status} ${r.body}`);
    };

    /** The Deployment and Service istiod's Gateway deployment controller made for Gateway `name`. */
    const deployedFor = async (namespace: string, name: string) => {
      const selector = `gateway.networking.k8s.io/gateway-name=${name}`;
      let found: { deployment: k8s.V1Deployment; service: k8s.V1Service } | undefined;
      await waitFor(
        `istiod's Deployment and Service for Gateway ${namespace}/${name}`,
        async () => {
          const [deployments, services] = await Promise.all([
            env.client.list<k8s.V1Deployment>(
              {
                apiVersion: 'apps/v1',
                kind: 'Deployment',
                plural: 'deployments',
                namespaced: true,
              },
              namespace,
              selector,
            ),
            env.client.list<k8s.V1Service>(
              { apiVersion: 'v1', kind: 'Service', plural: 'services', namespaced: true },
              namespace,
              selector,
            ),
          ]);
          if (deployments[0] && services[0]) {
            found = { deployment: deployments[0], service: services[0] };
          }
          return found !== undefined;
        },
        60_000,
        undefined,
        250,
      );
      return found!;
    };

    /** Who wrote the object: istiod applies gateway objects with its own field manager. */
    const managers_ = (o: k8s.KubernetesObject) =>
      (o.metadata?.managedFields ?? []).map((f) => f.manager ?? '');

    it('deploys a Gateway API Gateway of class istio from our kube-gateway template', async () => {
      const gwNs = await appNamespace('gw', {});
      await applyGateway(gateway(gwNs, 'web', 'istio'));
      const { deployment, service } = await deployedFor(gwNs, 'web');
      assert.ok(
        managers_(deployment).some((m) => /gateway/i.test(m)),
        `written by istiod's Gateway controller: ${managers_(deployment).join(', ')}`,
      );
      const pod = deployment.spec!.template;
      const proxy = pod.spec!.containers.find((c) => c.name === 'istio-proxy');
      assert.ok(proxy, 'the Deployment runs istio-proxy');
      assert.equal(proxy.image, `docker.io/istio/proxyv2:${tag}`);
      assert.ok(proxy.args?.includes('router'), `a router proxy: ${JSON.stringify(proxy.args)}`);
      assert.equal(pod.metadata?.labels?.['gateway.networking.k8s.io/gateway-name'], 'web');
      assert.equal(service.spec?.type, 'LoadBalancer');
      assert.ok(
        service.spec?.ports?.some((p) => p.port === 80),
        'the listener port is served',
      );
      // The proxy's xDS and CA address is this revision's istiod.
      const caAddr = proxy.env?.find((e) => e.name === 'CA_ADDR')?.value;
      assert.equal(caAddr, `istiod.${ns}.svc:15012`);
      const log = readFileSync(istiod.log, 'utf8');
      assert.doesNotMatch(log, /template defined/, 'istiod found every template it asked for');
      assert.deepEqual(configurationErrors(log), [], `errors in ${istiod.log}`);
    });

    it('deploys an ambient waypoint from our waypoint template (ambient profile, its own revision)', async () => {
      managers.push(keepForSuite(await env.startOperator([ns], { revision: 'amb' })));
      await env.client.apply(
        iop('ambient', {
          profile: 'ambient',
          revision: 'amb',
          components: { base: { enabled: false } },
        }),
      );
      await healthy('ambient');
      const amb = await startLocalIstiod({
        kubeConfig: env.kc,
        controlPlaneDir: dir,
        namespace: ns,
        revision: 'amb',
      });
      istiods.push(amb);
      const wpNs = await appNamespace('waypoint', { 'istio.io/rev': 'amb' });
      await applyGateway(
        gateway(wpNs, 'waypoint', 'istio-waypoint', {
          labels: { 'istio.io/waypoint-for': 'service', 'istio.io/rev': 'amb' },
        }),
      );
      const { deployment, service } = await deployedFor(wpNs, 'waypoint');
      const pod = deployment.spec!.template;
      const proxy = pod.spec!.containers.find((c) => c.name === 'istio-proxy');
      assert.ok(proxy, 'the waypoint runs istio-proxy');
      assert.ok(
        proxy.args?.includes('waypoint'),
        `a waypoint proxy: ${JSON.stringify(proxy.args)}`,
      );
      assert.equal(
        proxy.env?.find((e) => e.name === 'CA_ADDR')?.value,
        `istiod-amb.${ns}.svc:15012`,
      );
      assert.equal(
        pod.metadata?.labels?.['istio.io/dataplane-mode'],
        'none',
        'never captured itself',
      );
      assert.equal(service.spec?.type, 'ClusterIP');
      assert.ok(
        service.spec?.ports?.some((p) => p.port === 15008),
        'HBONE on 15008',
      );
      const log = readFileSync(amb.log, 'utf8');
      assert.doesNotMatch(log, /template defined/, 'istiod found every template it asked for');
      assert.deepEqual(configurationErrors(log), [], `errors in ${amb.log}`);
    });

    it('shares the webhook configurations with the operator: istiod patches caBundle and failurePolicy, the operator writes 0 times in 2 minutes', async function () {
      this.timeout(200_000);
      const names: [string, string][] = [
        ['MutatingWebhookConfiguration', `istio-sidecar-injector-${ns}`],
        ['MutatingWebhookConfiguration', `istio-sidecar-injector-canary-${ns}`],
        ['MutatingWebhookConfiguration', `istio-revision-tag-prod-${ns}`],
        // The default revision's injector, deactivated, and its tag (one injector per revision).
        ['MutatingWebhookConfiguration', `istio-revision-tag-default-${ns}`],
        ['ValidatingWebhookConfiguration', `istio-validator-${ns}`],
        ['ValidatingWebhookConfiguration', `istio-validator-canary-${ns}`],
      ];
      const read = async () =>
        await Promise.all(
          names.map(
            async ([kind, name]) => (await env.client.get(webhookRef(kind, name))) as Hooks,
          ),
        );
      // istiod's part: every webhook carries its CA, the validators fail closed.
      await waitFor(
        'caBundle and failurePolicy patched by istiod',
        async () =>
          (await read()).every((h) =>
            h.webhooks!.every(
              (w) =>
                !!w.clientConfig.caBundle &&
                (h.kind === 'MutatingWebhookConfiguration' || w.failurePolicy === 'Fail'),
            ),
          ),
        60_000,
        undefined,
        500,
      );
      // The proxies loop looks at pods on a timer: a look now counts the pods
      // the earlier tests started, so a report of them is not written in the window.
      const iops = await env.client.list(IOP_RESOURCE, ns);
      for (const m of managers) {
        for (const i of iops) m.proxies.controller.queue.add(`${ns}/${i.metadata!.name!}`);
      }
      for (const m of managers)
        await waitFor('quiet', async () => m.isIdle(), 15_000, undefined, 50);
      const before = await read();
      const writes = () => managers.map((m) => m.client.total());
      const writesBefore = writes();
      // A reconcile of each, with istiod's fields different from the render.
      for (const [i, name] of ['control-plane', 'canary'].entries()) {
        managers[i]!.queue.add(`${ns}/${name}`);
      }
      await new Promise((r) => setTimeout(r, 120_000));
      assert.deepEqual(writes(), writesBefore, 'writes by the operators in 2 minutes');
      for (const i of istiods) {
        const u = processUsage(i.pid);
        process.stderr.write(
          `      [istiod] ${i.namespace}/${i.name}: CPU ${u.cpuSeconds.toFixed(1)}s since start, ` +
            `RSS ${u.rssMiB.toFixed(0)} MiB (peak ${u.peakMiB.toFixed(0)} MiB)\n`,
        );
      }
      const after = await read();
      for (const [i, h] of after.entries()) {
        assert.equal(
          h.metadata?.resourceVersion,
          before[i]!.metadata?.resourceVersion,
          `${h.kind} ${h.metadata?.name} changed`,
        );
      }
    });
  });
}
