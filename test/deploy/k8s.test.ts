/**
 * deploy/k8s: the base and both overlays are rendered with kustomize (nothing is only read by
 * eye), every Kubernetes resource of each rendering is validated, strictly, against the API
 * schemas shipped by PyPI's kubernetes-validate (the oldest and the newest version it ships), and
 * the Strimzi resources are read by Strimzi's own Java model (io.strimzi:api from Maven Central:
 * no registry serves Strimzi's CRD schemas, see docs/OPERATIONS.md). What no schema says is
 * checked here: the Strimzi resources fit together and fit the VIVA configs, selectors and ports
 * match, the configs pass `viva config check`, and the agent run with the DaemonSet's environment
 * reports the host's metrics from the mounted host /proc.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { repoRoot, runViva, tempDir } from '../helpers/viva.ts';

interface Resource {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  spec?: any; // eslint-disable-line @typescript-eslint/no-explicit-any
  data?: Record<string, string>;
}

const tools = path.join(repoRoot, '.cache', 'deploy-tools');
const k8s = path.join(repoRoot, 'deploy', 'k8s');
const renderings = ['base', 'overlays/dev', 'overlays/production'];
/** The oldest and the newest Kubernetes whose schemas kubernetes-validate ships. */
const versions = ['1.30.0', '1.37.0'];
const rendered = new Map<string, { file: string; resources: Resource[] }>();
let dir = '';

/** YAML documents to objects, with the PyYAML that kubernetes-validate brings. */
function parseYaml(file: string): Resource[] {
  const code =
    'import json,sys,yaml; print(json.dumps([d for d in yaml.safe_load_all(open(sys.argv[1])) if d]))';
  return JSON.parse(
    execFileSync(path.join(tools, 'venv', 'bin', 'python'), ['-c', code, file], { encoding: 'utf8' }),
  );
}

/** Strimzi's model on the resources of a JSON file: ACCEPTED or REFUSED lines, exit 1 if refused. */
function strimziModel(json: string) {
  const classpath = fs.readFileSync(path.join(tools, 'strimzi.classpath'), 'utf8').trim();
  const check = path.join(repoRoot, 'test', 'deploy', 'strimzi', 'StrimziModelCheck.java');
  return spawnSync('java', ['-cp', classpath, check, json], { encoding: 'utf8' });
}

function validate(file: string, version: string) {
  return spawnSync(
    path.join(tools, 'venv', 'bin', 'kubernetes-validate'),
    ['--strict', '-k', version, file],
    {
      encoding: 'utf8',
    },
  );
}

const strimzi = (r: Resource) => r.apiVersion.startsWith('kafka.strimzi.io/');
const one = (rs: Resource[], kind: string) => {
  const found = rs.filter((r) => r.kind === kind);
  expect(found, kind).toHaveLength(1);
  return found[0];
};
const envOf = (workload: Resource) =>
  Object.fromEntries(
    (workload.spec.template.spec.containers[0].env as { name: string; value?: string }[]).map((e) => [
      e.name,
      e.value,
    ]),
  );

beforeAll(() => {
  execFileSync('bash', [path.join(repoRoot, 'scripts', 'deploy-tools.sh')], { stdio: 'inherit' });
  dir = tempDir('viva-k8s-');
  for (const r of renderings) {
    const file = path.join(dir, `${r.replace('/', '-')}.yaml`);
    execFileSync(path.join(tools, 'bin', 'kustomize'), ['build', path.join(k8s, r), '-o', file]);
    const resources = parseYaml(file);
    fs.writeFileSync(file.replace(/\.yaml$/, '.json'), JSON.stringify(resources));
    rendered.set(r, { file, resources });
  }
});

