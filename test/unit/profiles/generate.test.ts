import assert from 'node:assert/strict';
import { IstioOperatorValidationError } from '../../../src/api/errors.js';
import { getPath } from '../../../src/json/path.js';
import { generateIstioOperator } from '../../../src/profiles/index.js';
import { DEFAULT_HUB, ISTIO_VERSION } from '../../../src/version.js';

const HEAD = 'apiVersion: install.istio.io/v1alpha1\nkind: IstioOperator\n';
const file = (name: string, body: string) => ({ name, content: HEAD + body });

function rejects(input: Parameters<typeof generateIstioOperator>[0], path: string, msg: RegExp) {
  try {
    generateIstioOperator(input);
  } catch (err) {
    assert.ok(err instanceof IstioOperatorValidationError, String(err));
    const d = err.diagnostics.find((x) => x.path === path && x.severity === 'error');
    assert.ok(d, `no error at ${path}: ${err.message}`);
    assert.match(d.message, msg);
    return;
  }
  assert.fail('expected an IstioOperatorValidationError');
}

describe('generateIstioOperator', () => {
  describe('precedence', () => {
    it('named profile beats default, files beat the profile, later files beat earlier ones', () => {
      const { iop } = generateIstioOperator({
        files: [
          file(
            'a.yaml',
            'spec:\n  profile: demo\n  values:\n    pilot:\n      traceSampling: 5\n      autoscaleMin: 2\n',
          ),
          file('b.yaml', 'spec:\n  values:\n    pilot:\n      traceSampling: 7\n'),
        ],
        set: [],
      });
      assert.equal(iop.spec.profile, 'demo');
      assert.equal(getPath(iop.spec, ['values', 'pilot', 'traceSampling']), 7);
      assert.equal(getPath(iop.spec, ['values', 'pilot', 'autoscaleMin']), 2);
      assert.equal(getPath(iop.spec, ['values', 'pilot', 'autoscaleEnabled']), false, 'from demo');
      assert.equal(
        getPath(iop.spec, ['values', 'global', 'configValidation']),
        true,
        'from default',
      );
    });

    it('--set beats files, and later --set beats earlier --set', () => {
      const { iop } = generateIstioOperator({
        files: [file('a.yaml', 'spec:\n  values:\n    pilot:\n      traceSampling: 5\n')],
        set: ['values.pilot.traceSampling=10', 'values.pilot.traceSampling=20'],
      });
      assert.equal(getPath(iop.spec, ['values', 'pilot', 'traceSampling']), 20);
    });

    it('--set profile= picks the profile over the files and the profile argument', () => {
      const { iop } = generateIstioOperator({
        files: [file('a.yaml', 'spec:\n  profile: minimal\n')],
        set: ['profile=ambient'],
        profile: 'demo',
      });
      assert.equal(iop.spec.profile, 'ambient');
      assert.equal(iop.spec.components?.ztunnel?.enabled, true);
    });

    it('the profile argument beats the files spec.profile', () => {
      const { iop } = generateIstioOperator({
        files: [file('a.yaml', 'spec:\n  profile: minimal\n')],
        set: [],
        profile: 'demo',
      });
      assert.equal(iop.spec.profile, 'demo');
    });

    it('a user gateway list replaces the profile list: the default ingress gateway is gone', () => {
      const { iop } = generateIstioOperator({
        files: [
          file(
            'a.yaml',
            'spec:\n  components:\n    ingressGateways:\n      - name: internal\n        namespace: edge\n',
          ),
        ],
        set: [],
      });
      assert.deepEqual(iop.spec.components?.ingressGateways, [
        { name: 'internal', namespace: 'edge' },
      ]);
    });

    it('a --set selector sees only the gateways the user listed (as istioctl 1.27)', () => {
      rejects(
        { files: [], set: ['components.ingressGateways[name:istio-ingressgateway].enabled=false'] },
        '--set components.ingressGateways[name:istio-ingressgateway].enabled=false',
        /element \[name:istio-ingressgateway\] not found/,
      );
      const { iop } = generateIstioOperator({
        files: [
          file(
            'a.yaml',
            'spec:\n  components:\n    ingressGateways:\n      - name: istio-ingressgateway\n',
          ),
        ],
        set: ['components.ingressGateways[name:istio-ingressgateway].k8s.resources.requests.cpu=1'],
      });
      assert.deepEqual(iop.spec.components?.ingressGateways, [
        { name: 'istio-ingressgateway', k8s: { resources: { requests: { cpu: 1 } } } },
      ]);
    });

    it('a --set index creates a user list that replaces the profile list', () => {
      const { iop } = generateIstioOperator({
        files: [],
        set: ['components.ingressGateways[0].k8s.service.type=NodePort'],
      });
      assert.deepEqual(iop.spec.components?.ingressGateways, [
        { k8s: { service: { type: 'NodePort' } } },
      ]);
    });
  });

  describe('defaults', () => {
    it('fills hub and tag from src/version.ts unless the user sets them', () => {
      const a = generateIstioOperator({ files: [], set: [] }).iop;
      assert.equal(a.spec.hub, DEFAULT_HUB);
      assert.equal(a.spec.tag, ISTIO_VERSION);
      const b = generateIstioOperator({
        files: [],
        set: ['hub=gcr.io/istio-release', 'tag=1.27'],
      }).iop;
      assert.equal(b.spec.hub, 'gcr.io/istio-release');
      assert.equal(b.spec.tag, '1.27');
    });

    it('takes the install namespace from spec.namespace, then values.global.istioNamespace, as istioctl', () => {
      const gen = (body: string) =>
        generateIstioOperator({ files: [file('a.yaml', body)], set: [] }).iop;
      const a = gen('metadata:\n  namespace: mesh\nspec: {}\n');
      assert.equal(
        a.spec.namespace,
        'istio-system',
        'metadata.namespace alone does not move the install',
      );
      assert.equal(a.metadata.namespace, 'mesh');
      const b = gen('spec:\n  values:\n    global:\n      istioNamespace: cp\n');
      assert.equal(b.spec.namespace, 'cp');
      const c = gen('spec:\n  namespace: explicit\n');
      assert.equal(c.spec.namespace, 'explicit');
      assert.equal(
        getPath(c.spec, ['values', 'global', 'istioNamespace']),
        'explicit',
        'kept in step',
      );
    });

    it('keeps unvalidatedValues apart from values and unchecked', () => {
      const { iop } = generateIstioOperator({
        files: [file('a.yaml', 'spec:\n  unvalidatedValues:\n    anything:\n      goes: [1, 2]\n')],
        set: [],
      });
      assert.deepEqual(iop.spec.unvalidatedValues, { anything: { goes: [1, 2] } });
      assert.equal(getPath(iop.spec, ['values', 'anything']), undefined);
    });

    it('merges the user values (files + --set, deprecated paths moved) over the profile values', () => {
      const { iop } = generateIstioOperator({
        files: [file('a.yaml', 'spec:\n  values:\n    pilot:\n      autoscaleMin: 2\n')],
        set: [
          'values.global.proxy.accessLogFile=/dev/stdout',
          'values.pilot.autoscaleMax=4',
          'hub=x.io/y',
        ],
      });
      // translate/ reads these (spec.values) after the translated spec: no second tree.
      assert.equal(getPath(iop.spec, ['values', 'pilot', 'autoscaleMin']), 2);
      assert.equal(getPath(iop.spec, ['values', 'pilot', 'autoscaleMax']), 4);
      assert.equal(getPath(iop.spec, ['values', 'global', 'proxy', 'accessLogFile']), undefined);
      assert.equal(getPath(iop.spec, ['meshConfig', 'accessLogFile']), '/dev/stdout');
      assert.equal(iop.spec.hub, 'x.io/y');
    });

    it('is deterministic: the same input gives the same output', () => {
      const input = { files: [file('a.yaml', 'spec:\n  profile: demo\n')], set: ['revision=x'] };
      assert.equal(
        JSON.stringify(generateIstioOperator(input)),
        JSON.stringify(generateIstioOperator(input)),
      );
    });
  });

  describe('errors', () => {
    it('reports every error at once', () => {
      try {
        generateIstioOperator({
          files: [file('a.yaml', 'spec:\n  revision: Bad_Rev\n  components:\n    citadel: {}\n')],
          set: ['values.pilot.autoscaleEnabled=maybe'],
        });
        assert.fail('not rejected');
      } catch (err) {
        assert.ok(err instanceof IstioOperatorValidationError);
        const paths = err.diagnostics.filter((d) => d.severity === 'error').map((d) => d.path);
        assert.deepEqual(paths.sort(), [
          'spec.components.citadel',
          'spec.revision',
          'spec.values.pilot.autoscaleEnabled',
        ]);
        assert.match(err.message, /3 errors/);
      }
    });

    it('rejects a --set flag without "="', () => {
      rejects({ files: [], set: ['revision'] }, '--set revision', /must be path=value/);
    });

    it('rejects a --set selector that matches no element', () => {
      rejects(
        { files: [], set: ['components.ingressGateways[name:missing].enabled=true'] },
        '--set components.ingressGateways[name:missing].enabled=true',
        /element \[name:missing\] not found/,
      );
    });

    it('rejects YAML syntax errors naming the file', () => {
      rejects(
        { files: [{ name: 'broken.yaml', content: 'spec: [\n' }], set: [] },
        'broken.yaml',
        /not valid YAML/,
      );
    });

    it('rejects a wrong apiVersion', () => {
      rejects(
        { files: [{ name: 'x.yaml', content: 'apiVersion: v1\nkind: IstioOperator\n' }], set: [] },
        'x.yaml: apiVersion',
        /must be install.istio.io\/v1alpha1/,
      );
    });

    it('rejects an unknown profile given as argument, listing the valid ones', () => {
      rejects({ files: [], set: [], profile: 'prod' }, 'spec.profile', /unknown profile/);
    });
  });
});
