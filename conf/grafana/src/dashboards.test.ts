import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { panelTargets } from './targets.ts';
import { dashboards, renderDashboards } from './index.ts';

const dir = path.resolve(import.meta.dirname, '..', 'dashboards');

describe('the Grafana dashboards as code', () => {
  it('should match the committed JSON (run `npm run dashboards` after a change)', () => {
    const rendered = renderDashboards();
    expect(
      fs
        .readdirSync(dir)
        .filter((f) => f.endsWith('.json'))
        .sort(),
    ).toEqual(Object.keys(rendered).sort());
    for (const [file, text] of Object.entries(rendered))
      expect(fs.readFileSync(path.join(dir, file), 'utf8'), file).toBe(text);
  });

  it('should give every panel a query over a datasource variable the dashboard declares', () => {
    const uids = new Set<string>();
    for (const [file, d] of Object.entries(dashboards())) {
      expect(uids.has(d.uid ?? ''), `${file}: uid ${d.uid} is unique`).toBe(false);
      uids.add(d.uid ?? '');
      const declared = new Set(
        (d.templating.list ?? []).filter((v) => v.type === 'datasource').map((v) => v.name),
      );
      const targets = panelTargets(d);
      expect(targets.length).toBeGreaterThan(5);
      for (const t of targets) {
        expect(t.query, `${file} ${t.panel}`).not.toBe('');
        expect(declared.has(t.language), `${file} ${t.panel}: $${t.language} is declared`).toBe(true);
      }
    }
  });

  it('should lay panels out on the 24-column grid without overlaps, each with a title and description', () => {
    for (const [file, d] of Object.entries(dashboards())) {
      expect(
        d.annotations?.list?.some((a) => a.builtIn === 1),
        `${file}: Grafana's built-in annotations`,
      ).toBe(true);
      const cells = new Set<string>();
      for (const p of d.panels ?? []) {
        const g = p.gridPos;
        expect(g, `${file} ${p.title}: gridPos`).toBeDefined();
        if (g === undefined) continue;
        expect(g.x + g.w, `${file} ${p.title}`).toBeLessThanOrEqual(24);
        for (let y = g.y; y < g.y + g.h; y++)
          for (let x = g.x; x < g.x + g.w; x++) {
            expect(cells.has(`${x},${y}`), `${file} ${p.title} overlaps at ${x},${y}`).toBe(false);
            cells.add(`${x},${y}`);
          }
        expect(p.title, file).toBeTruthy();
        if (p.type !== 'row')
          expect((p as { description?: string }).description, `${file} ${p.title}`).toBeTruthy();
      }
    }
  });
});
