// docker/cli's formatter.Context: `--format` handling for list commands.
import { HEADER_FUNCS } from './docker-funcs.ts';
import { TabWriter } from './tabwriter.ts';
import { parseTemplate, TemplateExecError } from './template.ts';

/** Rewrites a `--format` value the way docker's formatter does before parsing it. */
export function prepareFormat(format: string): { template: string; isTable: boolean } {
  const isTable = format.startsWith('table');
  let text = isTable ? format.slice('table'.length) : format === 'json' ? '{{json .}}' : format;
  text = text.replace(/^ +| +$/g, '').replace(/\\t|\\n/g, (m) => (m === '\\t' ? '\t' : '\n'));
  return { template: text, isTable };
}

/**
 * Renders rows with a docker-style `--format`:
 *  - `table <tmpl>`: a header row (the template executed against `headers`, with the
 *    formatting functions made identity, as docker does), then one row per item, aligned by
 *    a TabWriter(10, 1, 3, ' '); a literal `\t` / `\n` in the format means tab / newline.
 *  - `json`: one `{{json .}}` line per row.
 *  - anything else: the template once per row, each followed by a newline.
 * Throws TemplateError (docker prints it prefixed with "template parsing error: ").
 */
export function formatTable(
  rows: readonly unknown[],
  format: string,
  headers: Record<string, string>,
): string {
  const { template, isTable } = prepareFormat(format);
  const tmpl = parseTemplate(template);
  let body = '';
  for (const row of rows) body += `${tmpl.execute(row)}\n`;
  if (!isTable) return body;
  let header: string;
  try {
    header = tmpl.execute(headers, { funcs: HEADER_FUNCS });
  } catch (e) {
    // docker ignores header execution errors and keeps what was written so far.
    if (!(e instanceof TemplateExecError)) throw e;
    header = e.partialOutput;
  }
  const tw = new TabWriter(10, 1, 3, ' ');
  tw.write(`${header}\n`);
  tw.write(body);
  return tw.flush();
}
