import { defineInput } from '../../../core/plugin/define.ts';
import { httpListenerConfig } from './config.ts';
import { HttpListener } from './http_listener.ts';

/** The http_listener input: an InfluxDB v1/v2 compatible write endpoint. */
export const httpListenerInput = defineInput({
  name: 'http_listener',
  description: 'Accepts InfluxDB v1 and v2 writes (line protocol or JSON, gzip, auth) over HTTP',
  config: httpListenerConfig,
  create: (config, ctx) => new HttpListener(config, ctx),
});
