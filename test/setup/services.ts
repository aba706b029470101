// Vitest global setup for the integration project: brings up the real backbone services (Kafka,
// Mosquitto, InfluxDB, Prometheus, Alertmanager, PostgreSQL, MariaDB) with scripts/services.sh before any test runs.
// The services are left running afterwards: `up` is idempotent and takes well under a second
// when they already run, and the rest of the team shares them. Set VIVA_SKIP_SERVICES=1 to skip.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const repoDir = join(import.meta.dirname, '..', '..');
const scriptPath = join(repoDir, 'scripts', 'services.sh');
const envPath = join(repoDir, 'scripts', 'services.env');
const upTimeoutMs = 15 * 60_000;
const outputTailChars = 8_000;

/** Address settings of the services: defaults from scripts/services.env, overridden by the environment. */
export function readServicesEnv(): Record<string, string> {
  const settings: Record<string, string> = {};
  const line = /^export (\w+)="\$\{\1:-(.*)\}"$/;
  for (const text of readFileSync(envPath, 'utf8').split('\n')) {
    const match = line.exec(text.trim());
    if (match) settings[match[1]] = process.env[match[1]] ?? match[2];
  }
  return settings;
}

/** The test PostgreSQL: a SCRAM-SHA-256 user owning `database`, and a role that authenticates with MD5. */
export interface PostgresAddress {
  host: string;
  port: number;
  database: string;
  user: string;
  password: string;
  md5User: string;
  md5Password: string;
}

/** The test MariaDB: a user owning `database`. */
export interface MariadbAddress {
  host: string;
  port: number;
  database: string;
  user: string;
  password: string;
}

/** Where the integration tests reach each service. */
export function serviceAddresses(): {
  kafkaBrokers: string[];
  mqttUrl: string;
  influxUrl: string;
  prometheusUrl: string;
  alertmanagerUrl: string;
  postgres: PostgresAddress;
  mariadb: MariadbAddress;
} {
  const env = readServicesEnv();
  const host = env.VIVA_SERVICES_HOST;
  return {
    kafkaBrokers: [`${host}:${env.VIVA_KAFKA_PORT}`],
    mqttUrl: `mqtt://${host}:${env.VIVA_MQTT_PORT}`,
    influxUrl: `http://${host}:${env.VIVA_INFLUX_PORT}`,
    prometheusUrl: `http://${host}:${env.VIVA_PROMETHEUS_PORT}`,
    alertmanagerUrl: `http://${host}:${env.VIVA_ALERTMANAGER_PORT}`,
    postgres: {
      host,
      port: Number(env.VIVA_POSTGRES_PORT),
      database: env.VIVA_POSTGRES_DB,
      user: env.VIVA_POSTGRES_USER,
      password: env.VIVA_POSTGRES_PASSWORD,
      md5User: env.VIVA_POSTGRES_MD5_USER,
      md5Password: env.VIVA_POSTGRES_MD5_PASSWORD,
    },
    mariadb: {
      host,
      port: Number(env.VIVA_MARIADB_PORT),
      database: env.VIVA_MARIADB_DB,
      user: env.VIVA_MARIADB_USER,
      password: env.VIVA_MARIADB_PASSWORD,
    },
  };
}

/** Runs `scripts/services.sh up`, streaming its progress; rejects with the tail of its output. */
function servicesUp(): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [scriptPath, 'up'], { cwd: repoDir, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const collect = (chunk: Buffer): void => {
      process.stderr.write(chunk);
      output = (output + chunk.toString('utf8')).slice(-outputTailChars);
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    const timer = setTimeout(() => child.kill('SIGTERM'), upTimeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(new Error(`could not run ${scriptPath}: ${error.message}`));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve();
      else {
        const how = signal ? `was killed by ${signal}` : `exited with code ${String(code)}`;
        reject(new Error(`scripts/services.sh up ${how}; integration tests need the services:\n${output}`));
      }
    });
  });
}

/** Vitest global setup: start the services; the returned teardown leaves them running. */
export default async function setup(): Promise<() => void> {
  if (process.env.VIVA_SKIP_SERVICES === '1') {
    console.warn('[services] VIVA_SKIP_SERVICES=1: not starting the backbone services');
  } else {
    await servicesUp();
  }
  return () => {};
}
