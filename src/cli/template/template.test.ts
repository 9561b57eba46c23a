import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseTemplate } from './index.ts';

class NodeContext {
  constructor(private readonly labels: Record<string, string>) {}
  get ID(): string {
    return 'id-from-getter';
  }
  Label(key: string): string {
    return this.labels[key] ?? '';
  }
}

const data = {
  ID: 'abc123',
  Hostname: 'node-1',
  Status: { State: 'ready', Addr: '10.0.0.1' },
  Spec: { Role: 'manager', Labels: { zone: 'b', env: 'prod' }, Availability: 'active' },
  Count: 3,
  Ratio: 0.25,
  Tags: ['a', 'b', 'c'],
  Empty: [],
  EmptyMap: {},
  Nil: null,
  Yes: true,
  No: false,
  M: { zeta: 1, alpha: 2, mid: 3 },
  Nested: [{ k: 'v' }],
  Big: 9007199254740993n,
  Ctx: new NodeContext({ a: '1' }),
  Created: new Date(Date.UTC(2024, 0, 2, 3, 4, 5)),
};

// [template, expected output] — expected strings are what Go's text/template (with docker's
// functions) prints for the equivalent Go map data.
const cases: [string, string][] = [
  ['plain text', 'plain text'],
  ['{{.ID}}', 'abc123'],
  ['{{ .Status.Addr }}', '10.0.0.1'],
  ['{{.Missing}}', '<no value>'],
  ['{{.Missing.Deeper}}', '<no value>'],
  ['{{.Nil}}', '<nil>'],
  ['{{.Spec.Labels}}', 'map[env:prod zone:b]'],
  ['{{.Status}}', 'map[Addr:10.0.0.1 State:ready]'],
  ['{{.Tags}} {{.Empty}} {{.EmptyMap}}', '[a b c] [] map[]'],
  ['{{.Count}} {{.Ratio}} {{.Yes}} {{.No}}', '3 0.25 true false'],
  ['{{.Big}}', '9007199254740993'],
  ['{{.Nested}}', '[map[k:v]]'],
  ['{{.Created}}', '2024-01-02 03:04:05 +0000 UTC'],
  // whitespace trimming and comments
  ['a  {{- .ID -}}  b', 'aabc123b'],
  ['a \n\t{{- .ID}} \n', 'aabc123 \n'],
  ['{{.ID -}}\n\n  x', 'abc123x'],
  ['a {{- /* comment */ -}} b', 'ab'],
  ['{{/* a\ncomment */}}x', 'x'],
  ['{{range .Tags}}\n  {{- .}}\n{{end}}', 'a\nb\nc\n'],
  ['{{-3}} {{ 3 }}', '-3 3'],
  // literals
  ['{{"a\\tb\\u00e9"}}', 'a\tbé'],
  ['{{`raw\\n`}}', 'raw\\n'],
  ["{{'a'}} {{0x1F}} {{1_000}} {{0o17}} {{017}} {{1e3}}", '97 31 1000 15 15 1000'],
  ['{{1.5}} {{0.000001}} {{1234567.5}} {{-2.5}}', '1.5 1e-06 1.2345675e+06 -2.5'],
  ['{{true}} {{false}}', 'true false'],
  // pipelines, parentheses, variables
  ['{{.ID | printf "%s-%s" "x"}}', 'x-abc123'],
  ['{{"hello" | upper | printf "%s!"}}', 'HELLO!'],
  ['{{(.Status).State}}', 'ready'],
  ['{{(index .Tags 1) | printf "%q"}}', '"b"'],
  ['{{$x := .Spec.Role}}{{$x}}', 'manager'],
  ['{{$x := 1}}{{if true}}{{$x = 2}}{{end}}{{$x}}', '2'],
  ['{{with .Status}}{{.State}} {{$.ID}}{{end}}', 'ready abc123'],
  ['{{$s := .Status}}{{$s.Addr}}', '10.0.0.1'],
  // if / else if / with
  ['{{if .Yes}}y{{end}}', 'y'],
  ['{{if .No}}y{{else}}n{{end}}', 'n'],
  ['{{if .Empty}}y{{else}}n{{end}}{{if .EmptyMap}}y{{else}}n{{end}}', 'nn'],
  ['{{if .Missing}}y{{else}}n{{end}}{{if .Nil}}y{{else}}n{{end}}{{if ""}}y{{else}}n{{end}}', 'nnn'],
  ['{{if .Count}}y{{end}}{{if .Ctx}}s{{end}}', 'ys'],
  ['{{if eq .Count 1}}one{{else if eq .Count 3}}three{{else}}other{{end}}', 'three'],
  ['{{if eq .Count 1}}one{{else if eq .Count 2}}two{{else}}other{{end}}', 'other'],
  ['{{with .Missing}}x{{else}}none{{end}}', 'none'],
  ['{{with .Status.State}}{{.}}{{end}}', 'ready'],
  ['{{with .Missing}}a{{else with .Status}}{{.Addr}}{{end}}', '10.0.0.1'],
  // range
  ['{{range .Tags}}<{{.}}>{{end}}', '<a><b><c>'],
  ['{{range $i, $t := .Tags}}{{$i}}={{$t}} {{end}}', '0=a 1=b 2=c '],
  ['{{range $t := .Tags}}{{$t}}{{end}}', 'abc'],
  ['{{range .Empty}}x{{else}}empty{{end}}', 'empty'],
  ['{{range .Missing}}x{{else}}none{{end}}', 'none'],
  ['{{range $k, $v := .M}}{{$k}}:{{$v}} {{end}}', 'alpha:2 mid:3 zeta:1 '],
  ['{{range .M}}{{.}}{{end}}', '231'],
  ['{{range $k, $v := .Spec.Labels}}{{$k}}={{$v}},{{end}}', 'env=prod,zone=b,'],
  ['{{range .Tags}}{{if eq . "b"}}{{break}}{{end}}{{.}}{{end}}', 'a'],
  ['{{range .Tags}}{{if eq . "b"}}{{continue}}{{end}}{{.}}{{end}}', 'ac'],
  ['{{range 3}}{{.}}{{end}}', '012'],
  ['{{$n := 0}}{{range .Tags}}{{$n = .}}{{end}}{{$n}}', 'c'],
  // built-in functions
  ['{{len .Tags}} {{len .ID}} {{len .Spec.Labels}} {{len "héllo"}}', '3 6 2 6'],
  ['{{index .Tags 0}} {{index .Spec.Labels "env"}} {{index .Nested 0 "k"}}', 'a prod v'],
  ['[{{index .Spec.Labels "nope"}}] {{index .Spec "nope"}} {{index "abc" 1}}', '[] <no value> 98'],
  ['{{slice .Tags 1 2}} {{slice .ID 3}} {{slice .Tags}}', '[b] 123 [a b c]'],
  ['{{and 1 "x"}} {{and 0 "x"}} {{or "" "y"}} [{{or 0 ""}}] {{not .Yes}}', 'x 0 y [] false'],
  ['{{and false (index .Tags 99)}} {{or true (index .Tags 99)}}', 'false true'],
  [
    '{{eq .ID "abc123"}} {{ne 1 2}} {{lt 1 2}} {{le 2 2}} {{gt "b" "a"}} {{ge 1 2}}',
    'true true true true true false',
  ],
  [
    '{{eq .Count 1 2 3}} {{eq .Missing nil}} {{eq .Nil nil}} {{eq "a" nil}}',
    'true true true false',
  ],
  ['{{print "a" 1 2 "b"}} {{print .Missing}}', 'a1 2b <nil>'],
  ['{{println "a" 1}}', 'a 1\n'],
  ['{{printf "%-8s|%5d|%.2f|%v" .ID .Count .Ratio .Tags}}', 'abc123  |    3|0.25|[a b c]'],
  [
    `{{html "<b>\\"Tom\\" & 'Jerry'</b>"}}`,
    '&lt;b&gt;&#34;Tom&#34; &amp; &#39;Jerry&#39;&lt;/b&gt;',
  ],
  [`{{js "it's <x> & y=1"}}`, "it\\'s \\u003Cx\\u003E \\u0026 y\\u003D1"],
  ['{{urlquery "a b/c?d=é"}} {{html .Missing}}', 'a+b%2Fc%3Fd%3D%C3%A9 &lt;no value&gt;'],
  // docker functions
  [
    '{{json .Spec}}',
    '{"Role":"manager","Labels":{"zone":"b","env":"prod"},"Availability":"active"}',
  ],
  [
    '{{json .Tags}} {{json .Count}} {{json .Ratio}} {{json .Missing}} {{json .Nil}}',
    '["a","b","c"] 3 0.25 null null',
  ],
  ['{{json "<&>\\n\\u2028"}}', '"<&>\\n\\u2028"'],
  ['{{json .Created}} {{json .Big}}', '"2024-01-02T03:04:05Z" 9007199254740993'],
  ['{{split "a,b,c" ","}} {{join .Tags ", "}}', '[a b c] a, b, c'],
  ['{{range split "a:b" ":"}}[{{.}}]{{end}}', '[a][b]'],
  ['{{title "hello wORLD foo_bar x-y"}}', 'Hello WORLD Foo_bar X-Y'],
  ['{{lower "ABC"}} {{upper "abc"}}', 'abc ABC'],
  ['{{pad "x" 2 1}}|{{pad "" 2 1}}|', '  x ||'],
  ['{{truncate "abcdef" 4}} {{truncate "ab" 4}}', 'abcd ab'],
  // "methods": function-valued properties and getters
  [
    '{{.Ctx.ID}} {{.Ctx.Label "a"}} [{{.Ctx.Label "b"}}] {{"a" | .Ctx.Label}}',
    'id-from-getter 1 [] 1',
  ],
];

