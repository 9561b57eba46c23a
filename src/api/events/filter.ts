// The `filters` of /events, matched as dockerd matches them (daemon/events/filter.go): `type`,
// `event` and `scope` exactly; object filters (`service`, `node`, `secret`, `config`,
// `network`, `container`, `image`, `volume`, `plugin`, `daemon`) by ID or name, exactly or by
// prefix, and an object filter excludes events about other kinds of objects; `label` against
// the actor's attributes (`key` or `key=value`, all must match).
import { BadRequestError } from '../errors.ts';
import type { DockerEvent } from './message.ts';

const OBJECT_FILTERS = [
  'config',
  'container',
  'daemon',
  'image',
  'network',
  'node',
  'plugin',
  'secret',
  'service',
  'volume',
] as const;

export const EVENT_FILTERS: readonly string[] = [
  ...OBJECT_FILTERS,
  'event',
  'label',
  'scope',
  'type',
];

const SCOPES = new Set(['local', 'swarm']);

export class EventFilter {
  constructor(private readonly filters: ReadonlyMap<string, readonly string[]>) {
    for (const scope of filters.get('scope') ?? []) {
      if (!SCOPES.has(scope)) {
        throw new BadRequestError(`invalid filter 'scope=${scope}': use local or swarm`);
      }
    }
  }

  includes(event: DockerEvent): boolean {
    return (
      this.exact('event', event.Action) &&
      this.exact('type', event.Type) &&
      this.exact('scope', event.scope) &&
      OBJECT_FILTERS.every((name) => this.byIdOrName(name, event)) &&
      this.labels(event.Actor.Attributes)
    );
  }

  private exact(name: string, value: string): boolean {
    const wanted = this.filters.get(name);
    return wanted === undefined || wanted.length === 0 || wanted.includes(value);
  }

  private fuzzy(name: string, value: string | undefined): boolean {
    const wanted = this.filters.get(name);
    if (wanted === undefined || wanted.length === 0) return true;
    if (value === undefined || value === '') return false;
    return wanted.some((prefix) => value.startsWith(prefix));
  }

  private byIdOrName(name: string, event: DockerEvent): boolean {
    return this.fuzzy(name, event.Actor.ID) || this.fuzzy(name, event.Actor.Attributes.name);
  }

  private labels(attributes: Readonly<Record<string, string>>): boolean {
    const wanted = this.filters.get('label');
    if (wanted === undefined) return true;
    return wanted.every((label) => {
      const equals = label.indexOf('=');
      if (equals < 0) return Object.hasOwn(attributes, label);
      return attributes[label.slice(0, equals)] === label.slice(equals + 1);
    });
  }
}
