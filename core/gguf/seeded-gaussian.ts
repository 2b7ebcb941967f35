// The synthesizer's own random source, so a seed gives the same bytes on every machine and Node version
// (Math.random cannot be seeded). sfc32 for uniforms, seeded through splitmix32; Box-Muller for normals.

/** Deterministic uniform and Gaussian draws from a 32-bit-safe integer seed. */
export class SeededGaussian {
  private a: number;
  private b: number;
  private c: number;
  private d: number;
  private spare: number | undefined;

  constructor(seed: number) {
    if (!Number.isSafeInteger(seed)) throw new RangeError(`seed must be a safe integer, got ${seed}`);
    // splitmix32 over both halves of the seed, so seeds above 2^32 still differ
    let state = (seed >>> 0) ^ Math.imul(Math.floor(seed / 2 ** 32) >>> 0, 0x9e3779b9);
    const next = (): number => {
      state = (state + 0x9e3779b9) | 0;
      let z = state;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.a = next();
    this.b = next();
    this.c = next();
    this.d = next();
    // sfc32 needs a few rounds before its output is well mixed
    for (let i = 0; i < 12; i++) this.nextUint32();
  }

  /** Uniform integer in [0, 2^32). */
  nextUint32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** Uniform in the open interval (0, 1): never 0, so log() in Box-Muller stays finite. */
  nextUniform(): number {
    return (this.nextUint32() + 0.5) / 2 ** 32;
  }

  /** Standard normal N(0, 1). */
  nextGaussian(): number {
    if (this.spare !== undefined) {
      const s = this.spare;
      this.spare = undefined;
      return s;
    }
    const radius = Math.sqrt(-2 * Math.log(this.nextUniform()));
    const angle = 2 * Math.PI * this.nextUniform();
    this.spare = radius * Math.sin(angle);
    return radius * Math.cos(angle);
  }

  /** A Float32Array of N(0, std²) draws. */
  gaussianArray(length: number, std: number): Float32Array {
    const out = new Float32Array(length);
    for (let i = 0; i < length; i++) out[i] = this.nextGaussian() * std;
    return out;
  }
}
