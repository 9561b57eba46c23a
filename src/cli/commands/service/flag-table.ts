// The flags of `service create` and `service update`, named, described and defaulted as
// docker's (cli/command/service/opts.go, create.go, update.go), plus Shoal's extensions
// (--device, --privileged, --placement-strategy). The table drives both the commander
// registration and the spec builders, so "was this flag given?" (pflag's Changed) is the
// presence of its long name in a FlagValues map.

export type FlagKind = 'string' | 'list' | 'bool';
export type FlagCommand = 'create' | 'update';

export interface FlagSpec {
  long: string;
  short?: string;
  kind: FlagKind;
  description: string;
  commands: readonly FlagCommand[];
  /** The value's name in help: `--replicas <uint>`. */
  valueName?: string;
}

/** What the command line said: long flag name → value; an absent name was not given. */
export type FlagValues = ReadonlyMap<string, string | readonly string[] | boolean>;

const BOTH: readonly FlagCommand[] = ['create', 'update'];
const CREATE: readonly FlagCommand[] = ['create'];
const UPDATE: readonly FlagCommand[] = ['update'];

const flag = (
  long: string,
  kind: FlagKind,
  description: string,
  commands: readonly FlagCommand[],
  extra: { short?: string; valueName?: string } = {},
): FlagSpec => ({ long, kind, description, commands, ...extra });

