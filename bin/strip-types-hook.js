// Loaded by bin/viva.js (`node --import`) only when VIVA is installed under node_modules, where
// Node refuses to strip TypeScript types (ERR_UNSUPPORTED_NODE_MODULES_TYPE_STRIPPING): a load
// hook strips the types of VIVA's own .ts files itself, with Node's own stripper.
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

module.registerHooks({
  load(url, context, nextLoad) {
    const own = url.startsWith(root) && !url.slice(root.length).startsWith('node_modules/');
    if (!own || !url.endsWith('.ts')) return nextLoad(url, context);
    const source = fs.readFileSync(fileURLToPath(url), 'utf8');
    return { format: 'module', source: module.stripTypeScriptTypes(source), shortCircuit: true };
  },
});
