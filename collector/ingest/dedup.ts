/**
 * The batch ids accepted recently, per agent: a batch sent again (its acknowledgement was lost,
 * the agent retried) is acknowledged without being spooled twice. Bounded per agent (oldest
 * forgotten first) and by the number of agents; kept in memory only, so after a collector restart
 * a retried batch is spooled again (at least once, never lost).
 */
const MAX_AGENTS = 100_000;

export class DedupWindow {
  private readonly size: number;
  private readonly agents = new Map<string, Set<string>>();

  constructor(size: number) {
    this.size = size;
  }

  seen(agent: string, id: string): boolean {
    return this.size > 0 && (this.agents.get(agent)?.has(id) ?? false);
  }

  add(agent: string, id: string): void {
    if (this.size === 0) return;
    let ids = this.agents.get(agent);
    if (ids === undefined) {
      if (this.agents.size >= MAX_AGENTS) {
        const oldest = this.agents.keys().next().value;
        if (oldest !== undefined) this.agents.delete(oldest);
      }
      ids = new Set();
      this.agents.set(agent, ids);
    }
    ids.add(id);
    if (ids.size > this.size) {
      const oldest = ids.values().next().value;
      if (oldest !== undefined) ids.delete(oldest);
    }
  }
}