export const SERVICE_FLAGS: readonly FlagSpec[] = [
  // create only
  flag(
    'mode',
    'string',
    'Service mode ("replicated", "global", "replicated-job", "global-job") (default "replicated")',
    CREATE,
  ),
  flag('name', 'string', 'Service name', CREATE),
  flag('label', 'list', 'Service labels', CREATE, { short: 'l' }),
  flag('container-label', 'list', 'Container labels', CREATE),
  flag('env', 'list', 'Set environment variables', CREATE, { short: 'e' }),
  flag('env-file', 'list', 'Read in a file of environment variables', CREATE),
  flag('mount', 'list', 'Attach a filesystem mount to the service', CREATE),
  flag('constraint', 'list', 'Placement constraints', CREATE),
  flag('placement-pref', 'list', 'Add a placement preference', CREATE),
  flag('network', 'list', 'Network attachments', CREATE),
  flag('secret', 'list', 'Specify secrets to expose to the service', CREATE),
  flag('config', 'list', 'Specify configurations to expose to the service', CREATE),
  flag('publish', 'list', 'Publish a port as a node port', CREATE, { short: 'p' }),
  flag('group', 'list', 'Set one or more supplementary user groups for the container', CREATE),
  flag('dns', 'list', 'Set custom DNS servers', CREATE),
  flag('dns-option', 'list', 'Set DNS options', CREATE),
  flag('dns-search', 'list', 'Set custom DNS search domains', CREATE),
  flag('host', 'list', 'Set one or more custom host-to-IP mappings (host:ip)', CREATE),
  flag('sysctl', 'list', 'Sysctl options', CREATE),
  flag('ulimit', 'list', 'Ulimit options', CREATE),
  flag('generic-resource', 'list', 'User defined resources', CREATE),
  flag('device', 'list', 'Add a host device to the containers (Shoal extension)', CREATE),
  // update only
  flag('image', 'string', 'Service image tag', UPDATE),
  flag('args', 'string', 'Service command args', UPDATE, { valueName: 'command' }),
  flag('rollback', 'bool', 'Rollback to previous specification', UPDATE),
  flag('force', 'bool', 'Force update even if no changes require it', UPDATE),
  flag('env-add', 'list', 'Add or update an environment variable', UPDATE),
  flag('env-rm', 'list', 'Remove an environment variable', UPDATE),
  flag('label-add', 'list', 'Add or update a service label', UPDATE),
  flag('label-rm', 'list', 'Remove a label by its key', UPDATE),
  flag('container-label-add', 'list', 'Add or update a container label', UPDATE),
  flag('container-label-rm', 'list', 'Remove a container label by its key', UPDATE),
  flag('mount-add', 'list', 'Add or update a mount on a service', UPDATE),
  flag('mount-rm', 'list', 'Remove a mount by its target path', UPDATE),
  flag('publish-add', 'list', 'Add or update a published port', UPDATE),
  flag('publish-rm', 'list', 'Remove a published port by its target port', UPDATE),
  flag('constraint-add', 'list', 'Add or update a placement constraint', UPDATE),
  flag('constraint-rm', 'list', 'Remove a constraint', UPDATE),
  flag('placement-pref-add', 'list', 'Add a placement preference', UPDATE),
  flag('placement-pref-rm', 'list', 'Remove a placement preference', UPDATE),
  flag('network-add', 'list', 'Add a network', UPDATE),
  flag('network-rm', 'list', 'Remove a network', UPDATE),
  flag('secret-add', 'list', 'Add or update a secret on a service', UPDATE),
  flag('secret-rm', 'list', 'Remove a secret', UPDATE),
  flag('config-add', 'list', 'Add or update a config file on a service', UPDATE),
  flag('config-rm', 'list', 'Remove a configuration file', UPDATE),
  flag('group-add', 'list', 'Add an additional supplementary user group to the container', UPDATE),
  flag(
    'group-rm',
    'list',
    'Remove a previously added supplementary user group from the container',
    UPDATE,
  ),
  flag('dns-add', 'list', 'Add or update a custom DNS server', UPDATE),
  flag('dns-rm', 'list', 'Remove a custom DNS server', UPDATE),
  flag('dns-option-add', 'list', 'Add or update a DNS option', UPDATE),
  flag('dns-option-rm', 'list', 'Remove a DNS option', UPDATE),
  flag('dns-search-add', 'list', 'Add or update a custom DNS search domain', UPDATE),
  flag('dns-search-rm', 'list', 'Remove a DNS search domain', UPDATE),
  flag('host-add', 'list', 'Add a custom host-to-IP mapping ("host:ip")', UPDATE),
  flag('host-rm', 'list', 'Remove a custom host-to-IP mapping ("host:ip")', UPDATE),
  flag('sysctl-add', 'list', 'Add or update a Sysctl option', UPDATE),
  flag('sysctl-rm', 'list', 'Remove a Sysctl option', UPDATE),
  flag('ulimit-add', 'list', 'Add or update a ulimit option', UPDATE),
  flag('ulimit-rm', 'list', 'Remove a ulimit option', UPDATE),
  flag('generic-resource-add', 'list', 'Add a Generic resource', UPDATE),
  flag('generic-resource-rm', 'list', 'Remove a Generic resource', UPDATE),
  flag('device-add', 'list', 'Add a host device (Shoal extension)', UPDATE),
  flag(
    'device-rm',
    'list',
    'Remove a host device by its path on the host (Shoal extension)',
    UPDATE,
  ),
  // both
  flag('detach', 'bool', 'Exit immediately instead of waiting for the service to converge', BOTH, {
    short: 'd',
  }),
  flag('quiet', 'bool', 'Suppress progress output', BOTH, { short: 'q' }),
  flag('workdir', 'string', 'Working directory inside the container', BOTH, { short: 'w' }),
  flag('user', 'string', 'Username or UID (format: <name|uid>[:<group|gid>])', BOTH, {
    short: 'u',
  }),
  flag('hostname', 'string', 'Container hostname', BOTH),
  flag('entrypoint', 'string', 'Overwrite the default ENTRYPOINT of the image', BOTH, {
    valueName: 'command',
  }),
  flag(
    'init',
    'bool',
    'Use an init inside each service container to forward signals and reap processes',
    BOTH,
  ),
  flag('cap-add', 'list', 'Add Linux capabilities', BOTH),
  flag('cap-drop', 'list', 'Drop Linux capabilities', BOTH),
  flag('limit-cpu', 'string', 'Limit CPUs', BOTH, { valueName: 'decimal' }),
  flag('limit-memory', 'string', 'Limit Memory', BOTH, { valueName: 'bytes' }),
  flag('limit-pids', 'string', 'Limit maximum number of processes (default 0 = unlimited)', BOTH, {
    valueName: 'int',
  }),
  flag('reserve-cpu', 'string', 'Reserve CPUs', BOTH, { valueName: 'decimal' }),
  flag('reserve-memory', 'string', 'Reserve Memory', BOTH, { valueName: 'bytes' }),
  flag(
    'stop-grace-period',
    'string',
    'Time to wait before force killing a container (ns|us|ms|s|m|h) (default 10s)',
    BOTH,
    { valueName: 'duration' },
  ),
  flag('stop-signal', 'string', 'Signal to stop the container', BOTH),
  flag('replicas', 'string', 'Number of tasks', BOTH, { valueName: 'uint' }),
  flag(
    'max-concurrent',
    'string',
    'Number of job tasks to run concurrently (default equal to --replicas)',
    BOTH,
    { valueName: 'uint' },
  ),
  flag(
    'replicas-max-per-node',
    'string',
    'Maximum number of tasks per node (default 0 = unlimited)',
    BOTH,
    { valueName: 'uint' },
  ),
  flag(
    'restart-condition',
    'string',
    'Restart when condition is met ("none", "on-failure", "any") (default "any")',
    BOTH,
  ),
  flag(
    'restart-delay',
    'string',
    'Delay between restart attempts (ns|us|ms|s|m|h) (default 5s)',
    BOTH,
    { valueName: 'duration' },
  ),
  flag('restart-max-attempts', 'string', 'Maximum number of restarts before giving up', BOTH, {
    valueName: 'uint',
  }),
  flag(
    'restart-window',
    'string',
    'Window used to evaluate the restart policy (ns|us|ms|s|m|h)',
    BOTH,
    { valueName: 'duration' },
  ),
  flag(
    'update-parallelism',
    'string',
    'Maximum number of tasks updated simultaneously (0 to update all at once) (default 1)',
    BOTH,
    { valueName: 'uint' },
  ),
  flag('update-delay', 'string', 'Delay between updates (ns|us|ms|s|m|h) (default 0s)', BOTH, {
    valueName: 'duration',
  }),
  flag(
    'update-monitor',
    'string',
    'Duration after each task update to monitor for failure (ns|us|ms|s|m|h) (default 5s)',
    BOTH,
    { valueName: 'duration' },
  ),
  flag(
    'update-failure-action',
    'string',
    'Action on update failure ("pause", "continue", "rollback") (default "pause")',
    BOTH,
  ),
  flag(
    'update-max-failure-ratio',
    'string',
    'Failure rate to tolerate during an update (default 0)',
    BOTH,
    { valueName: 'float' },
  ),
  flag(
    'update-order',
    'string',
    'Update order ("start-first", "stop-first") (default "stop-first")',
    BOTH,
  ),
  flag(
    'rollback-parallelism',
    'string',
    'Maximum number of tasks rolled back simultaneously (0 to roll back all at once) (default 1)',
    BOTH,
    { valueName: 'uint' },
  ),
  flag(
    'rollback-delay',
    'string',
    'Delay between task rollbacks (ns|us|ms|s|m|h) (default 0s)',
    BOTH,
    { valueName: 'duration' },
  ),
  flag(
    'rollback-monitor',
    'string',
    'Duration after each task rollback to monitor for failure (ns|us|ms|s|m|h) (default 5s)',
    BOTH,
    { valueName: 'duration' },
  ),
  flag(
    'rollback-failure-action',
    'string',
    'Action on rollback failure ("pause", "continue") (default "pause")',
    BOTH,
  ),
  flag(
    'rollback-max-failure-ratio',
    'string',
    'Failure rate to tolerate during a rollback (default 0)',
    BOTH,
    { valueName: 'float' },
  ),
  flag(
    'rollback-order',
    'string',
    'Rollback order ("start-first", "stop-first") (default "stop-first")',
    BOTH,
  ),
  flag('endpoint-mode', 'string', 'Endpoint mode (vip or dnsrr) (default "vip")', BOTH),
  flag(
    'with-registry-auth',
    'bool',
    'Send registry authentication details to swarm agents (accepted; Shoal uses no registry)',
    BOTH,
  ),
  flag(
    'no-resolve-image',
    'bool',
    'Do not query the registry to resolve image digest and supported platforms (Shoal never does)',
    BOTH,
  ),
  flag('log-driver', 'string', 'Logging driver for service', BOTH),
  flag('log-opt', 'list', 'Logging driver options', BOTH),
  flag('health-cmd', 'string', 'Command to run to check health', BOTH),
  flag('health-interval', 'string', 'Time between running the check (ms|s|m|h)', BOTH, {
    valueName: 'duration',
  }),
  flag('health-timeout', 'string', 'Maximum time to allow one check to run (ms|s|m|h)', BOTH, {
    valueName: 'duration',
  }),
  flag('health-retries', 'string', 'Consecutive failures needed to report unhealthy', BOTH, {
    valueName: 'int',
  }),
  flag(
    'health-start-period',
    'string',
    'Start period for the container to initialize before counting retries towards unstable (ms|s|m|h)',
    BOTH,
    { valueName: 'duration' },
  ),
  flag('no-healthcheck', 'bool', 'Disable any container-specified HEALTHCHECK', BOTH),
  flag('tty', 'bool', 'Allocate a pseudo-TTY', BOTH, { short: 't' }),
  flag('read-only', 'bool', "Mount the container's root filesystem as read only", BOTH),
  flag('privileged', 'bool', 'Give the containers extended privileges (Shoal extension)', BOTH),
  flag(
    'placement-strategy',
    'string',
    'How the scheduler picks nodes ("spread", "binpack", "random") (Shoal extension) (default "spread")',
    BOTH,
  ),
];

export function flagsOf(command: FlagCommand): FlagSpec[] {
  return SERVICE_FLAGS.filter((spec) => spec.commands.includes(command));
}

const BY_NAME = new Map(SERVICE_FLAGS.map((spec) => [spec.long, spec]));

/** How pflag names a flag in its errors: `-e, --env` or `--replicas`. */
export function flagDisplayName(long: string): string {
  const spec = BY_NAME.get(long);
  return spec?.short ? `-${spec.short}, --${long}` : `--${long}`;
}
