import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatFloatG } from './float.ts';
import { formatValue, goQuote } from './format-value.ts';
import { sprintf } from './printf.ts';

// [format, args, Go's fmt.Sprintf output] (integral JS numbers stand for Go ints,
// others for float64).
const cases: [string, unknown[], string][] = [
  ['%s|%-8s|%8s|', ['ab', 'ab', 'ab'], 'ab|ab      |      ab|'],
  ['%d|%5d|%-5d|%05d|%+d|% d', [42, 42, 42, -42, 42, 42], '42|   42|42   |-0042|+42| 42'],
  [
    '%x|%X|%#x|%#08x|%o|%#o|%O|%b|%x',
    [255, 255, 255, 255, 8, 8, 8, 5, -255],
    'ff|FF|0xff|0x000000ff|10|010|0o10|101|-ff',
  ],
  ['%c|%q|%U|%#U', [65, 65, 0x1f600, 65], "A|'A'|U+1F600|U+0041 'A'"],
  ['%.3d|%8.3d', [7, -7], '007|    -007'],
  [
    '%v|%v|%v|%v|%t',
    [true, null, [1, 2], { b: 2, a: 1 }, false],
    'true|<nil>|[1 2]|map[a:1 b:2]|false',
  ],
  ['%f|%.2f|%8.3f|%-8.1f|', [3.14158, 3.14158, 3.14158, 2.25], '3.141580|3.14|   3.142|2.2     |'],
  [
    '%e|%E|%.2e|%+.1e',
    [1234.5678, 0.000123, 1234.5678, 12345],
    '1.234568e+03|1.230000E-04|1.23e+03|+1.2e+04',
  ],
  [
    '%g|%g|%G|%g|%.3g|%.3g',
    [0.00001234, 1e21, 1e-7, 100000.5, 1234.5678, 0.5],
    '1.234e-05|1e+21|1E-07|100000.5|1.23e+03|0.5',
  ],
  ['%6.2f|%06.2f|%+.1f', [-1.5, -1.5, 2], ' -1.50|-01.50|+2.0'],
  ['%5.1f%%', [99.55], ' 99.5%'],
  // ties round to even on the exact binary value, like strconv
  [
    '%.0f|%.0f|%.1f|%.2e|%.3g|%.1f',
    [2.5, 3.5, 0.05, 1.125, 2.675, 0.25],
    '2|4|0.1|1.12e+00|2.67|0.2',
  ],
  ['%.2f|%.0f|%.3f|%.1e', [1e22, 0.4, 0.0005, 9.96], '10000000000000000000000.00|0|0.001|1.0e+01'],
  ['%v|%v|%v', [1.5, 1e-7, 2.5e300], '1.5|1e-07|2.5e+300'],
  [
    '%q|%q|%x|%X|%.3s|%5.1s|',
    ['a"b\n', 'é\u0000', 'hi', 'hi', 'abcdef', 'xyz'],
    '"a\\"b\\n"|"é\\x00"|6869|6869|abc|    x|',
  ],
  ['%s|%q|%5s|%d', [['a', 'b'], ['a'], ['a'], [1, 2]], '[a b]|["a"]|[    a]|[1 2]'],
  ['%*d|%-*d|', [5, 42, 4, 7], '   42|7   |'],
  [
    '%T %T %T %T %T %T %T',
    ['x', 1, 1.5, true, [], {}, null],
    'string int float64 bool []interface {} map[string]interface {} <nil>',
  ],
  ['%05s|%-05d|', ['ab', 3], '000ab|3    |'],
  // errors
  ['%d', ['x'], '%!d(string=x)'],
  ['%s', [5], '%!s(int=5)'],
  ['%d', [1.5], '%!d(float64=1.5)'],
  ['%t', ['x'], '%!t(string=x)'],
  ['%s', [null], '%!s(<nil>)'],
  ['%d', [['a']], '[%!d(string=a)]'],
  ['%z', [1], '%!z(int=1)'],
  ['%d %d', [1], '1 %!d(MISSING)'],
  ['%d', [1, 'a', 2], '1%!(EXTRA string=a, int=2)'],
  ['abc%', [], 'abc%!(NOVERB)'],
  ['100%%', [], '100%'],
];

describe('sprintf', () => {
  for (const [format, args, want] of cases) {
    it(`${JSON.stringify(format)} ${JSON.stringify(args)}`, () => {
      assert.equal(sprintf(format, args), want);
    });
  }
});

describe('value formatting', () => {
  it('prints like fmt %v', () => {
    assert.equal(formatValue(1000000), '1000000');
    assert.equal(formatValue(-0.5), '-0.5');
    assert.equal(formatValue(123456.7), '123456.7');
    assert.equal(formatValue(1234567.8), '1.2345678e+06');
    assert.equal(formatValue(0.0001), '0.0001');
    assert.equal(formatValue(0.00001), '1e-05');
    assert.equal(formatValue(Number.POSITIVE_INFINITY), '+Inf');
    assert.equal(formatValue(Number.NaN), 'NaN');
    assert.equal(formatValue(1e21), '1e+21');
    assert.equal(
      formatValue(
        new Map([
          [2, 'b'],
          [10, 'a'],
        ]),
      ),
      'map[2:b 10:a]',
    );
    assert.equal(formatValue([[], {}, [null]]), '[[] map[] [<nil>]]');
    assert.equal(formatValue(new Error('boom')), 'boom');
  });

  it('formats %g with precision like strconv', () => {
    assert.equal(formatFloatG(100, 3), '100');
    assert.equal(formatFloatG(1000, 3), '1e+03');
    assert.equal(formatFloatG(1, 3), '1');
    assert.equal(formatFloatG(0, undefined), '0');
  });

  it('quotes like strconv.Quote', () => {
    assert.equal(goQuote('a\tb"c\\'), '"a\\tb\\"c\\\\"');
    assert.equal(goQuote('\u0007\u007f日本'), '"\\a\\x7f日本"');
    assert.equal(goQuote('\u00a0'), '"\\u00a0"');
  });
});
