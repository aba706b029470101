/**
 * The random_walk input: a few walkers, each taking a random step per gather. A seed makes the
 * walk repeatable (tests, demos).
 */
import { defineInput, Metric, z, type Accumulator, type InputInstance, type PluginContext } from 'viva/sdk';

const config = z.strictObject({
  measurement: z.string().min(1).default('random_walk').describe('Measurement name of the metrics.'),
  walkers: z
    .number()
    .int()
    .min(1)
    .max(1000)
    .default(3)
    .describe('Independent walkers, tagged walker=w0, w1, ...'),
  step: z.number().positive().default(1).describe('Largest step per gather, up or down.'),
  seed: z
    .number()
    .int()
    .optional()
    .meta({ example: 42 })
    .describe('Seed for a repeatable walk (random when unset).'),
});

type RandomWalkConfig = z.output<typeof config>;

/** mulberry32: a small seeded PRNG, uniform in [0, 1). */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

class RandomWalk implements InputInstance {
  private readonly cfg: RandomWalkConfig;
  private readonly ctx: PluginContext;
  private readonly random: () => number;
  private readonly positions: number[];
  private steps = 0;

  constructor(cfg: RandomWalkConfig, ctx: PluginContext) {
    this.cfg = cfg;
    this.ctx = ctx;
    this.random = cfg.seed === undefined ? Math.random : prng(cfg.seed);
    this.positions = new Array<number>(cfg.walkers).fill(0);
  }

  gather(acc: Accumulator): void {
    const now = this.ctx.clock.now();
    this.steps++;
    const batch = this.positions.map((p, i) => {
      this.positions[i] = p + (this.random() * 2 - 1) * this.cfg.step;
      const m = new Metric(this.cfg.measurement, { walker: `w${i}` }, { position: this.positions[i] }, now);
      m.setInt('steps', this.steps);
      return m;
    });
    acc.push(batch);
  }
}

/** The random_walk input. */
export const randomWalkInput = defineInput({
  name: 'random_walk',
  description: 'Walkers taking a random step per gather (an example external plugin)',
  config,
  create: (cfg, ctx) => new RandomWalk(cfg, ctx),
});