describe('template execution', () => {
  for (const [text, want] of cases) {
    it(JSON.stringify(text), () => {
      assert.equal(parseTemplate(text).execute(data), want);
    });
  }

  it('uses dot as $ and prints non-object data', () => {
    assert.equal(parseTemplate('{{.}} {{$}}').execute('x'), 'x x');
    assert.equal(
      parseTemplate('{{.}}').execute({ a: [1, { b: null }], c: 'x y' }),
      'map[a:[1 map[b:<nil>]] c:x y]',
    );
    assert.equal(parseTemplate('{{.}}').execute(undefined), '<no value>');
  });

  it('supports Map data with sorted iteration', () => {
    const m = new Map<string, number>([
      ['b', 2],
      ['a', 1],
    ]);
    assert.equal(
      parseTemplate('{{.a}} {{range $k, $v := .}}{{$k}}{{$v}}{{end}} {{.}}').execute(m),
      '1 a1b2 map[a:1 b:2]',
    );
  });

  it('accepts extra functions', () => {
    const t = parseTemplate('{{shout .}}', { funcs: { shout: (s: unknown) => `${s}!` } });
    assert.equal(t.execute('hi'), 'hi!');
  });

  it('can be executed repeatedly with different data', () => {
    const t = parseTemplate('{{.A}}');
    assert.equal(t.execute({ A: 1 }), '1');
    assert.equal(t.execute({ A: 2 }), '2');
  });
});
