import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseTemplate, TemplateError, TemplateExecError } from './index.ts';

// Messages as produced by Go's text/template (template name "", as docker uses).
const parseErrors: [string, string][] = [
  ['{{.Foo }', 'template: :1: unexpected "}" in operand'],
  ['{{.Foo}', "template: :1: bad character U+007D '}'"],
  ['{{.Foo', 'template: :1: unclosed action'],
  ['a\nb\n{{.X', 'template: :3: unclosed action'],
  ['{{if .X}}x', 'template: :1: unexpected EOF'],
  ['{{end}}', 'template: :1: unexpected {{end}}'],
  ['{{else}}', 'template: :1: unexpected {{else}}'],
  ['{{.X}}{{end}}', 'template: :1: unexpected {{end}}'],
  ['{{}}', 'template: :1: missing value for command'],
  ['{{if}}{{end}}', 'template: :1: missing value for if'],
  ['{{range}}{{end}}', 'template: :1: missing value for range'],
  ['{{nofunc .X}}', 'template: :1: function "nofunc" not defined'],
  ['{{$x}}', 'template: :1: undefined variable "$x"'],
  ['{{if true}}{{$x := 1}}{{end}}{{$x}}', 'template: :1: undefined variable "$x"'],
  ['{{"abc}}', 'template: :1: unterminated quoted string'],
  ['{{`abc}}', 'template: :1: unterminated raw quoted string'],
  ['{{/* x }}', 'template: :1: unclosed comment'],
  ['{{/* x */ }}', 'template: :1: comment ends before closing delimiter'],
  ['{{break}}', 'template: :1: {{break}} outside {{range}}'],
  ['{{range .}}{{else}}{{continue}}{{end}}', 'template: :1: {{continue}} outside {{range}}'],
  ['{{.X | 3}}', 'template: :1: non executable command in pipeline stage 2'],
  ['{{range $a, $b, $c := .}}{{end}}', 'template: :1: too many declarations in range'],
  ['{{with $a, $b := .}}{{end}}', 'template: :1: too many declarations in with'],
  ['{{3.X}}', 'template: :1: bad number syntax: "3.X"'],
  ['{{"x".Y}}', 'template: :1: unexpected . after term "\\"x\\""'],
  ['{{if .X}}a{{else}}b{{else}}c{{end}}', 'template: :1: expected end; found {{else}}'],
  ['{{(.X}}', 'template: :1: unclosed left paren'],
  ['{{.X)}}', 'template: :1: unexpected right paren'],
  ['{{.X = 1}}', 'template: :1: unexpected "=" in operand'],
  ['{{.X}}\n{{.Y', 'template: :2: unclosed action'],
  ['{{if\n.X', 'template: :2: unclosed action started at :1'],
  ['{{"\\q"}}', 'template: :1: invalid syntax'],
  ['{{ # }}', 'template: :1: unexpected "#" in command'],
  ['{{ .A }}{{ . | }}x{{', 'template: :1: unclosed action'],
  ['{{99999999999999999999}}', 'template: :1: integer overflow: "99999999999999999999"'],
];

