/**
 * Seeded pseudo-random numbers for reproducible splits and samples. Mulberry32 (Tommy Ettinger's 32-bit
 * generator) is ten lines, fast, and good enough to shuffle rows; no library is needed. Not for cryptography.
 */

/** A generator of floats in [0, 1), fully determined by `seed` (any integer; only its low 32 bits count). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Fisher–Yates shuffle of `items` in place, driven by `random` (e.g. {@link mulberry32}). */
export function shuffleInPlace<T extends { length: number; [i: number]: number }>(items: T, random: () => number): T {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const tmp = items[i]!;
    items[i] = items[j]!;
    items[j] = tmp;
  }
  return items;
}
