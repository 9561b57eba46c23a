// For the tests of secrets and configs: a real one-member manager (Raft on an in-memory disk),
// the leader once started, stopped when the test ends.

export { singleManager } from '../test-support.ts';

/** Base64 of UTF-8 text, as Docker clients send Data. */
export const base64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');
