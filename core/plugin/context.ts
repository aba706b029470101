/**
 * The plugin context, built by the core through a tsyringe container with explicit tokens (no
 * decorator metadata, so any transpiler works). Each plugin instance gets a tagged child logger,
 * its self-metrics, the clock, an abort signal and a state directory.
 */
import 'reflect-metadata';
import fs from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';
import { container as rootContainer, type DependencyContainer } from 'tsyringe';
import { pluginMetrics, type Telemetry } from '../engine/telemetry/telemetry.ts';
import type { Clock, PluginContext, PluginId } from './types.ts';

/** Injection tokens of the core services. */
export const Tokens = {
  Logger: Symbol('viva.Logger'),
  Telemetry: Symbol('viva.Telemetry'),
  Clock: Symbol('viva.Clock'),
  DataDir: Symbol('viva.DataDir'),
} as const;

/** The real clock. */
export const systemClock: Clock = { now: () => Date.now(), monotonic: () => performance.now() };

/** A container holding the core services for one running agent or collector. */
export function createContainer(services: {
  logger: Logger;
  telemetry: Telemetry;
  clock?: Clock;
  dataDir: string;
}): DependencyContainer {
  const c = rootContainer.createChildContainer();
  c.register(Tokens.Logger, { useValue: services.logger });
  c.register(Tokens.Telemetry, { useValue: services.telemetry });
  c.register(Tokens.Clock, { useValue: services.clock ?? systemClock });
  c.register(Tokens.DataDir, { useValue: services.dataDir });
  return c;
}

/** Builds the context of one plugin instance from the container. */
export function createPluginContext(
  c: DependencyContainer,
  id: PluginId,
  signal: AbortSignal,
): PluginContext {
  const log = c.resolve<Logger>(Tokens.Logger).child({ plugin: id.label });
  const telemetry = c.resolve<Telemetry>(Tokens.Telemetry);
  const dataDir = c.resolve<string>(Tokens.DataDir);
  const stateDir = path.join(dataDir, 'state', id.label.replace(/[^A-Za-z0-9_.:-]/g, '_'));
  return {
    id,
    log,
    metrics: pluginMetrics(telemetry, id),
    clock: c.resolve<Clock>(Tokens.Clock),
    signal,
    selfMetrics: () => telemetry.snapshot(),
    get stateDir() {
      fs.mkdirSync(stateDir, { recursive: true });
      return stateDir;
    },
  };
}
