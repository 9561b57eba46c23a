import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { displayWidth, TabWriterFlags as F, TabWriter } from './tabwriter.ts';

// Test vectors from docker/cli's fork of Go's text/tabwriter (tabwriter_test.go), minus the
// FilterHTML / Escape cases, which this port leaves out.
type Case = [
  name: string,
  min: number,
  tab: number,
  pad: number,
  ch: string,
  flags: number,
  src: string,
  want: string,
];
const cases: Case[] = [
  ['1a', 8, 0, 1, '.', 0, '', ''],
  ['1a debug', 8, 0, 1, '.', F.Debug, '', ''],
  ['2', 8, 0, 1, '.', 0, '\n\n\n', '\n\n\n'],
  ['3', 8, 0, 1, '.', 0, 'a\nb\nc', 'a\nb\nc'],
  ['4a', 8, 0, 1, '.', 0, '\t', ''],
  ['4b', 8, 0, 1, '.', F.AlignRight, '\t', ''],
  ['5', 8, 0, 1, '.', 0, '*\t*', '*.......*'],
  ['5b', 8, 0, 1, '.', 0, '*\t*\n', '*.......*\n'],
  ['5c', 8, 0, 1, '.', 0, '*\t*\t', '*.......*'],
  ['5c debug', 8, 0, 1, '.', F.Debug, '*\t*\t', '*.......|*'],
  ['5d', 8, 0, 1, '.', F.AlignRight, '*\t*\t', '.......**'],
  ['6', 8, 0, 1, '.', 0, '\t\n', '........\n'],
  ['7a', 8, 0, 1, '.', 0, 'a) foo', 'a) foo'],
  ['7b', 8, 0, 1, ' ', 0, 'b) foo\tbar', 'b) foo  bar'],
  ['7c', 8, 0, 1, '.', 0, 'c) foo\tbar\t', 'c) foo..bar'],
  ['7d', 8, 0, 1, '.', 0, 'd) foo\tbar\n', 'd) foo..bar\n'],
  ['7e', 8, 0, 1, '.', 0, 'e) foo\tbar\t\n', 'e) foo..bar.....\n'],
  ['8', 8, 0, 1, '*', 0, 'Hello, world!\n', 'Hello, world!\n'],
  ['9a', 1, 0, 0, '.', 0, '1\t2\t3\t4\n11\t222\t3333\t44444\n', '1.2..3...4\n11222333344444\n'],
  ['9c', 1, 0, 0, '.', 0, '1\t2\t3\t4\f11\t222\t3333\t44444\n', '1234\n11222333344444\n'],
  [
    '9c debug',
    1,
    0,
    0,
    '.',
    F.Debug,
    '1\t2\t3\t4\f11\t222\t3333\t44444\n',
    '1|2|3|4\n---\n11|222|3333|44444\n',
  ],
  ['10a', 5, 0, 0, '.', 0, '1\t2\t3\t4\n', '1....2....3....4\n'],
  ['10b', 5, 0, 0, '.', 0, '1\t2\t3\t4\t\n', '1....2....3....4....\n'],
  [
    '11 (wide runes)',
    8,
    0,
    1,
    '.',
    0,
    '本\tb\tc\naa\t本本本\tcccc\tddddd\naaa\tbbbb\n',
    '本......b.......c\naa......本本本..cccc....ddddd\naaa.....bbbb\n',
  ],
  [
    '12a',
    8,
    0,
    1,
    ' ',
    F.AlignRight,
    'a\tè\tc\t\naa\tèèè\tcccc\tddddd\t\naaa\tèèèè\t\n',
    '       a       è       c\n      aa     èèè    cccc   ddddd\n     aaa    èèèè\n',
  ],
  ['12b', 2, 0, 0, ' ', 0, 'a\tb\tc\naa\tbbb\tcccc\naaa\tbbbb\n', 'a  b  c\naa bbbcccc\naaabbbb\n'],
  [
    '12c',
    8,
    0,
    1,
    '_',
    0,
    'a\tb\tc\naa\tbbb\tcccc\naaa\tbbbb\n',
    'a_______b_______c\naa______bbb_____cccc\naaa_____bbbb\n',
  ],
  [
    '13a',
    4,
    0,
    1,
    '-',
    0,
    '4444\t日本語\t22\t1\t333\n999999999\t22\n7\t22\n\t\t\t88888888\n\n666666\t666666\t666666\t4444\n1\t1\t999999999\t0000000000\n',
    '4444------日本語-22--1---333\n999999999-22\n7---------22\n------------------88888888\n\n666666-666666-666666----4444\n1------1------999999999-0000000000\n',
  ],
  [
    '13b',
    4,
    0,
    3,
    '.',
    0,
    '4444\t333\t22\t1\t333\n999999999\t22\n7\t22\n\t\t\t88888888\n\n666666\t666666\t666666\t4444\n1\t1\t999999999\t0000000000\n',
    '4444........333...22...1...333\n999999999...22\n7...........22\n....................88888888\n\n666666...666666...666666......4444\n1........1........999999999...0000000000\n',
  ],
  [
    '14',
    1,
    0,
    2,
    ' ',
    F.AlignRight,
    '.0\t.3\t2.4\t-5.1\t\n23.0\t12345678.9\t2.4\t-989.4\t\n5.1\t12.0\t2.4\t-7.0\t\n.0\t0.0\t332.0\t8908.0\t\n.0\t-.3\t456.4\t22.1\t\n.0\t1.2\t44.4\t-13.3\t\t',
    '    .0          .3    2.4    -5.1\n  23.0  12345678.9    2.4  -989.4\n   5.1        12.0    2.4    -7.0\n    .0         0.0  332.0  8908.0\n    .0         -.3  456.4    22.1\n    .0         1.2   44.4   -13.3',
  ],
  ['15a', 4, 0, 0, '.', 0, 'a\t\tb', 'a.......b'],
  ['15b', 4, 0, 0, '.', F.DiscardEmptyColumns, 'a\t\tb', 'a.......b'],
  ['15c', 4, 0, 0, '.', F.DiscardEmptyColumns, 'a\v\vb', 'a...b'],
  ['15d', 4, 0, 0, '.', F.AlignRight | F.DiscardEmptyColumns, 'a\v\vb', '...ab'],
  [
    '16a',
    100,
    100,
    0,
    '\t',
    0,
    'a\tb\t\td\na\tb\t\td\te\na\na\tb\tc\td\na\tb\tc\td\te\n',
    'a\tb\t\td\na\tb\t\td\te\na\na\tb\tc\td\na\tb\tc\td\te\n',
  ],
  [
    '16b',
    100,
    100,
    0,
    '\t',
    F.DiscardEmptyColumns,
    'a\vb\v\vd\na\vb\v\vd\ve\na\na\vb\vc\vd\na\vb\vc\vd\ve\n',
    'a\tb\td\na\tb\td\te\na\na\tb\tc\td\na\tb\tc\td\te\n',
  ],
  [
    '16c debug',
    100,
    100,
    0,
    '\t',
    F.DiscardEmptyColumns | F.Debug,
    'a\tb\t\td\na\tb\t\td\te\na\na\tb\tc\td\na\tb\tc\td\te\n',
    'a\t|b\t|\t|d\na\t|b\t|\t|d\t|e\na\na\t|b\t|c\t|d\na\t|b\t|c\t|d\t|e\n',
  ],
];

