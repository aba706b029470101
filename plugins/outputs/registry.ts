/**
 * The built-in outputs, one line each. The composition root (bin/viva.ts) registers them.
 */
import type { OutputDefinition } from '../../core/plugin/types.ts';
import { alertmanagerOutput } from './alertmanager/index.ts';
import { archiveOutput } from './archive/index.ts';
import { discardOutput } from './discard/index.ts';
import { execdOutput } from './execd/index.ts';
import { fileOutput } from './file/index.ts';
import { httpOutput } from './http/index.ts';
import { influxdbOutput } from './influxdb/index.ts';
import { influxdbV2Output } from './influxdb_v2/index.ts';
import { kafkaOutput } from './kafka/index.ts';
import { mqttOutput } from './mqtt/index.ts';
import { prometheusClientOutput } from './prometheus_client/index.ts';
import { prometheusRemoteWriteOutput } from './prometheus_remote_write/index.ts';
import { socketWriterOutput } from './socket_writer/index.ts';
import { stdoutOutput } from './stdout/index.ts';
import { vivaOutput } from './viva/index.ts';
import { webhookOutput } from './webhook/index.ts';

const defs: unknown[] = [
  alertmanagerOutput,
  archiveOutput,
  discardOutput,
  execdOutput,
  fileOutput,
  httpOutput,
  influxdbOutput,
  influxdbV2Output,
  kafkaOutput,
  mqttOutput,
  prometheusClientOutput,
  prometheusRemoteWriteOutput,
  socketWriterOutput,
  stdoutOutput,
  vivaOutput,
  webhookOutput,
];

export const builtinOutputs = defs as OutputDefinition[];
