/**
 * Environment substitution in config text: ${VAR}, ${VAR:-default}, ${VAR:?message}; $${ escapes.
 * Runs on the raw text before TOML parsing, like Telegraf, so it works in any value.
 */
import type { ConfigIssue } from '../model/errors/errors.ts';

const REF = /\$\$\{|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:-|:\?)([^}]*))?\}/g;

/** Substitutes references; every unset `${VAR:?msg}` becomes an issue with its line. */
export function substituteEnv(
  text: string,
  env: NodeJS.ProcessEnv,
  file: string,
): { text: string; issues: ConfigIssue[] } {
  const issues: ConfigIssue[] = [];
  const out = text.replace(
    REF,
    (match, name: string | undefined, op: string | undefined, arg: string | undefined, offset: number) => {
      if (match === '$${') return '${';
      const value = env[name as string];
      const empty = value === undefined || value === '';
      if (op === ':-') return empty ? (arg ?? '') : value;
      if (op === ':?' && empty) {
        const line = text.slice(0, offset).split('\n').length;
        issues.push({
          file: `${file}:${line}`,
          path: `\${${name}}`,
          message: arg !== undefined && arg !== '' ? arg : `environment variable ${name} is required`,
        });
        return '';
      }
      return value ?? '';
    },
  );
  return { text: out, issues };
}
