/**
 * Seed inputs per fuzz target, from the fixtures of the parsers' unit and fast-check fuzz tests;
 * the config target is seeded with the repository's own configs (conf/*.toml, every sample.toml).
 */
import fs from 'node:fs';
import path from 'node:path';
import { encodeBatch } from '../../core/format/binary/encode.ts';
import { parseLineProtocol } from '../../core/format/lineprotocol/parser.ts';

const LINE_PROTOCOL = [
  'cpu,host=a,region=eu usage=1.5,n=3i,u=7u,s="x",b=true 1699999999123456789\n',
  'weather,location=us\\ midwest temperature=82 1465839830100400200\nm f=1\n',
  'esc\\,aped,t\\=k=v\\ x f="a \\"quoted\\" \\\\ string",g=-9223372036854775808i\n# comment\n',
  'm,a=1,b=2 f=1e10,g=-0.5,h=18446744073709551615u 1\r\nm,a=1,b=2 f=2 2\n\n',
];

const SEEDS: Record<string, string[]> = {
  lineprotocol: LINE_PROTOCOL,
  json: [
    '[{"name":"cpu","tags":{"host":"a"},"fields":{"usage":1.5,"n":3,"s":"x","b":true},"timestamp":1699999999123456789}]',
    '{"name":"m","fields":{"v":-0.5e10,"esc":"a\\"b\\\\c\\u0000\\n"},"timestamp":"2024-01-02T03:04:05.123456789Z"}',
    '{"metrics":[{"name":"a","fields":{"x":1}},{"name":"b","tags":{"k\\\\":"v"},"fields":{"y":1e308},"timestamp":1.5}]}',
    '[{"name":"big","fields":{"f":18446744073709551616},"timestamp":99999999999999999999}]',
  ],
  statsd: [
    'gorets:1|c|@0.1',
    'glork:320|ms|@0.5\ngaugor:-10|g\ngaugor:+4|g\nuniques:765|s',
    'page.views,host=a,env=prod:1|c|#region:eu,debug',
    'dd.metric:1:2:3|h|@1|#k:v,k2\nx:9999999999999999999999|c|@0.000001\nset:"q\\\\"|s',
  ],
  prometheus: [
    '# HELP http_requests_total The total.\n# TYPE http_requests_total counter\nhttp_requests_total{method="post",code="200"} 1027 1395066363000\n',
    '# TYPE x counter\nx_total 5 # {trace_id="a"} 1\ny 2 1700000000.5\n# EOF\n',
    'msdos_file_access_time_seconds{path="C:\\\\DIR\\\\FILE.TXT",error="Cannot find file:\\n\\"FILE.TXT\\""} 1.458255915e9\n',
    '# TYPE h histogram\nh_bucket{le="0.05"} 24054\nh_bucket{le="+Inf"} 144320\nh_sum 53423\nh_count 144320\nnan NaN\ninf -Inf\n',
  ],
  csv: [
    'timestamp,value\n2014-07-01 00:00:00,10844\n2014-07-01 00:30:00,8127.5\n',
    'time,host,"a ""quoted"" col",v\n1700000000,h1,"x,y\ninside",1e308\n1700000001,h2,,-0\n',
    'name,tag,v\r\ncpu,"a\\b",99999999999999999999999\r\n,,\r\n# not a comment\n',
  ],
};

/** Every .toml file under dir (recursively). */
function tomlFiles(dir: string): string[] {
  return fs
    .readdirSync(dir, { withFileTypes: true, recursive: true })
    .flatMap((e) => (e.isFile() && e.name.endsWith('.toml') ? [path.join(e.parentPath, e.name)] : []));
}

/** The seed inputs of a target. */
export function seedsFor(target: string, root: string): Buffer[] {
  if (target === 'binary') {
    const metrics = LINE_PROTOCOL.map((t) => parseLineProtocol(t, { defaultTime: [0, 0] }).metrics);
    return [...metrics.map((m) => encodeBatch(m)), encodeBatch(metrics.flat()), encodeBatch([])];
  }
  if (target === 'config') {
    const files = [...tomlFiles(path.join(root, 'conf')), ...tomlFiles(path.join(root, 'plugins'))];
    return files.map((f) => fs.readFileSync(f));
  }
  return (SEEDS[target] ?? []).map((s) => Buffer.from(s));
}
