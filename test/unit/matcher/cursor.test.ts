import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SignedCursors, cursorKey, type CursorScope } from '../../../src/matcher/http/cursor.js';
import { isPlimsollError } from '../../../src/plimsoll/errors.js';

const A: CursorScope = { kind: 'resumes', tenantId: '00000000-0000-4000-8000-00000000000a' };
const B: CursorScope = { kind: 'resumes', tenantId: '00000000-0000-4000-8000-00000000000b' };
const key = cursorKey('k'.repeat(32), 'postgres://unused');

const invalid = (fn: () => unknown, why: RegExp) => assert.throws(fn, (e: unknown) => isPlimsollError(e) && e.code === 'INVALID_CURSOR' && why.test(e.message));

describe('signed cursors', () => {
  it('round-trip a seq up to the bigint maximum, opaque (the seq is not readable in the cursor)', () => {
    const c = new SignedCursors(key, 3600);
    for (const seq of ['1', '45', '123456', '9223372036854775807']) {
      const cursor = c.encode(A, seq);
      assert.equal(c.decode(cursor, A), seq);
      // A short seq's digits turn up among the random bytes by chance (a "1" in one cursor of
      // six or so): only a seq of several digits tells whether the cursor carries it in clear.
      if (seq.length >= 6) assert.ok(!Buffer.from(cursor, 'base64url').toString('latin1').includes(seq), seq);
    }
  });

  it('refuse forged, altered, foreign and malformed cursors', () => {
    const c = new SignedCursors(key, 3600);
    const good = c.encode(A, '42');
    invalid(() => c.decode(Buffer.from('resumes:99999999999999999999').toString('base64url'), A), /malformed/);
    invalid(() => c.decode(good, B), /not issued for this tenant/);
    invalid(() => c.decode(good, { ...A, kind: 'jobs' }), /another list than jobs/);
    const raw = Buffer.from(good, 'base64url');
    raw[5]! ^= 1;
    invalid(() => c.decode(raw.toString('base64url'), A), /altered/);
    invalid(() => new SignedCursors(cursorKey('another secret of at least 32 chars', ''), 3600).decode(good, A), /retired secret/);
    for (const junk of ['', 'x', good + 'A', good.slice(1), `${good.slice(0, -1)}=`, `${good.slice(0, -1)}+`]) invalid(() => c.decode(junk, A), /malformed/);
  });

  it('refuse a cursor older than the maximum age, or issued too far in the future', () => {
    let now = Date.UTC(2030, 0, 1);
    const c = new SignedCursors(key, 600, () => now);
    const cursor = c.encode(A, '7');
    now += 600_000;
    assert.equal(c.decode(cursor, A), '7');
    now += 1000;
    invalid(() => c.decode(cursor, A), /expired/);
    now = Date.UTC(2029, 11, 31);
    invalid(() => c.decode(cursor, A), /expired/);
  });

  it('derive one key per secret, the same on every replica', () => {
    assert.deepEqual(cursorKey(undefined, 'postgres://u:p@h/db'), cursorKey(undefined, 'postgres://u:p@h/db'));
    assert.notDeepEqual(cursorKey(undefined, 'postgres://u:p@h/db'), cursorKey(undefined, 'postgres://u:q@h/db'));
    assert.notDeepEqual(cursorKey('s'.repeat(32), 'postgres://u:p@h/db'), cursorKey(undefined, 'postgres://u:p@h/db'));
  });
});
