/**
 * The built-in inputs, one line each. The composition root (bin/viva.ts) registers them.
 */
import type { InputDefinition } from '../../core/plugin/types.ts';
import { cpuInput } from './cpu/index.ts';
import { diskInput } from './disk/index.ts';
import { diskioInput } from './diskio/index.ts';
import { execInput } from './exec/index.ts';
import { execdInput } from './execd/index.ts';
import { generatorInput } from './generator/index.ts';
import { httpInput } from './http/index.ts';
import { httpListenerInput } from './http_listener/index.ts';
import { internalInput } from './internal/index.ts';
import { kafkaConsumerInput } from './kafka_consumer/index.ts';
import { kernelInput } from './kernel/index.ts';
import { memInput } from './mem/index.ts';
import { mqttConsumerInput } from './mqtt_consumer/index.ts';
import { netInput } from './net/index.ts';
import { netstatInput } from './netstat/index.ts';
import { postgresqlInput } from './postgresql/index.ts';
import { processesInput } from './processes/index.ts';
import { procstatInput } from './procstat/index.ts';
import { prometheusInput } from './prometheus/index.ts';
import { prometheusRemoteWriteInput } from './prometheus_remote_write/index.ts';
import { socketListenerInput } from './socket_listener/index.ts';
import { sqlInput } from './sql/index.ts';
import { statsdInput } from './statsd/index.ts';
import { swapInput } from './swap/index.ts';
import { systemInput } from './system/index.ts';
import { tailInput } from './tail/index.ts';

const defs: unknown[] = [
  cpuInput,
  diskInput,
  diskioInput,
  execdInput,
  execInput,
  generatorInput,
  httpInput,
  httpListenerInput,
  internalInput,
  kafkaConsumerInput,
  kernelInput,
  memInput,
  mqttConsumerInput,
  netInput,
  netstatInput,
  postgresqlInput,
  processesInput,
  procstatInput,
  prometheusInput,
  prometheusRemoteWriteInput,
  socketListenerInput,
  sqlInput,
  statsdInput,
  swapInput,
  systemInput,
  tailInput,
];

export const builtinInputs = defs as InputDefinition[];