describe.each(renderings)('deploy/k8s/%s', (name) => {
  const get = () => rendered.get(name) as { file: string; resources: Resource[] };

  it('should render every resource VIVA needs, all in one namespace', () => {
    const kinds = get()
      .resources.map((r) => r.kind)
      .sort();
    expect(kinds).toEqual(
      [
        'ConfigMap',
        'ConfigMap',
        'DaemonSet',
        'Deployment',
        'HorizontalPodAutoscaler',
        'Kafka',
        'KafkaNodePool',
        'KafkaTopic',
        'Namespace',
        'PodDisruptionBudget',
        'Service',
        'ServiceAccount',
      ].sort(),
    );
    const ns = one(get().resources, 'Namespace').metadata.name;
    expect(ns).toBe(name === 'overlays/dev' ? 'viva-dev' : 'viva');
    for (const r of get().resources.filter((x) => x.kind !== 'Namespace'))
      expect(r.metadata.namespace).toBe(ns);
  });

  it.each(versions)('should validate strictly against the Kubernetes %s API schemas', (version) => {
    const r = validate(get().file, version);
    expect(r.stdout + r.stderr).not.toMatch(/ERROR|did not validate/);
    expect(r.status).toBe(0);
    const passed = [...r.stdout.matchAll(/passed for resource (\S+)/g)].map((m) => m[1]);
    const expected = get()
      .resources.filter((x) => !strimzi(x))
      .map((x) => `${x.kind.toLowerCase()}/${x.metadata.name}`);
    expect(passed.sort()).toEqual(expected.sort());
  });

  it("should have Strimzi resources that Strimzi's own model reads with nothing unknown or lost", () => {
    const r = strimziModel(get().file.replace(/\.yaml$/, '.json'));
    expect(r.stdout.trim().split('\n').sort()).toEqual([
      'ACCEPTED Kafka/viva-kafka',
      'ACCEPTED KafkaNodePool/dual-role',
      'ACCEPTED KafkaTopic/viva-metrics',
    ]);
    expect(r.status).toBe(0);
  });

  it('should have Strimzi resources that make one KRaft cluster the topic fits on', () => {
    const rs = get().resources;
    const kafka = one(rs, 'Kafka');
    const pool = one(rs, 'KafkaNodePool');
    const topic = one(rs, 'KafkaTopic');
    for (const r of [kafka, pool, topic]) expect(r.apiVersion).toBe('kafka.strimzi.io/v1beta2');
    expect(kafka.metadata.annotations).toMatchObject({
      'strimzi.io/node-pools': 'enabled',
      'strimzi.io/kraft': 'enabled',
    });
    expect(kafka.spec.zookeeper).toBeUndefined();
    expect(kafka.spec.entityOperator.topicOperator).toBeDefined();
    for (const r of [pool, topic])
      expect(r.metadata.labels?.['strimzi.io/cluster']).toBe(kafka.metadata.name);
    expect([...pool.spec.roles].sort()).toEqual(['broker', 'controller']);
    const brokers = pool.spec.replicas as number;
    expect(brokers).toBeGreaterThanOrEqual(1);
    expect(pool.spec.storage.type).toBe('jbod');
    for (const v of pool.spec.storage.volumes) {
      expect(['persistent-claim', 'ephemeral']).toContain(v.type);
      if (v.type === 'persistent-claim') expect(v.size).toMatch(/^\d+Gi$/);
      expect(v.kraftMetadata).toBe('shared');
    }
    const cfg = kafka.spec.kafka.config as Record<string, number>;
    for (const key of ['default.replication.factor', 'offsets.topic.replication.factor'])
      expect(cfg[key], key).toBeLessThanOrEqual(brokers);
    expect(cfg['min.insync.replicas']).toBeLessThanOrEqual(cfg['default.replication.factor']);
    // The topic: on as many brokers as there are, writes survive one broker down when there are 3.
    expect(topic.spec.replicas).toBeLessThanOrEqual(brokers);
    const isr = topic.spec.config['min.insync.replicas'] as number;
    expect(isr).toBe(topic.spec.replicas >= 3 ? topic.spec.replicas - 1 : 1);
    expect(topic.spec.config['message.timestamp.type']).toBe('CreateTime');
    if (name !== 'overlays/dev') expect(brokers).toBeGreaterThanOrEqual(3);
  });

  it('should point the agents and the collectors at that cluster and that topic', () => {
    const rs = get().resources;
    const kafka = one(rs, 'Kafka');
    const topic = one(rs, 'KafkaTopic');
    const listener = (kafka.spec.kafka.listeners as { name: string; port: number; tls: boolean }[]).find(
      (l) => l.name === 'plain',
    );
    expect(listener?.tls).toBe(false);
    const bootstrap = `${kafka.metadata.name}-kafka-bootstrap:${listener?.port}`;
    const agent = one(rs, 'DaemonSet');
    const collector = one(rs, 'Deployment');
    expect(envOf(agent).KAFKA_BOOTSTRAP).toBe(bootstrap);
    expect(envOf(collector).KAFKA_BOOTSTRAP).toBe(bootstrap);
    const configs = rs.filter((r) => r.kind === 'ConfigMap');
    const agentToml = configs.find((c) => c.data?.['agent.toml'] !== undefined)?.data?.['agent.toml'] ?? '';
    const collectorToml =
      configs.find((c) => c.data?.['collector.toml'] !== undefined)?.data?.['collector.toml'] ?? '';
    expect(agentToml).toMatch(new RegExp(`^\\s*topic = "${topic.metadata.name}"$`, 'm'));
    expect(collectorToml).toMatch(new RegExp(`^\\s*topics = \\["${topic.metadata.name}"\\]$`, 'm'));
    // Each workload mounts the ConfigMap kustomize generated (its name carries the content hash).
    for (const [w, cm] of [
      [agent, 'viva-agent-config'],
      [collector, 'viva-collector-config'],
    ] as const) {
      const vol = (w.spec.template.spec.volumes as { name: string; configMap?: { name: string } }[]).find(
        (v) => v.name === 'config',
      );
      expect(configs.map((c) => c.metadata.name)).toContain(vol?.configMap?.name);
      expect(vol?.configMap?.name).toMatch(new RegExp(`^${cm}-[a-z0-9]{10}$`));
    }
  });

  it('should scale the collectors within the partitions and keep them through disruptions', () => {
    const rs = get().resources;
    const deploy = one(rs, 'Deployment');
    const hpa = one(rs, 'HorizontalPodAutoscaler');
    const pdb = one(rs, 'PodDisruptionBudget');
    const svc = one(rs, 'Service');
    const topic = one(rs, 'KafkaTopic');
    const podLabels = deploy.spec.template.metadata.labels as Record<string, string>;
    expect(hpa.spec.scaleTargetRef).toEqual({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      name: deploy.metadata.name,
    });
    expect(hpa.spec.minReplicas).toBeLessThanOrEqual(hpa.spec.maxReplicas);
    // A consumer beyond the partition count gets no partition.
    expect(hpa.spec.maxReplicas).toBeLessThanOrEqual(topic.spec.partitions);
    expect(deploy.spec.replicas).toBeGreaterThanOrEqual(hpa.spec.minReplicas);
    expect(podLabels).toMatchObject(pdb.spec.selector.matchLabels);
    expect(podLabels).toMatchObject(svc.spec.selector);
    expect(podLabels).toMatchObject(deploy.spec.selector.matchLabels);
    // A budget that still lets a node drain with one collector.
    expect(pdb.spec.maxUnavailable).toBe(1);
    const ports = (deploy.spec.template.spec.containers[0].ports as { name: string }[]).map((p) => p.name);
    for (const p of svc.spec.ports as { targetPort: string }[]) expect(ports).toContain(p.targetPort);
    // The HPA scales on CPU: it needs a CPU request.
    expect(deploy.spec.template.spec.containers[0].resources.requests.cpu).toBeDefined();
  });

  it('should give the agent the host /proc, /sys and filesystems read-only, and the host network', () => {
    const agent = one(get().resources, 'DaemonSet');
    const pod = agent.spec.template.spec;
    expect(pod.hostNetwork).toBe(true);
    const hostPaths = Object.fromEntries(
      (pod.volumes as { name: string; hostPath?: { path: string } }[])
        .filter((v) => v.hostPath)
        .map((v) => [v.name, v.hostPath?.path]),
    );
    const mounts = pod.containers[0].volumeMounts as {
      name: string;
      mountPath: string;
      readOnly?: boolean;
    }[];
    const at = (hostPath: string) => mounts.find((m) => hostPaths[m.name] === hostPath);
    const env = envOf(agent);
    expect(at('/proc')).toMatchObject({ mountPath: env.HOST_PROC, readOnly: true });
    expect(at('/sys')).toMatchObject({ mountPath: env.HOST_SYS, readOnly: true });
    expect(at('/')).toMatchObject({ mountPath: env.HOST_MOUNT_PREFIX, readOnly: true });
    for (const m of mounts.filter((x) => hostPaths[x.name] !== undefined)) expect(m.readOnly).toBe(true);
    expect(pod.containers[0].securityContext).toMatchObject({
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
    });
  });

  it('should ship configs that pass `viva config check` with the pods environment', async () => {
    const configs = get().resources.filter((r) => r.kind === 'ConfigMap');
    const env = {
      NODE_NAME: 'node-a',
      POD_IP: '127.0.0.1',
      POD_NAME: 'viva-collector-0',
      KAFKA_BOOTSTRAP: 'viva-kafka-kafka-bootstrap:9092',
      INFLUXDB_URL: 'http://influxdb:8086',
    };
    for (const c of configs) {
      const [[file, text]] = Object.entries(c.data ?? {});
      const p = path.join(tempDir('viva-k8s-conf-'), file);
      fs.writeFileSync(p, text);
      const r = await runViva(['config', 'check', '-c', p], { env });
      expect(r.stderr, file).toBe('');
      expect(r.code, file).toBe(0);
    }
  });
});

