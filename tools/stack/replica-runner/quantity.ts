/**
 * DEVELOPMENT HARNESS — not part of the product. Kubernetes resource quantities ("250m", "0.5",
 * "768Mi", "1G", "1e3", "1.5Gi") parsed exactly, with the API machinery's grammar and rounding.
 *
 * Exact, because the replica runner turns them into cgroup files: as floating point, "1.1" CPU
 * would be 1100.0000000000002 milli-CPU and round up to 1101. @kubernetes/client-node's
 * `quantityToScalar` cannot serve: it throws on "1.5Gi" (BigInt of a fraction) and knows no "e3".
 *
 *   quantity ::= sign? number suffix
 *   number   ::= digits | digits "." digits? | "." digits
 *   suffix   ::= "" | n | u | m | k | M | G | T | P | E        (decimal SI)
 *              | Ki | Mi | Gi | Ti | Pi | Ei                    (binary SI)
 *              | (e | E) sign? digits                           (decimal exponent)
 */

export class QuantityError extends Error {}

/** ±mantissa × 10^exp10 × 2^exp2, exactly. */
export interface Quantity {
  negative: boolean;
  mantissa: bigint;
  exp10: number;
  exp2: number;
}

const DECIMAL_SI: Record<string, number> = { n: -9, u: -6, m: -3, '': 0, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };
const BINARY_SI: Record<string, number> = { Ki: 10, Mi: 20, Gi: 30, Ti: 40, Pi: 50, Ei: 60 };

export function parseQuantity(text: string): Quantity {
  const m = /^([+-]?)(\d+(?:\.\d*)?|\.\d+)(.*)$/.exec(text.trim());
  if (!m) throw new QuantityError(`cannot parse quantity "${text}": expected a number and an optional suffix (250m, 0.5, 768Mi, 1G, 1e3)`);
  const [, sign, number, suffix] = m as unknown as [string, string, string, string];
  const [whole, fraction = ''] = number.split('.') as [string, string?];
  let exp10 = -fraction.length;
  let exp2 = 0;
  if (suffix in DECIMAL_SI) exp10 += DECIMAL_SI[suffix]!;
  else if (suffix in BINARY_SI) exp2 = BINARY_SI[suffix]!;
  else if (/^[eE][+-]?\d+$/.test(suffix)) exp10 += Number(suffix.slice(1));
  else throw new QuantityError(`cannot parse quantity "${text}": unknown suffix "${suffix}" (decimal n u m k M G T P E, binary Ki Mi Gi Ti Pi Ei, or an exponent e3)`);
  // Bounds the BigInt powers below; no real quantity comes near (1Ei is 2^60).
  if (Math.abs(exp10) > 1000) throw new QuantityError(`cannot parse quantity "${text}": exponent out of range`);
  const mantissa = BigInt(`${whole}${fraction}` || '0');
  return { negative: sign === '-' && mantissa !== 0n, mantissa, exp10, exp2 };
}

/**
 * The quantity × 10^scale as an integer, rounded up away from zero: scale 0 is the API
 * machinery's Value() (bytes), scale 3 its MilliValue() (milli-CPU), which the kubelet uses.
 */
export function scaledValue(q: Quantity, scale = 0): bigint {
  const e = q.exp10 + scale;
  const numerator = q.mantissa * 2n ** BigInt(q.exp2) * 10n ** BigInt(Math.max(e, 0));
  const denominator = 10n ** BigInt(Math.max(-e, 0));
  const magnitude = (numerator + denominator - 1n) / denominator;
  return q.negative ? -magnitude : magnitude;
}

/** A quantity as a JavaScript number (exact up to 2^53; for display and arithmetic that tolerates rounding). */
export function quantityNumber(text: string): number {
  const q = parseQuantity(text);
  // Dividing by 10^k, not multiplying by 10^-k: 11 / 10 is 1.1, 11 * 0.1 is 1.1000000000000001.
  const scaled = q.exp10 >= 0 ? Number(q.mantissa) * 10 ** q.exp10 : Number(q.mantissa) / 10 ** -q.exp10;
  const value = scaled * 2 ** q.exp2;
  return q.negative ? -value : value;
}

/** Bytes (memory), rounded up: "768Mi" → 805306368, "1G" → 1000000000. */
export function bytes(text: string): number {
  return Number(scaledValue(parseQuantity(text), 0));
}

/** Milli-CPU, rounded up: "250m" → 250, "0.5" → 500, "1" → 1000. */
export function milliCpu(text: string): number {
  return Number(scaledValue(parseQuantity(text), 3));
}