describe('TabWriter', () => {
  for (const [name, min, tab, pad, ch, flags, src, want] of cases) {
    it(`${name} (one write)`, () => {
      const tw = new TabWriter(min, tab, pad, ch, flags);
      tw.write(src);
      assert.equal(tw.flush(), want);
    });
    it(`${name} (byte by byte)`, () => {
      const tw = new TabWriter(min, tab, pad, ch, flags);
      for (const c of src) tw.write(c);
      assert.equal(tw.flush(), want);
    });
  }

  it('aligns like docker list output (10, 1, 3, space)', () => {
    const tw = new TabWriter(10, 1, 3, ' ');
    tw.write('ID\tHOSTNAME\tSTATUS\n');
    tw.write('x1\tnode-with-long-name\tReady\n');
    tw.write('abcdefghijkl\tn2\tDown\n');
    assert.equal(
      tw.flush(),
      'ID             HOSTNAME              STATUS\n' +
        'x1             node-with-long-name   Ready\n' +
        'abcdefghijkl   n2                    Down\n',
    );
  });

  it('can be reused after flush', () => {
    const tw = new TabWriter(0, 8, 1, '.');
    tw.write('a\tb\n');
    assert.equal(tw.flush(), 'a.b\n');
    tw.write('aaa\tb\n');
    assert.equal(tw.flush(), 'aaa.b\n');
  });

  it('computes display widths', () => {
    assert.equal(displayWidth('abc'), 3);
    assert.equal(displayWidth('日本語'), 6);
    assert.equal(displayWidth('e\u0301'), 1);
    assert.equal(displayWidth(''), 0);
  });

  it('rejects negative parameters', () => {
    assert.throws(() => new TabWriter(-1, 0, 0), RangeError);
  });
});
