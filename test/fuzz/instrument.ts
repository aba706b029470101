/**
 * Coverage for jsfuzz: jsfuzz instruments only what goes through require()'s .js hook, while
 * VIVA's sources are ESM TypeScript. This registers a synchronous module load hook that strips
 * the types of every repository .ts file under core/ and plugins/ and instruments it with
 * istanbul, which counts into globalThis.__coverage__, the object jsfuzz reads.
 */
import { createRequire, registerHooks, stripTypeScriptTypes } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const INSTRUMENTED = [path.join(ROOT, 'core') + path.sep, path.join(ROOT, 'plugins') + path.sep];

interface Instrumenter {
  instrumentSync(code: string, filename: string): string;
}

const require = createRequire(import.meta.url);
const { createInstrumenter } = require('istanbul-lib-instrument') as {
  createInstrumenter(opts: object): Instrumenter;
};

let registered = false;

/** Whether a module URL is VIVA source that should count towards coverage. */
function covered(url: string): string | undefined {
  if (!url.startsWith('file:') || !url.endsWith('.ts') || url.endsWith('.test.ts')) return undefined;
  const file = fileURLToPath(url);
  return INSTRUMENTED.some((dir) => file.startsWith(dir)) ? file : undefined;
}

/** Registers the hook once; modules loaded after this call are instrumented. */
export function instrumentViva(): void {
  if (registered) return;
  registered = true;
  const instrumenter = createInstrumenter({ esModules: true, compact: true });
  registerHooks({
    load(url, context, nextLoad) {
      const result = nextLoad(url, context);
      const file = covered(url);
      if (file === undefined || result.source === undefined) return result;
      const js = stripTypeScriptTypes(String(result.source), { mode: 'strip' });
      return { format: 'module', source: instrumenter.instrumentSync(js, file), shortCircuit: true };
    },
  });
}
