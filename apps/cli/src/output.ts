/** How a listing prints: a table (wide adds columns), or the API's JSON as it came. */
export const OUTPUT_FORMATS = ['table', 'wide', 'json'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

export interface Column<T> {
  header: string;
  value: (row: T) => string;
  /** Only with `-o wide`. */
  wide?: boolean;
}

/** A table as kubectl prints one: upper-case headers, columns padded to their widest cell, no borders. */
export function table<T>(rows: readonly T[], columns: readonly Column<T>[], format: OutputFormat): string {
  const shown = columns.filter((column) => format === 'wide' || !column.wide);
  const cells = [shown.map((c) => c.header.toUpperCase()), ...rows.map((row) => shown.map((c) => c.value(row)))];
  const widths = shown.map((_, i) => Math.max(...cells.map((line) => line[i].length)));
  return cells
    .map((line) =>
      line
        .map((cell, i) => (i === line.length - 1 ? cell : cell.padEnd(widths[i])))
        .join('   ')
        .trimEnd(),
    )
    .join('\n');
}

/**
 * The format a listing uses: as asked; else a table on a terminal and JSON when piped, so a script reads what the
 * API answered and a person reads a table.
 */
export function outputFormat(asked: string | undefined, isTerminal: boolean): OutputFormat {
  if (asked === undefined) {
    return isTerminal ? 'table' : 'json';
  }
  if (!(OUTPUT_FORMATS as readonly string[]).includes(asked)) {
    throw new Error(`-o must be one of ${OUTPUT_FORMATS.join(', ')}, not "${asked}"`);
  }
  return asked as OutputFormat;
}

/** A bar of `width` cells for done out of total: `[########------]`. */
export function bar(done: number, total: number, width = 24): string {
  const filled = total === 0 ? width : Math.round((done / total) * width);
  return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}]`;
}
