// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the strings are compose templates
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { substitute, TemplateError } from './interpolate.ts';

const variables: Record<string, string> = { SET: 'value', EMPTY: '', NUMBER: '3' };
const lookup = (name: string) => variables[name];

describe('substitute', () => {
  const cases: [string, string][] = [
    ['plain text', 'plain text'],
    ['$SET and ${SET}', 'value and value'],
    ['$SET_suffix', ''],
    ['${SET}_suffix', 'value_suffix'],
    ['$$SET costs $$5', '$SET costs $5'],
    ['${UNSET}', ''],
    ['${UNSET:-default}|${EMPTY:-default}|${SET:-default}', 'default|default|value'],
    ['${UNSET-default}|${EMPTY-default}|${SET-default}', 'default||value'],
    ['${UNSET:+alt}|${EMPTY:+alt}|${SET:+alt}', '||alt'],
    ['${UNSET+alt}|${EMPTY+alt}|${SET+alt}', '|alt|alt'],
    ['${UNSET:-${ALSO_UNSET:-nested ${SET}}}', 'nested value'],
    ['${UNSET:-a}b}', 'ab}'],
    ['${EMPTY?}', ''],
    ['${SET:?message}', 'value'],
    ['${UNSET:-$$literal}', '$literal'],
  ];
  for (const [template, expected] of cases) {
    it(template, () => assert.equal(substitute(template, lookup), expected));
  }

  const failures: [string, RegExp][] = [
    ['${UNSET:?please set it}', /^required variable UNSET is missing a value: please set it$/],
    ['${EMPTY:?}', /^required variable EMPTY is missing a value$/],
    ['${UNSET?}', /^required variable UNSET is missing a value$/],
    ['${unterminated', /^invalid interpolation format in "\$\{unterminated"/],
    ['cost: $5', /you may need to escape any \$ with another \$/],
    ['trailing $', /invalid interpolation format/],
    ['${}', /invalid interpolation format/],
    ['${1BAD}', /invalid interpolation format/],
    ['${SET*x}', /invalid interpolation format/],
  ];
  for (const [template, pattern] of failures) {
    it(`refuses ${template}`, () =>
      assert.throws(
        () => substitute(template, lookup),
        (error: unknown) => error instanceof TemplateError && pattern.test(error.message),
      ));
  }
});
