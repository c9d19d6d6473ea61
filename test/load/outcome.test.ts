// Outcome classification: what each answer means to the user (a table of cases).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { classify, errorCode, type Answer, type Failure, type Outcome } from '../../loadtests/load/outcome.js';

const cases: Array<[string, Answer | Failure, Partial<Outcome>]> = [
  ['200 Full', { status: 200, headers: { 'X-Service-Level': 'Full' } }, { outcome: 'success', level: 'Full' }],
  ['201 local match in Basic is a valid answer', { status: 201, headers: { 'x-service-level': 'Basic' } }, { outcome: 'success', level: 'Basic' }],
  ['202 queued', { status: 202, headers: { 'x-service-level': 'Reduced' } }, { outcome: 'success', level: 'Reduced' }],
  ['2xx without the header', { status: 200, headers: {} }, { outcome: 'success', level: 'unknown' }],
  ['429 + Retry-After is shedding', { status: 429, headers: { 'retry-after': '3' }, code: 'TENANT_RATE_LIMITED' }, { outcome: 'shed', reason: 'TENANT_RATE_LIMITED' }],
  ['503 + Retry-After is shedding', { status: 503, headers: { 'Retry-After': '30', 'X-Service-Level': 'Maintenance' }, code: 'MAINTENANCE' }, { outcome: 'shed', level: 'Maintenance', reason: 'MAINTENANCE' }],
  ['503 without Retry-After is an error', { status: 503, headers: {} }, { outcome: 'error', errorKind: 'server', reason: 'HTTP 503' }],
  ['429 with an empty Retry-After is not a deliberate refusal', { status: 429, headers: { 'retry-after': ' ' } }, { outcome: 'error', errorKind: 'client' }],
  ['500 is an error', { status: 500, headers: { 'retry-after': '1' }, code: 'INTERNAL' }, { outcome: 'error', errorKind: 'server', reason: 'INTERNAL' }],
  ['404 is an error (client kind)', { status: 404, headers: {}, code: 'ANALYSIS_NOT_FOUND' }, { outcome: 'error', errorKind: 'client', reason: 'ANALYSIS_NOT_FOUND' }],
  ['a timeout', { failure: 'timeout', message: 'x' }, { outcome: 'error', errorKind: 'timeout', status: 0 }],
  ['a broken connection', { failure: 'connection', message: 'ECONNRESET' }, { outcome: 'error', errorKind: 'connection', status: 0 }],
];

for (const [name, answer, expected] of cases) {
  test(`classify: ${name}`, () => {
    const got = classify(answer);
    for (const [key, value] of Object.entries(expected)) assert.equal(got[key as keyof Outcome], value, `${key} of ${JSON.stringify(got)}`);
  });
}

test('error codes come from the error catalogue body, and nothing else', () => {
  assert.equal(errorCode('{"error":{"code":"QUEUE_FULL","message":"…"},"serviceLevel":"Full"}'), 'QUEUE_FULL');
  assert.equal(errorCode('{"error":"x"}'), undefined);
  assert.equal(errorCode('<html>'), undefined);
  assert.equal(errorCode('{not json'), undefined);
  assert.equal(errorCode(undefined), undefined);
});
