/**
 * Lookup tables: CSV with a header row (the key column, then tag columns) or JSON (an object of
 * key -> {tag: value}, or an array of row objects with a key column). Cells become tag values;
 * empty cells and nulls are skipped. Parse errors throw with the line or key at fault.
 */

/** Key -> the tags to set, as pairs so applying a row allocates nothing. */
export type Table = Map<string, [string, string][]>;

/** Splits CSV text into rows of cells (RFC 4180 quoting, CRLF or LF). */
function csvRows(text: string): { cells: string[]; line: number }[] {
  const rows: { cells: string[]; line: number }[] = [];
  let cells: string[] = [];
  let cell = '';
  let quoted = false;
  let line = 1;
  let rowLine = 1;
  const endRow = (): void => {
    cells.push(cell);
    if (!(cells.length === 1 && cells[0] === '')) rows.push({ cells, line: rowLine });
    cells = [];
    cell = '';
  };
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (c === '"') quoted = false;
      else {
        if (c === '\n') line++;
        cell += c;
      }
    } else if (c === '"' && cell === '') quoted = true;
    else if (c === ',') {
      cells.push(cell);
      cell = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      endRow();
      rowLine = ++line;
    } else cell += c;
  }
  if (quoted) throw new Error(`unterminated quoted cell starting on line ${rowLine}`);
  endRow();
  return rows;
}

function parseCsv(text: string, keyColumn: string | undefined): Table {
  const rows = csvRows(text.replace(/^\uFEFF/, ''));
  if (rows.length === 0) throw new Error('empty CSV table (a header row is required)');
  const header = rows[0].cells.map((h) => h.trim());
  const keyAt = keyColumn === undefined ? 0 : header.indexOf(keyColumn);
  if (keyAt < 0) throw new Error(`key column "${keyColumn}" not in the header (${header.join(', ')})`);
  const table: Table = new Map();
  for (const { cells, line } of rows.slice(1)) {
    if (cells.length !== header.length)
      throw new Error(`line ${line}: ${cells.length} cells, the header has ${header.length}`);
    const tags: [string, string][] = [];
    for (let i = 0; i < cells.length; i++)
      if (i !== keyAt && cells[i] !== '') tags.push([header[i], cells[i]]);
    table.set(cells[keyAt], tags);
  }
  return table;
}

function rowTags(row: unknown, where: string, skip?: string): [string, string][] {
  if (typeof row !== 'object' || row === null || Array.isArray(row))
    throw new Error(`${where}: a row must be an object`);
  const tags: [string, string][] = [];
  for (const [k, v] of Object.entries(row)) {
    if (k === skip || v === null || v === '') continue;
    if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean')
      throw new Error(`${where}: column "${k}" must be a string, number or boolean`);
    tags.push([k, String(v)]);
  }
  return tags;
}

function parseJson(text: string, keyColumn: string | undefined): Table {
  const doc = JSON.parse(text) as unknown;
  const table: Table = new Map();
  if (Array.isArray(doc)) {
    if (keyColumn === undefined) throw new Error('a JSON array of rows needs key_column');
    doc.forEach((row: unknown, i) => {
      const key = (row as Record<string, unknown> | null)?.[keyColumn];
      if (typeof key !== 'string' && typeof key !== 'number')
        throw new Error(`row ${i}: no "${keyColumn}" key column`);
      table.set(String(key), rowTags(row, `row ${i}`, keyColumn));
    });
    return table;
  }
  if (typeof doc !== 'object' || doc === null)
    throw new Error('JSON table must be an object of key -> row, or an array of rows');
  for (const [key, row] of Object.entries(doc)) table.set(key, rowTags(row, `key "${key}"`));
  return table;
}

/** Parses table text in a format. */
export function parseTable(text: string, format: 'csv' | 'json', keyColumn: string | undefined): Table {
  return format === 'json' ? parseJson(text, keyColumn) : parseCsv(text, keyColumn);
}
