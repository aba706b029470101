/**
 * Simulated agents for the fleet and dashboard tests: heartbeats POSTed over HTTP to a real
 * collector's /v1/heartbeat (the body an agent sends, docs/FLEET.md), one at a time or for a
 * whole fleet.
 */

/** A heartbeat body for agent `id`; `over` replaces any field. */
export function beat(id: string, over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id,
    host: `${id}.lan`,
    version: '0.1.0',
    configHash: 'c0ffee',
    startedAt: Date.now() - 60_000,
    uptimeSeconds: 60,
    intervalSeconds: 10,
    rateIn: 100,
    rateOut: 100,
    errors: 0,
    errorRate: 0,
    bufferFill: 0,
    ...over,
  };
}

/** POSTs one heartbeat; resolves with the status. */
export async function heartbeat(port: number, body: unknown, token?: string): Promise<number> {
  const res = await fetch(`http://127.0.0.1:${port}/v1/heartbeat`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(token !== undefined ? { authorization: `Bearer ${token}` } : {}),
    },
    body: JSON.stringify(body),
  });
  await res.arrayBuffer();
  return res.status;
}

/** Sends every body, `concurrency` at a time; throws on any status but 2xx. */
export async function heartbeatAll(port: number, bodies: unknown[], concurrency = 16): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < bodies.length) {
        const status = await heartbeat(port, bodies[next++]);
        if (status >= 300) throw new Error(`heartbeat answered ${status}`);
      }
    }),
  );
}
