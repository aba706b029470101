// Loaded by bin/viva.js (`node --import`) only when VIVA is installed under node_modules, where
// Node refuses to strip TypeScript types (ERR_UNSUPPORTED_NODE_MODULES_TYPE_STRIPPING): a load
// hook strips the types of VIVA's own .ts files itself, with Node's own stripper. With the compile
// cache on (bin/compile-cache.js, loaded first), the stripped text is kept there by the hash of
// the source: a later start loads no stripper (a WebAssembly module that stays in memory).
import crypto from 'node:crypto';
import fs from 'node:fs';
import module from 'node:module';
import path from 'node:path';
import process from 'node:process';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = pathToFileURL(path.join(path.dirname(fileURLToPath(import.meta.url)), '..') + path.sep).href;

// The stripper warns that it is experimental, once per process: the operator cannot act on it.
const emitWarning = process.emitWarning;
process.emitWarning = function (warning, ...rest) {
  if (String(warning).startsWith('stripTypeScriptTypes')) return;
  return emitWarning.call(process, warning, ...rest);
};

const cacheDir = module.getCompileCacheDir?.();
const strippedDir = cacheDir === undefined ? undefined : path.join(cacheDir, 'viva-stripped');

/** The source without its types: from the cache when an earlier start stripped the same text. */
function strip(source) {
  if (strippedDir === undefined) return module.stripTypeScriptTypes(source);
  const file = path.join(strippedDir, crypto.createHash('sha256').update(source).digest('hex') + '.js');
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    // Not cached yet (or unreadable): strip, and keep it for the next start when we can.
  }
  const stripped = module.stripTypeScriptTypes(source);
  try {
    fs.mkdirSync(strippedDir, { recursive: true, mode: 0o700 });
    const tmp = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, stripped, { mode: 0o600 });
    fs.renameSync(tmp, file);
  } catch {
    // A read-only cache: the next start strips again.
  }
  return stripped;
}

module.registerHooks({
  load(url, context, nextLoad) {
    const own = url.startsWith(root) && !url.slice(root.length).startsWith('node_modules/');
    if (!own || !url.endsWith('.ts')) return nextLoad(url, context);
    const source = fs.readFileSync(fileURLToPath(url), 'utf8');
    return { format: 'module', source: strip(source), shortCircuit: true };
  },
});