// [template, data, message]
const execErrors: [string, unknown, string][] = [
  [
    '{{.ID.Foo}}',
    { ID: 'x' },
    `template: :1:5: executing "" at <.ID.Foo>: can't evaluate field Foo in type string`,
  ],
  [
    '{{.Foo}}',
    'str',
    `template: :1:2: executing "" at <.Foo>: can't evaluate field Foo in type string`,
  ],
  [
    '{{.N.Foo}}',
    { N: 1.5 },
    `template: :1:4: executing "" at <.N.Foo>: can't evaluate field Foo in type float64`,
  ],
  [
    'a\n  {{.ID.Foo}}',
    { ID: 'x' },
    `template: :2:7: executing "" at <.ID.Foo>: can't evaluate field Foo in type string`,
  ],
  [
    '{{.Nil.Foo}}',
    { Nil: null },
    'template: :1:6: executing "" at <.Nil.Foo>: nil pointer evaluating interface {}.Foo',
  ],
  [
    '{{index .T 5}}',
    { T: [1] },
    'template: :1:2: executing "" at <index .T 5>: error calling index: index out of range: 5',
  ],
  [
    '{{index .M 1}}',
    { M: { a: 1 } },
    'template: :1:2: executing "" at <index .M 1>: error calling index: value has type int; should be string',
  ],
  [
    '{{index 3 1}}',
    {},
    'template: :1:2: executing "" at <index 3 1>: error calling index: can\'t index item of type int',
  ],
  ['{{len 3}}', {}, 'template: :1:2: executing "" at <len 3>: error calling len: len of type int'],
  [
    '{{slice .T 2 1}}',
    { T: [1, 2] },
    'template: :1:2: executing "" at <slice .T 2 1>: error calling slice: invalid slice index: 2 > 1',
  ],
  ['{{upper 3}}', {}, 'template: :1:8: executing "" at <3>: expected string; found 3'],
  [
    '{{upper .C}}',
    { C: 3 },
    'template: :1:8: executing "" at <.C>: wrong type for value; expected string; got int',
  ],
  [
    '{{upper .Missing}}',
    {},
    'template: :1:8: executing "" at <.Missing>: invalid value; expected string',
  ],
  [
    '{{upper "a" "b"}}',
    {},
    'template: :1:2: executing "" at <upper>: wrong number of args for upper: want 1 got 2',
  ],
  [
    '{{"a" | upper "b"}}',
    {},
    'template: :1:8: executing "" at <upper>: wrong number of args for upper: want 1 got 2',
  ],
  [
    '{{truncate "abc" nil}}',
    {},
    'template: :1:17: executing "" at <nil>: cannot assign nil to int',
  ],
  [
    '{{lt 1 "a"}}',
    {},
    'template: :1:2: executing "" at <lt 1 "a">: error calling lt: incompatible types for comparison: int and string',
  ],
  [
    '{{lt true false}}',
    {},
    'template: :1:2: executing "" at <lt true false>: error calling lt: invalid type for comparison',
  ],
  [
    '{{eq}}',
    {},
    'template: :1:2: executing "" at <eq>: wrong number of args for eq: want at least 1 got 0',
  ],
  [
    '{{eq 1}}',
    {},
    'template: :1:2: executing "" at <eq 1>: error calling eq: missing argument for comparison',
  ],
  [
    '{{range .ID}}{{end}}',
    { ID: 'abc' },
    `template: :1:8: executing "" at <.ID>: range can't iterate over abc`,
  ],
  [
    '{{.ID 1}}',
    { ID: 'abc' },
    'template: :1:2: executing "" at <.ID>: ID is not a method but has arguments',
  ],
  ['{{nil}}', {}, 'template: :1:2: executing "" at <nil>: nil is not a command'],
  ['{{1 2}}', {}, 'template: :1:2: executing "" at <1>: can\'t give argument to non-function 1'],
  [
    '{{pad "x" -1 0}}',
    {},
    'template: :1:2: executing "" at <pad "x" -1 0>: error calling pad: strings: negative Repeat count',
  ],
  [
    '{{$x := 1}}{{range $i, $v := 3}}{{end}}',
    {},
    'template: :1:29: executing "" at <3>: can\'t use 3 to iterate over more than one variable',
  ],
];

describe('parse errors', () => {
  for (const [text, message] of parseErrors) {
    it(JSON.stringify(text), () => {
      assert.throws(
        () => parseTemplate(text),
        (e: unknown) => e instanceof TemplateError && e.kind === 'parse' && e.message === message,
        message,
      );
    });
  }
});

describe('execution errors', () => {
  for (const [text, data, message] of execErrors) {
    it(JSON.stringify(text), () => {
      const t = parseTemplate(text);
      assert.throws(
        () => t.execute(data),
        (e: unknown) => {
          assert.ok(e instanceof TemplateError);
          assert.equal(e.kind, 'exec');
          assert.equal(e.message, message);
          return true;
        },
      );
    });
  }

  it('reports missing keys with missingKey: error', () => {
    const t = parseTemplate('{{.A}} {{.Missing}}', { missingKey: 'error' });
    assert.throws(
      () => t.execute({ A: 1 }),
      (e: unknown) =>
        e instanceof TemplateExecError &&
        e.message ===
          'template: :1:9: executing "" at <.Missing>: map has no entry for key "Missing"' &&
        e.partialOutput === '1 ',
    );
  });

  it('wraps errors thrown by methods and custom functions', () => {
    const t = parseTemplate('{{.F}}|{{boom}}', {
      funcs: {
        boom: () => {
          throw new Error('bang');
        },
      },
    });
    assert.throws(
      () => t.execute({ F: () => 'ok' }),
      /executing "" at <boom>: error calling boom: bang$/,
    );
  });

  it('rejects unsupported define/template/block', () => {
    assert.throws(
      () => parseTemplate('{{template "x"}}'),
      /^TemplateError: template: :1: unexpected <template> in command$/,
    );
    assert.throws(() => parseTemplate('{{define "x"}}{{end}}'), /unexpected <define> in command/);
  });
});
