/**
 * XXH64 with seed 0, printed as 16 hex digits: how the lifecycle names a buildpack's directory
 * and its supply cache dir (`fmt.Sprintf("%016x", xxhash.Sum64String(key))`, builder_config.go,
 * runner.go). Written from the published algorithm; checked against values of the Go library.
 */
const P1 = 11400714785074694791n;
const P2 = 14029467366897019727n;
const P3 = 1609587929392839161n;
const P4 = 9650029242287828579n;
const P5 = 2870177450012600261n;
const MASK = (1n << 64n) - 1n;

const rotl = (x: bigint, r: bigint): bigint => ((x << r) | (x >> (64n - r))) & MASK;
const round = (acc: bigint, lane: bigint): bigint => (rotl((acc + lane * P2) & MASK, 31n) * P1) & MASK;
const merge = (acc: bigint, value: bigint): bigint => (((acc ^ round(0n, value)) * P1) & MASK) + P4;

export function xxhash64Hex(text: string): string {
  const data = Buffer.from(text, 'utf8');
  const length = data.length;
  let offset = 0;
  let h: bigint;
  if (length >= 32) {
    let v1 = (P1 + P2) & MASK;
    let v2 = P2;
    let v3 = 0n;
    let v4 = (0n - P1) & MASK;
    for (; offset + 32 <= length; offset += 32) {
      v1 = round(v1, data.readBigUInt64LE(offset));
      v2 = round(v2, data.readBigUInt64LE(offset + 8));
      v3 = round(v3, data.readBigUInt64LE(offset + 16));
      v4 = round(v4, data.readBigUInt64LE(offset + 24));
    }
    h = (rotl(v1, 1n) + rotl(v2, 7n) + rotl(v3, 12n) + rotl(v4, 18n)) & MASK;
    for (const v of [v1, v2, v3, v4]) h = merge(h, v) & MASK;
  } else {
    h = P5;
  }
  h = (h + BigInt(length)) & MASK;
  for (; offset + 8 <= length; offset += 8) {
    h ^= round(0n, data.readBigUInt64LE(offset));
    h = ((rotl(h, 27n) * P1) & MASK) + P4;
    h &= MASK;
  }
  if (offset + 4 <= length) {
    h ^= (BigInt(data.readUInt32LE(offset)) * P1) & MASK;
    h = (((rotl(h, 23n) * P2) & MASK) + P3) & MASK;
    offset += 4;
  }
  for (; offset < length; offset++) {
    h ^= (BigInt(data[offset] as number) * P5) & MASK;
    h = (rotl(h, 11n) * P1) & MASK;
  }
  h ^= h >> 33n;
  h = (h * P2) & MASK;
  h ^= h >> 29n;
  h = (h * P3) & MASK;
  h ^= h >> 32n;
  return h.toString(16).padStart(16, '0');
}
