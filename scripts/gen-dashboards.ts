/**
 * `npm run dashboards`: renders the dashboards of conf/grafana/src/ to Grafana's JSON model in
 * conf/grafana/dashboards/ (committed; conf/grafana/src/dashboards.test.ts checks they match).
 */
import fs from 'node:fs';
import path from 'node:path';
import { renderDashboards } from '../conf/grafana/src/index.ts';

const dir = path.resolve(import.meta.dirname, '..', 'conf', 'grafana', 'dashboards');
fs.mkdirSync(dir, { recursive: true });
const files = renderDashboards();
for (const old of fs.readdirSync(dir))
  if (old.endsWith('.json') && !(old in files)) fs.rmSync(path.join(dir, old));
for (const [file, text] of Object.entries(files)) {
  fs.writeFileSync(path.join(dir, file), text);
  console.log(`wrote conf/grafana/dashboards/${file}`);
}
