import { createHmac, timingSafeEqual } from 'node:crypto';
import { PlimsollError } from '../../plimsoll/errors.js';

/** Which list a cursor belongs to: a cursor continues only the list, and the tenant, it came from. */
export interface CursorScope { kind: 'resumes' | 'jobs' | 'analyses'; tenantId: string }

export interface CursorCodec {
  encode(scope: CursorScope, seq: string): string;
  /** The seq to continue after; INVALID_CURSOR when the cursor is not one this list issued. */
  decode(cursor: string, scope: CursorScope): string;
}

/**
 * Opaque, signed cursors: base64url of [version 1][kind 1][seq 8, big-endian][issued-at seconds
 * 4][HMAC-SHA256 over those 14 bytes and the tenant id, first 16 bytes]. Only this process's
 * fleet can mint one, so a cursor's seq needs no range check (a forged number never reaches
 * SQL); the tenant is signed, not carried, so a cursor neither leaks nor crosses tenants; the
 * issue time lets an old cursor (or one signed with a rotated secret) be refused cleanly.
 */
const VERSION = 1;
const KINDS: Record<CursorScope['kind'], number> = { resumes: 1, jobs: 2, analyses: 3 };
const BODY = 14;
const MAC = 16;
const ENCODED = /^[A-Za-z0-9_-]{40}$/; // 30 bytes, unpadded base64url
const CLOCK_SKEW_SECONDS = 300;

export class SignedCursors implements CursorCodec {
  constructor(private readonly key: Buffer, private readonly maxAgeSeconds: number, private readonly now: () => number = Date.now) {}

  encode(scope: CursorScope, seq: string): string {
    const body = Buffer.alloc(BODY);
    body.writeUInt8(VERSION, 0);
    body.writeUInt8(KINDS[scope.kind], 1);
    body.writeBigUInt64BE(BigInt(seq), 2);
    body.writeUInt32BE(Math.floor(this.now() / 1000), 10);
    return Buffer.concat([body, this.mac(body, scope.tenantId)]).toString('base64url');
  }

  decode(cursor: string, scope: CursorScope): string {
    const invalid = (why: string) => new PlimsollError('INVALID_CURSOR', `the cursor ${why}; start the list again without a cursor`);
    if (!ENCODED.test(cursor)) throw invalid('is malformed');
    const raw = Buffer.from(cursor, 'base64url');
    const body = raw.subarray(0, BODY);
    if (!timingSafeEqual(raw.subarray(BODY), this.mac(body, scope.tenantId))) throw invalid('was not issued for this tenant (or was altered, or signed with a retired secret)');
    if (body.readUInt8(0) !== VERSION) throw invalid('has an unknown version');
    if (body.readUInt8(1) !== KINDS[scope.kind]) throw invalid(`belongs to another list than ${scope.kind}`);
    const ageSeconds = Math.floor(this.now() / 1000) - body.readUInt32BE(10);
    if (ageSeconds > this.maxAgeSeconds || ageSeconds < -CLOCK_SKEW_SECONDS) throw invalid(`has expired (cursors last ${this.maxAgeSeconds} s)`);
    return body.readBigUInt64BE(2).toString();
  }

  private mac(body: Buffer, tenantId: string): Buffer {
    return createHmac('sha256', this.key).update(body).update(tenantId, 'utf8').digest().subarray(0, MAC);
  }
}

/**
 * The signing key: MATCHER_CURSOR_SECRET, or else one derived from the database URL. Every
 * replica must share the key (a cursor from one replica is continued on another), so a random
 * per-process key will not do; the database URL is shared by every replica, secret, and already
 * present, so the default needs no extra setting. Changing either retires the cursors in flight
 * (400 INVALID_CURSOR; the client starts the list again).
 */
export function cursorKey(secret: string | undefined, databaseUrl: string): Buffer {
  return createHmac('sha256', secret ?? databaseUrl).update('plimsoll matcher cursor key v1').digest();
}
