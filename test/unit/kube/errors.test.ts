import { ApiException } from '@kubernetes/client-node';
import assert from 'node:assert/strict';
import {
  describeKubeError,
  isAlreadyExists,
  isConflict,
  isGone,
  isKindNotServed,
  isNamespaceTerminating,
  isNotFound,
  toKubeError,
} from '../../../src/kube/errors.js';

function apiError(code: number, status: object | string, headers: Record<string, string> = {}) {
  const body =
    typeof status === 'string'
      ? status
      : JSON.stringify({ kind: 'Status', apiVersion: 'v1', ...status });
  return new ApiException(code, 'Unknown API Status Code!', body, headers);
}

describe('Kubernetes error normalization', () => {
  const cases: {
    name: string;
    err: unknown;
    reason: string;
    checks: ((e: unknown) => boolean)[];
  }[] = [
    {
      name: 'NotFound',
      err: apiError(404, {
        reason: 'NotFound',
        message: 'deployments.apps "istiod" not found',
        code: 404,
      }),
      reason: 'NotFound',
      checks: [isNotFound],
    },
    {
      name: 'AlreadyExists',
      err: apiError(409, { reason: 'AlreadyExists', message: 'exists', code: 409 }),
      reason: 'AlreadyExists',
      checks: [isAlreadyExists],
    },
    {
      name: 'Conflict',
      err: apiError(409, {
        reason: 'Conflict',
        message: 'the object has been modified',
        code: 409,
      }),
      reason: 'Conflict',
      checks: [isConflict],
    },
    {
      name: 'Expired (410)',
      err: apiError(410, { reason: 'Expired', message: 'too old resource version', code: 410 }),
      reason: 'Expired',
      checks: [isGone],
    },
    {
      name: 'Invalid',
      err: apiError(422, { reason: 'Invalid', message: 'x is invalid', code: 422 }),
      reason: 'Invalid',
      checks: [],
    },
    {
      name: '429 without a Status body',
      err: apiError(429, 'Too many requests, please try again later.', { 'retry-after': '3' }),
      reason: 'TooManyRequests',
      checks: [],
    },
    {
      name: 'a create in a namespace being deleted (403, cause NamespaceTerminating)',
      err: apiError(403, {
        reason: 'Forbidden',
        message:
          'configmaps "istio" is forbidden: unable to create new content in namespace x because it is being terminated',
        code: 403,
        details: {
          name: 'istio',
          kind: 'configmaps',
          causes: [
            {
              reason: 'NamespaceTerminating',
              message: 'namespace x is being terminated',
              field: 'metadata.namespace',
            },
          ],
        },
      }),
      reason: 'Forbidden',
      checks: [isNamespaceTerminating],
    },
    {
      name: 'Forbidden by RBAC',
      err: apiError(403, { reason: 'Forbidden', message: 'cannot create configmaps', code: 403 }),
      reason: 'Forbidden',
      checks: [],
    },
    {
      name: 'a path nothing serves (plain 404 page not found: the CRD is absent)',
      err: apiError(404, '404 page not found\n'),
      reason: 'NotFound',
      checks: [isNotFound, isKindNotServed],
    },
    {
      name: 'network error',
      err: Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6443'), {
        code: 'ECONNREFUSED',
      }),
      reason: 'Network',
      checks: [],
    },
  ];
  const all = [
    isNotFound,
    isAlreadyExists,
    isConflict,
    isGone,
    isNamespaceTerminating,
    isKindNotServed,
  ];

  for (const c of cases) {
    it(`classifies ${c.name} by its reason, and as nothing else`, () => {
      assert.equal(toKubeError(c.err).reason, c.reason);
      for (const f of all) assert.equal(f(c.err), c.checks.includes(f), `${f.name} on ${c.name}`);
    });
  }

  it('reads Retry-After and the field causes of an Invalid error', () => {
    assert.equal(
      toKubeError(apiError(429, 'slow down', { 'retry-after': '3' })).retryAfterSeconds,
      3,
    );
    const invalid = apiError(422, {
      reason: 'Invalid',
      message: 'IstioOperator.install.istio.io "x" is invalid',
      code: 422,
      details: { causes: [{ field: 'spec.revision', message: 'must be a DNS-1123 label' }] },
    });
    assert.deepEqual(toKubeError(invalid).causes, ['spec.revision: must be a DNS-1123 label']);
    assert.equal(
      describeKubeError(invalid),
      'Invalid 422: IstioOperator.install.istio.io "x" is invalid (spec.revision: must be a DNS-1123 label)',
    );
  });
});