describe('the agent with the DaemonSet environment', () => {
  it("should report the host's metrics from HOST_PROC, tagged with the node's name", async () => {
    const rs = rendered.get('overlays/production')?.resources ?? [];
    const cm = rs.find((r) => r.data?.['agent.toml'] !== undefined);
    const file = path.join(tempDir('viva-k8s-agent-'), 'agent.toml');
    fs.writeFileSync(file, cm?.data?.['agent.toml'] ?? '');
    // A host /proc as the pod sees it at /host/proc: the real one, with a meminfo of its own.
    const host = tempDir('viva-k8s-host-');
    fs.mkdirSync(path.join(host, 'proc'));
    for (const entry of fs.readdirSync('/proc'))
      if (entry !== 'meminfo') fs.symlinkSync(path.join('/proc', entry), path.join(host, 'proc', entry));
    const meminfo = fs
      .readFileSync('/proc/meminfo', 'utf8')
      .replace(/^MemTotal:\s+\d+ kB$/m, 'MemTotal: 123456789 kB');
    fs.writeFileSync(path.join(host, 'proc', 'meminfo'), meminfo);
    const env = envOf(one(rs, 'DaemonSet'));
    const r = await runViva(['agent', '--test', '-c', file], {
      env: {
        NODE_NAME: 'node-a',
        POD_IP: '127.0.0.1',
        KAFKA_BOOTSTRAP: env.KAFKA_BOOTSTRAP,
        HOST_PROC: path.join(host, 'proc'),
        HOST_SYS: '/sys',
        HOST_MOUNT_PREFIX: '',
      },
    });
    expect(r.code, r.stderr).toBe(0);
    const mem = r.stdout.split('\n').find((l) => l.startsWith('mem,'));
    expect(mem).toMatch(/[ ,]total=126419751936i/);
    expect(mem).toMatch(/,host=node-a[, ]/);
    expect(r.stdout).toMatch(/^kernel,/m);
    expect(r.stdout).toMatch(/^disk,/m);
  });
});

