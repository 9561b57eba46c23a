/**
 * Go `text/template`, as used by the docker CLI's `--format` / `-f` flags.
 *
 * API
 *  - `parseTemplate(text, options?) → Template`; `template.execute(data, options?) → string`.
 *    Functions: Go's built-ins (and, or, not, len, index, slice, print, printf, println,
 *    eq, ne, lt, le, gt, ge, html, js, urlquery) plus docker's (json, split, join, title,
 *    lower, upper, pad, truncate). `options.funcs` adds functions; `missingKey: 'error'`
 *    is Go's Option("missingkey=error").
 *  - `formatTable(rows, format, headers) → string`: docker's list formatter (`table ...`
 *    prefix with a header row and aligned columns, `json`, or one line per row).
 *  - `TabWriter(minWidth, tabWidth, padding, padChar, flags)`: Go's text/tabwriter as forked
 *    by docker (cell width = terminal display width); `write(text)`, `flush() → string`.
 *    Flags: AlignRight, DiscardEmptyColumns, TabIndent, Debug (no FilterHTML/Escape).
 *  - `TemplateError` (kind 'parse' | 'exec'); messages are worded like Go's, e.g.
 *    `template: :1: unexpected "}" in operand` and
 *    `template: :1:6: executing "" at <.Foo.Bar>: can't evaluate field Bar in type string`.
 *    Execution errors are `TemplateExecError`s carrying `partialOutput`. docker prints both
 *    kinds as `template parsing error: <message>` and exits with status 1.
 *
 * Supported syntax: text, `{{ }}` with `{{- ` / ` -}}` trimming, comments, pipelines, `$x :=`,
 * `$x =`, `$`, `.`, field chains, parenthesized pipelines, string/raw/char/number/bool/nil
 * literals, if/else if/else, with/else with/else, range (arrays, objects in sorted key order,
 * integers; `$i, $v :=`; else; break/continue). Not supported (parse error): define/template/
 * block, `call`, complex numbers.
 *
 * Value model (JS values stand in for Go's):
 *  - Plain objects and Maps act like Go maps: a missing key yields "no value" (printed as
 *    `<no value>`, chained lookups on it yield no value) rather than Go's struct-field error.
 *    Function-valued properties (including class methods/getters) are called like Go methods,
 *    with arguments: `{{.Label "com.example"}}`.
 *  - `undefined` is Go's invalid value (`<no value>`); `null` is a nil interface/pointer
 *    (`<nil>`; a field access through it is an error, like Go).
 *  - Truthiness is Go's: false, 0, "", nil, empty arrays and empty plain objects/Maps are
 *    false; class instances (Go structs) and Dates are always true.
 *  - Integral numbers (|n| < 2^63) act as Go ints (`1000000`, where a Go float64 would print
 *    `1e+06`), others as float64 (`1.5`, `1.2345675e+06`); bigint for exact 64-bit values.
 *    printf's float verbs accept both. Arrays print `[a b]`, objects `map[k:v]` (sorted keys).
 *  - `index` of a missing key yields "" when the object holds only strings (Go's
 *    map[string]string zero value, e.g. labels) and no value otherwise.
 *  - `json` encodes objects in insertion order (like a Go struct), Maps with sorted keys,
 *    without HTML escaping (docker calls SetEscapeHTML(false)).
 */
export { TemplateError } from './errors.ts';
export type { FuncSpec, ParamType, TemplateFunc } from './functions.ts';
export { formatTable, prepareFormat } from './table.ts';
export { displayWidth, TabWriter, TabWriterFlags } from './tabwriter.ts';
export {
  type ExecuteOptions,
  type ParseOptions,
  parseTemplate,
  Template,
  TemplateExecError,
} from './template.ts';
