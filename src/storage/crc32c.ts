// CRC32C (Castagnoli), the checksum of WAL records and snapshot files. Castagnoli rather than
// the zlib polynomial because it detects more error patterns at these lengths (and is what
// other storage engines use, so on-disk tooling can check it). Slice-by-8: eight tables let
// the loop consume 8 bytes per step, several times faster than byte-at-a-time.

const POLYNOMIAL = 0x82f63b78; // reflected 0x1EDC6F41
/** TABLES[k][b]: the CRC of byte b followed by k zero bytes. Int32 so lookups stay small ints. */
const TABLES = buildTables();

function buildTables(): Int32Array[] {
  const tables = Array.from({ length: 8 }, () => new Int32Array(256));
  const first = tables[0]!;
  for (let byte = 0; byte < 256; byte++) {
    let crc = byte;
    for (let bit = 0; bit < 8; bit++) crc = crc & 1 ? (crc >>> 1) ^ POLYNOMIAL : crc >>> 1;
    first[byte] = crc;
  }
  for (let byte = 0; byte < 256; byte++) {
    let crc = first[byte]!;
    for (let table = 1; table < 8; table++) {
      crc = first[crc & 0xff]! ^ (crc >>> 8);
      tables[table]![byte] = crc;
    }
  }
  return tables;
}

/**
 * CRC32C of `bytes`. Pass a previous result as `crc` to continue a checksum over several
 * pieces: crc32c(b, crc32c(a)) === crc32c(a ++ b).
 */
export function crc32c(bytes: Uint8Array, crc = 0): number {
  const [t0, t1, t2, t3, t4, t5, t6, t7] = TABLES as [
    Int32Array,
    Int32Array,
    Int32Array,
    Int32Array,
    Int32Array,
    Int32Array,
    Int32Array,
    Int32Array,
  ];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let value = ~crc;
  let offset = 0;
  const length = bytes.length;
  const end8 = length - (length % 8);
  // Two little-endian words per step: the first is folded into the running CRC, the second
  // only looked up (its bytes sit 4..7 bytes before the end of the step).
  while (offset < end8) {
    const low = value ^ view.getInt32(offset, true);
    const high = view.getInt32(offset + 4, true);
    value =
      t7[low & 0xff]! ^
      t6[(low >>> 8) & 0xff]! ^
      t5[(low >>> 16) & 0xff]! ^
      t4[low >>> 24]! ^
      t3[high & 0xff]! ^
      t2[(high >>> 8) & 0xff]! ^
      t1[(high >>> 16) & 0xff]! ^
      t0[high >>> 24]!;
    offset += 8;
  }
  while (offset < length) {
    value = t0[(value ^ bytes[offset]!) & 0xff]! ^ (value >>> 8);
    offset++;
  }
  return ~value >>> 0;
}