describe('the validators', () => {
  it('should refuse Strimzi resources with an unknown role, listener type or field (the check can fail)', () => {
    const resources = rendered.get('base')?.resources ?? [];
    const broken = structuredClone(resources).map((r) => {
      if (r.kind === 'KafkaNodePool') r.spec.roles = ['controller', 'brokr'];
      if (r.kind === 'Kafka') r.spec.kafka.listeners[0].type = 'intern';
      if (r.kind === 'KafkaTopic') r.spec.partitionz = 3;
      return r;
    });
    const file = path.join(dir, 'broken.json');
    fs.writeFileSync(file, JSON.stringify(broken));
    const r = strimziModel(file);
    expect(r.status).toBe(1);
    expect(r.stdout).toContain(
      'REFUSED Kafka/viva-kafka: unknown or lost [.spec.kafka.listeners[0].type="intern"]',
    );
    expect(r.stdout).toContain('.spec.roles[1]="brokr" read as null');
    expect(r.stdout).toContain('REFUSED KafkaTopic/viva-metrics: unknown or lost [.spec.partitionz]');
  });

  it('should reject a manifest with a misspelled field (the check can fail)', () => {
    const text = fs.readFileSync(rendered.get('base')?.file ?? '', 'utf8');
    const bad = path.join(dir, 'bad.yaml');
    fs.writeFileSync(bad, text.replace('readOnlyRootFilesystem: true', 'readOnlyRootFilesystm: true'));
    const r = validate(bad, versions[1]);
    expect(r.status).not.toBe(0);
    expect(r.stdout + r.stderr).toContain("'readOnlyRootFilesystm' was unexpected");
  });
});
