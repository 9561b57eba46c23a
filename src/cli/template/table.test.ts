import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatTable, prepareFormat, TemplateError } from './index.ts';

const rows = [
  { ID: 'abc123', Hostname: 'node-1', Status: 'Ready', Labels: { a: '1' } },
  { ID: 'def4567890123', Hostname: 'n2', Status: 'Down', Labels: {} },
];
const headers = { ID: 'ID', Hostname: 'HOSTNAME', Status: 'STATUS', Labels: 'LABELS' };

describe('formatTable', () => {
  it('renders a docker table with a header and aligned columns', () => {
    // The format as typed in a shell: a literal backslash-t, which docker turns into a tab.
    const out = formatTable(rows, 'table {{.ID}}\\t{{.Hostname}}\\t{{.Status}}', headers);
    assert.equal(
      out,
      'ID              HOSTNAME   STATUS\n' +
        'abc123          node-1     Ready\n' +
        'def4567890123   n2         Down\n',
    );
  });

  it('uses a minimum column width of 10 and accepts real tabs', () => {
    const out = formatTable([{ ID: 'a', Status: 'Ready' }], 'table {{.ID}}\t{{.Status}}', headers);
    assert.equal(out, 'ID        STATUS\na         Ready\n');
  });

  it('keeps headers intact through docker formatting functions', () => {
    const out = formatTable(
      rows,
      'table {{.ID}}\\t{{json .Labels}}\\t{{upper .Hostname}}',
      headers,
    );
    assert.equal(
      out,
      'ID              LABELS      HOSTNAME\n' +
        'abc123          {"a":"1"}   NODE-1\n' +
        'def4567890123   {}          N2\n',
    );
  });

  it('prints <no value> for fields without a header, like docker', () => {
    const out = formatTable([{ ID: 'x', Foo: 'bar' }], 'table {{.ID}}\\t{{.Foo}}', { ID: 'ID' });
    assert.equal(out, 'ID        <no value>\nx         bar\n');
  });

  it('keeps the partial header when the header template fails', () => {
    const out = formatTable([{ ID: 'x', Foo: 'bar' }], 'table {{.ID}}\\t{{lower .Foo}}', {
      ID: 'ID',
    });
    assert.equal(out, 'ID        \nx         bar\n');
  });

  it('prints only the header when there are no rows', () => {
    assert.equal(formatTable([], 'table {{.ID}}\\t{{.Status}}', headers), 'ID        STATUS\n');
  });

  it('renders plain formats one line per row, without alignment', () => {
    assert.equal(
      formatTable(rows, '{{.ID}}: {{.Hostname}}', headers),
      'abc123: node-1\ndef4567890123: n2\n',
    );
    assert.equal(
      formatTable(rows, '{{.ID}}\\t{{.Status}}', headers),
      'abc123\tReady\ndef4567890123\tDown\n',
    );
    assert.equal(formatTable([], '{{.ID}}', headers), '');
  });

  it('supports the json format', () => {
    assert.equal(
      formatTable(rows.slice(0, 1), 'json', headers),
      '{"ID":"abc123","Hostname":"node-1","Status":"Ready","Labels":{"a":"1"}}\n',
    );
  });

  it('throws TemplateError for bad templates and failing rows', () => {
    assert.throws(() => formatTable(rows, 'table {{.ID', headers), TemplateError);
    assert.throws(
      () => formatTable(rows, '{{.ID.X}}', headers),
      /^TemplateError: template: :1:5: executing "" at <.ID.X>: can't evaluate field X in type string$/,
    );
  });
});

describe('prepareFormat', () => {
  it('strips the table prefix and surrounding spaces, expands \\t and \\n', () => {
    assert.deepEqual(prepareFormat('table   {{.ID}}\\t{{.X}}  '), {
      template: '{{.ID}}\t{{.X}}',
      isTable: true,
    });
    assert.deepEqual(prepareFormat('table'), { template: '', isTable: true });
    assert.deepEqual(prepareFormat(' {{.ID}}\\n'), { template: '{{.ID}}\n', isTable: false });
    assert.deepEqual(prepareFormat('json'), { template: '{{json .}}', isTable: false });
  });
});
