import assert from 'node:assert/strict';
import {
  InvalidSpecError,
  IstioOperatorValidationError,
  renderFailureKind,
} from '../../../src/api/errors.js';

describe('api: whose fault a render failure is', () => {
  it('blames the spec for validation errors and refused specs (terminal)', () => {
    const validation = new IstioOperatorValidationError([
      { path: 'spec.profile', message: 'unknown profile', severity: 'error' },
    ]);
    assert.equal(renderFailureKind(validation), 'invalid-spec');
    assert.equal(
      renderFailureKind(new InvalidSpecError('overlay matches nothing')),
      'invalid-spec',
    );
  });

  it('blames the operator for anything else a render throws (retried)', () => {
    assert.equal(renderFailureKind(new TypeError('x is undefined')), 'internal');
    assert.equal(renderFailureKind(new Error('plain')), 'internal');
    assert.equal(renderFailureKind('a string'), 'internal');
  });
});
