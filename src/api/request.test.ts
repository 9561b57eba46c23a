import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  describeJsonError,
  encodeFilters,
  jsonErrorOffset,
  parseFilters,
  parseJsonBody,
  queryBool,
  queryInt,
} from './request.ts';

const query = (filters: string) => new URLSearchParams({ filters });

describe('parseFilters', () => {
  test('reads the map form and the legacy list form', () => {
    assert.deepEqual(
      parseFilters(query('{"name":{"web":true,"db":true},"label":{"a=b":true}}')),
      new Map([
        ['name', ['web', 'db']],
        ['label', ['a=b']],
      ]),
    );
    assert.deepEqual(
      parseFilters(query('{"name":["web","web","db"]}')),
      new Map([['name', ['web', 'db']]]),
    );
    // dockerd takes every key of the map form, whatever its boolean.
    assert.deepEqual(parseFilters(query('{"id":{"x":false}}')), new Map([['id', ['x']]]));
  });

  test('absent or empty filters are none', () => {
    assert.equal(parseFilters(new URLSearchParams()).size, 0);
    assert.equal(parseFilters(query('')).size, 0);
    assert.equal(parseFilters(undefined).size, 0);
    assert.equal(parseFilters('{}', ['name']).size, 0);
  });

  test('validates names against the allowed list with dockerd wording', () => {
    assert.throws(() => parseFilters(query('{"name":["a"],"xyz":["b"]}'), ['name', 'id']), {
      name: 'BadRequestError',
      status: 400,
      message: "invalid filter 'xyz'",
    });
  });

  test('refuses malformed JSON and values of the wrong shape', () => {
    assert.throws(
      () => parseFilters(query('{"name":')),
      /^BadRequestError: invalid filters: malformed JSON/,
    );
    assert.throws(() => parseFilters(query('["name"]')), /expected a JSON object/);
    assert.throws(() => parseFilters(query('{"name":"web"}')), /values of 'name'/);
    assert.throws(() => parseFilters(query('{"name":{"web":1}}')), /values of 'name'/);
  });

  test('encodeFilters writes the map form the docker CLI sends', () => {
    const encoded = encodeFilters({ name: ['web'], label: ['a', 'b'] });
    assert.equal(encoded, '{"name":{"web":true},"label":{"a":true,"b":true}}');
    assert.deepEqual(
      parseFilters(encoded),
      new Map([
        ['name', ['web']],
        ['label', ['a', 'b']],
      ]),
    );
  });
});

test('queryBool follows httputils.BoolValue', () => {
  const values = new URLSearchParams(
    'a=1&b=true&c=True&d=0&e=false&f=&g=no&h=none&i=yes&j=%20FALSE%20',
  );
  for (const key of ['a', 'b', 'c', 'i']) assert.equal(queryBool(values, key), true, key);
  for (const key of ['d', 'e', 'f', 'g', 'h', 'j'])
    assert.equal(queryBool(values, key), false, key);
  assert.equal(queryBool(values, 'missing'), false);
  assert.equal(queryBool(values, 'missing', true), true);
});

test('queryInt parses integers and refuses anything else', () => {
  const values = new URLSearchParams('version=42&neg=-3&empty=&bad=4x&float=1.5');
  assert.equal(queryInt(values, 'version'), 42);
  assert.equal(queryInt(values, 'neg'), -3);
  assert.equal(queryInt(values, 'empty'), undefined);
  assert.equal(queryInt(values, 'missing'), undefined);
  assert.throws(() => queryInt(values, 'bad'), { status: 400 });
  assert.throws(() => queryInt(values, 'float'), { status: 400 });
});

