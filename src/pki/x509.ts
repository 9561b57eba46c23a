// The one place @peculiar/x509 is imported. It resolves its algorithms through
// tsyringe, which refuses to load without a Reflect metadata polyfill, so the
// polyfill is evaluated first (ESM evaluates imports in order).
// Load it only through loadX509() (x509-lazy.ts), never with a static import, so that
// nodes that do not sign anything never evaluate it. Tests may import it directly.
import 'reflect-metadata';
import * as peculiar from '@peculiar/x509';

export * from '@peculiar/x509';

/**
 * The module as one value, for loadX509(). A bundled chunk cannot re-export the names of
 * a CommonJS package with `export *` (they are unknown until it runs), so a dynamic import
 * of this file sees only this binding; static importers see the names as well.
 */
export const x509 = peculiar;
