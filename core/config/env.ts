/**
 * Environment substitution in config text: ${VAR}, ${VAR:-default}, ${VAR:?message}; $${ escapes.
 * Runs on the raw text before TOML parsing, like Telegraf, so it works in any value.
 */
import type { ConfigIssue } from '../model/errors/errors.ts';
import { hideSubstituted, redactUrl } from '../model/redact.ts';

const REF = /\$\$\{|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:-|:\?)([^}]*))?\}/g;

/**
 * Substitutes references; every unset `${VAR:?msg}` becomes an issue with its line. `values`
 * maps each non-empty value taken from the environment to its reference (`${NAME}`), so errors
 * can show the reference instead of the value (which may be a secret).
 */
export function substituteEnv(
  text: string,
  env: NodeJS.ProcessEnv,
  file: string,
  values: Map<string, string> = new Map(),
): { text: string; issues: ConfigIssue[]; values: Map<string, string> } {
  const issues: ConfigIssue[] = [];
  const out = text.replace(
    REF,
    (match, name: string | undefined, op: string | undefined, arg: string | undefined, offset: number) => {
      if (match === '$${') return '${';
      const value = env[name as string];
      const empty = value === undefined || value === '';
      if (!empty) values.set(value, `\${${name}}`);
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
  return { text: out, issues, values };
}

/**
 * Config issues fit to print: a value that came from the environment shows as its `${NAME}`,
 * and URL credentials are hidden, wherever a message or path quotes them.
 */
export function hideSubstitutedIn(issues: ConfigIssue[], values: ReadonlyMap<string, string>): ConfigIssue[] {
  const clean = (t: string): string => redactUrl(hideSubstituted(t, values));
  return issues.map((i) => ({
    ...i,
    message: clean(i.message),
    ...(i.path === undefined ? {} : { path: clean(i.path) }),
  }));
}
