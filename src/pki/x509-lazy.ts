// @peculiar/x509 evaluates its ASN.1 schema classes, tsyringe and the reflect-metadata
// polyfill when loaded: over 10 MB of a node's memory. Only signing (the CA), CSR checks
// and root rotation need it, at rare and already asynchronous moments, so it is loaded on
// first use through this dynamic import, which the bundler turns into a separate chunk.
// Nothing that runs on every node (parsing its certificate, verifying peers in TLS
// callbacks) may import './x509.ts' statically: see certificate.ts for those paths.

export type X509 = typeof import('./x509.ts')['x509'];

let loading: Promise<X509> | undefined;

/** The @peculiar/x509 module (with reflect-metadata evaluated first), loaded once. */
export function loadX509(): Promise<X509> {
  loading ??= import('./x509.ts').then(
    (module) => module.x509,
    (err: unknown) => {
      // Let a later call try again rather than remember a failure forever.
      loading = undefined;
      throw err;
    },
  );
  return loading;
}
