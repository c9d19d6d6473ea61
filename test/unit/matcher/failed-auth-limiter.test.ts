import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FailedAuthLimiter } from '../../../src/matcher/http/failed-auth-limiter.js';

describe('failed-authentication limiter', () => {
  it('refuses a client past its limit until its window ends, per client, within a bounded memory', () => {
    let now = 1_000;
    const l = new FailedAuthLimiter(3, 10_000, 2, () => now);
    for (let i = 0; i < 3; i++) {
      assert.equal(l.retryAfterMs('a'), 0);
      l.fail('a');
    }
    now += 4_000;
    assert.equal(l.retryAfterMs('a'), 6_000);
    assert.equal(l.retryAfterMs('b'), 0, 'another client is not limited');
    now += 6_000;
    assert.equal(l.retryAfterMs('a'), 0, 'a new window');
    for (let i = 0; i < 3; i++) l.fail('a');
    l.fail('b');
    l.fail('c'); // beyond two clients the oldest (a) is forgotten
    assert.equal(l.retryAfterMs('a'), 0);
  });
});
