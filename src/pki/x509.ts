// The one place @peculiar/x509 is imported. It resolves its algorithms through
// tsyringe, which refuses to load without a Reflect metadata polyfill, so the
// polyfill is evaluated first (ESM evaluates imports in order).
import 'reflect-metadata';

export * from '@peculiar/x509';
