// The fleet registry's read side: what the JSON API and the ops dashboard show of each agent.
export type SourceHealth = 'healthy' | 'degraded' | 'silent';

export interface AgentStatus {
  id: string;
  host: string;
  version: string;
  configHash: string;
  /** The central config version (ETag) the agent runs, when it fetches its config from the collector. */
  configVersion?: string;
  /** Why the agent refused the last central config, as it reported it. */
  configRejected?: string;
  startedAt: number; // ms since epoch
  lastSeen: number; // ms since epoch, collector clock
  uptimeSeconds: number;
  rateIn: number; // metrics/s, from the last heartbeats
  rateOut: number;
  errors: number; // total errors the agent reported
  errorRate: number; // errors/s
  bufferFill: number; // 0..1, the fullest output buffer
  lastError?: string;
  health: SourceHealth;
  healthReason?: string;
}

export interface FleetQuery {
  /** Default 'worst': silent first, then degraded, then by error rate, then id. */
  sort?: 'worst' | 'id' | 'host' | 'lastSeen' | 'rateIn' | 'errorRate';
  order?: 'asc' | 'desc';
  /** Substring match on id or host, case-insensitive. */
  filter?: string;
  health?: SourceHealth;
  offset?: number;
  limit?: number; // default 50, max 500
}

export interface FleetPage {
  total: number; // matching the filter, before paging
  counts: Record<SourceHealth, number>; // the whole fleet
  agents: AgentStatus[];
}

export interface FleetView {
  list(query: FleetQuery): FleetPage;
  /** Called after any change (heartbeat, health transition); returns an unsubscribe function. */
  onChange(listener: () => void): () => void;
}