describe('parseJsonBody', () => {
  test('parses JSON, with or without a JSON content type', () => {
    assert.deepEqual(parseJsonBody(Buffer.from('{"a":1}'), 'application/json'), { a: 1 });
    assert.deepEqual(parseJsonBody(Buffer.from('{"a":1}'), 'application/json; charset=utf-8'), {
      a: 1,
    });
    assert.deepEqual(parseJsonBody(Buffer.from('[true]'), undefined), [true]);
  });

  test('no body is undefined', () => {
    assert.equal(parseJsonBody(Buffer.alloc(0), undefined), undefined);
    assert.equal(parseJsonBody(Buffer.from(' \n'), 'application/json'), undefined);
    assert.equal(parseJsonBody(Buffer.alloc(0), 'text/plain'), undefined);
  });

  test('a non-JSON content type with a body is refused', () => {
    assert.throws(() => parseJsonBody(Buffer.from('x'), 'application/x-tar'), {
      status: 400,
      message: "Content-Type specified (application/x-tar) must be 'application/json'",
    });
  });

  test('malformed JSON names line, column and offset', () => {
    assert.throws(
      () => parseJsonBody(Buffer.from('{\n  "Name": "web",\n  "Mode": tru\n}'), undefined),
      {
        status: 400,
        message:
          'malformed JSON in request body at line 3, column 14 (offset 32): Unexpected token "\\n"',
      },
    );
    assert.throws(() => parseJsonBody(Buffer.from('{"a":1,}'), 'application/json'), {
      message:
        'malformed JSON in request body at line 1, column 8 (offset 7): Expected double-quoted property name in JSON at position 7',
    });
    assert.throws(() => parseJsonBody(Buffer.from('{"a":'), 'application/json'), {
      message:
        'malformed JSON in request body at line 1, column 6 (offset 5): Unexpected end of JSON input',
    });
  });

  test('the message drops V8 echoing the input back', () => {
    const message = describeJsonError(
      'xyz',
      new SyntaxError(`Unexpected token 'x', "xyz" is not valid JSON`),
    );
    assert.equal(
      message,
      "malformed JSON in request body at line 1, column 1 (offset 0): Unexpected token 'x'",
    );
  });
});

describe('jsonErrorOffset', () => {
  test('known cases', () => {
    assert.equal(jsonErrorOffset('{"a":[1,2,{"b":null}],"c":"\\u00e9"}'), -1);
    assert.equal(jsonErrorOffset('xyz'), 0);
    assert.equal(jsonErrorOffset('{"a":tru}'), 8);
    assert.equal(jsonErrorOffset('[1,2'), 4);
    assert.equal(jsonErrorOffset('{} x'), 3);
    assert.equal(jsonErrorOffset('"a\u0001"'), 2);
    assert.equal(jsonErrorOffset('-1.'), 3);
    assert.equal(jsonErrorOffset('01'), 1);
    assert.equal(jsonErrorOffset(''), 0);
  });

  test('agrees with JSON.parse on validity and on every position V8 reports', () => {
    let seed = 7;
    const random = () => {
      seed = (seed + 0x6d2b79f5) | 0;
      let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
    const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
    const scalars = [0, -1.5, 12e3, true, false, null, 'a"b', 'x\\y', '\u0001', 'é'];
    const value = (depth: number): unknown => {
      const roll = random();
      if (depth > 3 || roll < 0.3) return pick(scalars);
      const size = Math.floor(random() * 4);
      if (roll < 0.65) return Array.from({ length: size }, () => value(depth + 1));
      return Object.fromEntries(
        Array.from({ length: size }, (_, index) => [`k${index}`, value(depth + 1)]),
      );
    };
    const alphabet = [
      '{',
      '}',
      '[',
      ']',
      ',',
      ':',
      '"',
      '\\',
      '0',
      '1',
      '-',
      '.',
      'e',
      't',
      'n',
      ' ',
      '\n',
      'u',
    ];
    for (let round = 0; round < 10_000; round++) {
      let source = JSON.stringify(value(0), null, random() < 0.3 ? 1 : undefined);
      const at = Math.floor(random() * (source.length + 1));
      const edit = random();
      if (edit < 0.33) source = source.slice(0, at) + source.slice(at + 1);
      else if (edit < 0.66) source = source.slice(0, at) + pick(alphabet) + source.slice(at);
      else source = source.slice(0, at) + pick(alphabet) + source.slice(at + 1);
      let message: string | undefined;
      try {
        JSON.parse(source);
      } catch (error) {
        message = (error as Error).message;
      }
      const offset = jsonErrorOffset(source);
      assert.equal(offset === -1, message === undefined, source);
      const reported = message === undefined ? null : /at position (\d+)/.exec(message);
      if (reported !== null) assert.equal(offset, Number(reported[1]), source);
    }
  });
});
