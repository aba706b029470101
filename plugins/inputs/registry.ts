/**
 * The built-in inputs, one line each: a name and the module that defines it, imported only when a
 * config names the plugin (or when every plugin is listed). The composition root (bin/viva.ts)
 * registers them.
 */
import { lazy, type LazyDefinition } from '../../core/plugin/registry.ts';

export const builtinInputs: LazyDefinition[] = [
  lazy(
    'input',
    'cpu',
    () => import('./cpu/index.ts'),
    (m) => m.cpuInput,
  ),
  lazy(
    'input',
    'disk',
    () => import('./disk/index.ts'),
    (m) => m.diskInput,
  ),
  lazy(
    'input',
    'diskio',
    () => import('./diskio/index.ts'),
    (m) => m.diskioInput,
  ),
  lazy(
    'input',
    'exec',
    () => import('./exec/index.ts'),
    (m) => m.execInput,
  ),
  lazy(
    'input',
    'execd',
    () => import('./execd/index.ts'),
    (m) => m.execdInput,
  ),
  lazy(
    'input',
    'generator',
    () => import('./generator/index.ts'),
    (m) => m.generatorInput,
  ),
  lazy(
    'input',
    'http',
    () => import('./http/index.ts'),
    (m) => m.httpInput,
  ),
  lazy(
    'input',
    'http_listener',
    () => import('./http_listener/index.ts'),
    (m) => m.httpListenerInput,
  ),
  lazy(
    'input',
    'internal',
    () => import('./internal/index.ts'),
    (m) => m.internalInput,
  ),
  lazy(
    'input',
    'kafka_consumer',
    () => import('./kafka_consumer/index.ts'),
    (m) => m.kafkaConsumerInput,
  ),
  lazy(
    'input',
    'kernel',
    () => import('./kernel/index.ts'),
    (m) => m.kernelInput,
  ),
  lazy(
    'input',
    'mem',
    () => import('./mem/index.ts'),
    (m) => m.memInput,
  ),
  lazy(
    'input',
    'mqtt_consumer',
    () => import('./mqtt_consumer/index.ts'),
    (m) => m.mqttConsumerInput,
  ),
  lazy(
    'input',
    'net',
    () => import('./net/index.ts'),
    (m) => m.netInput,
  ),
  lazy(
    'input',
    'netstat',
    () => import('./netstat/index.ts'),
    (m) => m.netstatInput,
  ),
  lazy(
    'input',
    'postgresql',
    () => import('./postgresql/index.ts'),
    (m) => m.postgresqlInput,
  ),
  lazy(
    'input',
    'processes',
    () => import('./processes/index.ts'),
    (m) => m.processesInput,
  ),
  lazy(
    'input',
    'procstat',
    () => import('./procstat/index.ts'),
    (m) => m.procstatInput,
  ),
  lazy(
    'input',
    'prometheus',
    () => import('./prometheus/index.ts'),
    (m) => m.prometheusInput,
  ),
  lazy(
    'input',
    'prometheus_remote_write',
    () => import('./prometheus_remote_write/index.ts'),
    (m) => m.prometheusRemoteWriteInput,
  ),
  lazy(
    'input',
    'socket_listener',
    () => import('./socket_listener/index.ts'),
    (m) => m.socketListenerInput,
  ),
  lazy(
    'input',
    'sql',
    () => import('./sql/index.ts'),
    (m) => m.sqlInput,
  ),
  lazy(
    'input',
    'statsd',
    () => import('./statsd/index.ts'),
    (m) => m.statsdInput,
  ),
  lazy(
    'input',
    'swap',
    () => import('./swap/index.ts'),
    (m) => m.swapInput,
  ),
  lazy(
    'input',
    'system',
    () => import('./system/index.ts'),
    (m) => m.systemInput,
  ),
  lazy(
    'input',
    'tail',
    () => import('./tail/index.ts'),
    (m) => m.tailInput,
  ),
];
