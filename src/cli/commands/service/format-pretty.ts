// `service inspect --pretty`: docker's serviceInspectPrettyTemplate (cli/command/service/
// formatter.go) run by our Go-template engine over the same fields docker's context offers,
// with Go's zero values filled in so the template prints what docker prints.
import type { Service } from '../../../store/index.ts';
import { formatTable } from '../../template/index.ts';
import { bytesSize, formatGoDuration } from './flag-values.ts';
import { humanDuration } from './format.ts';
import { portConflicts } from './port-conflicts.ts';

const PRETTY_TEMPLATE = `
ID:\t\t{{.ID}}
Name:\t\t{{.Name}}
{{- if .Labels }}
Labels:
{{- range $k, $v := .Labels }}
 {{ $k }}{{if $v }}={{ $v }}{{ end }}
{{- end }}{{ end }}
Service Mode:
{{- if .IsModeGlobal }}\tGlobal
{{- else if .IsModeReplicated }}\tReplicated
{{- if .ModeReplicatedReplicas }}
 Replicas:\t{{ .ModeReplicatedReplicas }}
{{- end }}{{ end }}
{{- if .HasUpdateStatus }}
UpdateStatus:
 State:\t\t{{ .UpdateStatusState }}
{{- if .HasUpdateStatusStarted }}
 Started:\t{{ .UpdateStatusStarted }}
{{- end }}
{{- if .UpdateIsCompleted }}
 Completed:\t{{ .UpdateStatusCompleted }}
{{- end }}
 Message:\t{{ .UpdateStatusMessage }}
{{- end }}
Placement:
{{- if .TaskPlacementConstraints }}
 Constraints:\t{{ .TaskPlacementConstraints }}
{{- end }}
{{- if .TaskPlacementPreferences }}
 Preferences:   {{ .TaskPlacementPreferences }}
{{- end }}
{{- if .MaxReplicas }}
 Max Replicas Per Node:   {{ .MaxReplicas }}
{{- end }}
{{- if .PlacementStrategy }}
 Strategy:\t{{ .PlacementStrategy }}
{{- end }}
{{- if .HasUpdateConfig }}
UpdateConfig:
 Parallelism:\t{{ .UpdateParallelism }}
{{- if .HasUpdateDelay}}
 Delay:\t\t{{ .UpdateDelay }}
{{- end }}
 On failure:\t{{ .UpdateOnFailure }}
{{- if .HasUpdateMonitor}}
 Monitoring Period: {{ .UpdateMonitor }}
{{- end }}
 Max failure ratio: {{ .UpdateMaxFailureRatio }}
 Update order:      {{ .UpdateOrder }}
{{- end }}
{{- if .HasRollbackConfig }}
RollbackConfig:
 Parallelism:\t{{ .RollbackParallelism }}
{{- if .HasRollbackDelay}}
 Delay:\t\t{{ .RollbackDelay }}
{{- end }}
 On failure:\t{{ .RollbackOnFailure }}
{{- if .HasRollbackMonitor}}
 Monitoring Period: {{ .RollbackMonitor }}
{{- end }}
 Max failure ratio: {{ .RollbackMaxFailureRatio }}
 Rollback order:    {{ .RollbackOrder }}
{{- end }}
ContainerSpec:
 Image:\t\t{{ .ContainerImage }}
{{- if .ContainerArgs }}
 Args:\t\t{{ range $arg := .ContainerArgs }}{{ $arg }} {{ end }}
{{- end -}}
{{- if .ContainerEnv }}
 Env:\t\t{{ range $env := .ContainerEnv }}{{ $env }} {{ end }}
{{- end -}}
{{- if .ContainerWorkDir }}
 Dir:\t\t{{ .ContainerWorkDir }}
{{- end -}}
{{- if .HasContainerInit }}
 Init:\t\t{{ .ContainerInit }}
{{- end -}}
{{- if .ContainerUser }}
 User: {{ .ContainerUser }}
{{- end }}
{{- if .ContainerPrivileged }}
 Privileged:\ttrue
{{- end }}
{{- if .ContainerDevices }}
 Devices:
{{- range $device := .ContainerDevices }}
  {{ $device }}
{{- end }}{{ end }}
{{- if .HasCapabilities }}
Capabilities:
{{- if .HasCapabilityAdd }}
 Add: {{ .CapabilityAdd }}
{{- end }}
{{- if .HasCapabilityDrop }}
 Drop: {{ .CapabilityDrop }}
{{- end }}
{{- end }}
{{- if .ContainerSysCtls }}
SysCtls:
{{- range $k, $v := .ContainerSysCtls }}
 {{ $k }}{{if $v }}: {{ $v }}{{ end }}
{{- end }}{{ end }}
{{- if .ContainerUlimits }}
Ulimits:
{{- range $k, $v := .ContainerUlimits }}
 {{ $k }}: {{ $v }}
{{- end }}{{ end }}
{{- if .ContainerMounts }}
Mounts:
{{- end }}
{{- range $mount := .ContainerMounts }}
 Target:\t{{ $mount.Target }}
  Source:\t{{ $mount.Source }}
  ReadOnly:\t{{ $mount.ReadOnly }}
  Type:\t\t{{ $mount.Type }}
{{- end -}}
{{- if .Configs}}
Configs:
{{- range $config := .Configs }}
 Target:\t{{$config.File.Name}}
  Source:\t{{$config.ConfigName}}
{{- end }}{{ end }}
{{- if .Secrets }}
Secrets:
{{- range $secret := .Secrets }}
 Target:\t{{$secret.File.Name}}
  Source:\t{{$secret.SecretName}}
{{- end }}{{ end }}
{{- if .HasLogDriver }}
Log Driver:
{{- if .HasLogDriverName }}
 Name:\t\t{{ .LogDriverName }}
{{- end }}
{{- if .LogOpts }}
 LogOpts:
{{- range $k, $v := .LogOpts }}
  {{ $k }}{{if $v }}:       {{ $v }}{{ end }}
{{- end }}{{ end }}
{{ end }}
{{- if .HasResources }}
Resources:
{{- if .HasResourceReservations }}
 Reservations:
{{- if gt .ResourceReservationNanoCPUs 0.0 }}
  CPU:\t\t{{ .ResourceReservationNanoCPUs }}
{{- end }}
{{- if .ResourceReservationMemory }}
  Memory:\t{{ .ResourceReservationMemory }}
{{- end }}{{ end }}
{{- if .HasResourceLimits }}
 Limits:
{{- if gt .ResourceLimitsNanoCPUs 0.0 }}
  CPU:\t\t{{ .ResourceLimitsNanoCPUs }}
{{- end }}
{{- if .ResourceLimitMemory }}
  Memory:\t{{ .ResourceLimitMemory }}
{{- end }}{{ end }}{{ end }}
{{- if gt .ResourceLimitPids 0 }}
  PIDs:\t\t{{ .ResourceLimitPids }}
{{- end }}
{{- if .Networks }}
Networks:
{{- range $network := .Networks }} {{ $network }}{{ end }} {{ end }}
Endpoint Mode:\t{{ .EndpointMode }}
{{- if .Ports }}
Ports:
{{- range $port := .Ports }}
 PublishedPort = {{ $port.PublishedPort }}
  Protocol = {{ $port.Protocol }}
  TargetPort = {{ $port.TargetPort }}
  PublishMode = {{ $port.PublishMode }}
{{- end }} {{ end -}}
{{- if .PortConflicts }}
Port Conflicts:
{{- range $conflict := .PortConflicts }}
 {{ $conflict.PublishedPort }}/{{ $conflict.Protocol }} on node {{ $conflict.NodeID }}: {{ $conflict.Message }}
{{- end }}{{ end -}}
{{- if .Healthcheck }}
 Healthcheck:
  Interval = {{ .Healthcheck.Interval }}
  Retries = {{ .Healthcheck.Retries }}
  StartPeriod =\t{{ .Healthcheck.StartPeriod }}
  Timeout =\t{{ .Healthcheck.Timeout }}
  {{- if .Healthcheck.Test }}
  Tests:
\t{{- range $test := .Healthcheck.Test }}
\t Test = {{ $test }}
  {{- end }} {{ end -}}
{{- end }}
`;

/** docker's serviceInspectContext, as plain fields. `networkNames` maps network IDs to names. */
export function prettyContext(
  service: Service,
  networkNames: ReadonlyMap<string, string>,
  nowMs: number,
) {
  const spec = service.Spec;
  const task = spec.TaskTemplate;
  const container = task.ContainerSpec ?? { Image: '' };
  const update = spec.UpdateConfig as Record<string, number | string | undefined> | undefined;
  const rollback = spec.RollbackConfig as Record<string, number | string | undefined> | undefined;
  const status = service.UpdateStatus;
  const limits = task.Resources?.Limits;
  const reservations = task.Resources?.Reservations;
  const logDriver = task.LogDriver as
    | { Name?: string; Options?: Record<string, string> }
    | undefined;
  const ago = (timestamp: string) => `${humanDuration(nowMs - Date.parse(timestamp))} ago`;
  const health = container.Healthcheck;
  return {
    ID: service.ID,
    Name: spec.Name,
    Labels: spec.Labels ?? {},
    IsModeGlobal: spec.Mode.Global !== undefined,
    IsModeReplicated: spec.Mode.Replicated !== undefined,
    // A *uint64 in docker: set means shown, even when 0.
    ModeReplicatedReplicas:
      spec.Mode.Replicated?.Replicas === undefined ? '' : String(spec.Mode.Replicated.Replicas),
    HasUpdateStatus: status !== undefined && (status.State as string) !== '',
    UpdateStatusState: status?.State ?? '',
    HasUpdateStatusStarted: status?.StartedAt !== undefined,
    UpdateStatusStarted: status?.StartedAt ? ago(status.StartedAt) : '',
    UpdateIsCompleted: status?.State === 'completed' && status.CompletedAt !== undefined,
    UpdateStatusCompleted: status?.CompletedAt ? ago(status.CompletedAt) : '',
    UpdateStatusMessage: status?.Message ?? '',
    TaskPlacementConstraints: task.Placement?.Constraints ?? [],
    TaskPlacementPreferences: (task.Placement?.Preferences ?? [])
      .filter((preference) => preference.Spread)
      .map((preference) => `spread=${preference.Spread.SpreadDescriptor}`),
    MaxReplicas: task.Placement?.MaxReplicas ?? 0,
    PlacementStrategy: task.Placement?.Strategy ?? '',
    HasUpdateConfig: update !== undefined,
    UpdateParallelism: update?.Parallelism ?? 0,
    HasUpdateDelay: Number(update?.Delay ?? 0) > 0,
    UpdateDelay: formatGoDuration(Number(update?.Delay ?? 0)),
    UpdateOnFailure: update?.FailureAction ?? '',
    HasUpdateMonitor: Number(update?.Monitor ?? 0) > 0,
    UpdateMonitor: formatGoDuration(Number(update?.Monitor ?? 0)),
    UpdateMaxFailureRatio: update?.MaxFailureRatio ?? 0,
    UpdateOrder: update?.Order ?? '',
    HasRollbackConfig: rollback !== undefined,
    RollbackParallelism: rollback?.Parallelism ?? 0,
    HasRollbackDelay: Number(rollback?.Delay ?? 0) > 0,
    RollbackDelay: formatGoDuration(Number(rollback?.Delay ?? 0)),
    RollbackOnFailure: rollback?.FailureAction ?? '',
    HasRollbackMonitor: Number(rollback?.Monitor ?? 0) > 0,
    RollbackMonitor: formatGoDuration(Number(rollback?.Monitor ?? 0)),
    RollbackMaxFailureRatio: rollback?.MaxFailureRatio ?? 0,
    RollbackOrder: rollback?.Order ?? '',
    ContainerImage: container.Image,
    ContainerArgs: container.Args ?? [],
    ContainerEnv: container.Env ?? [],
    ContainerWorkDir: container.Dir ?? '',
    HasContainerInit: container.Init !== undefined && container.Init !== null,
    ContainerInit: container.Init === true,
    ContainerUser: container.User ?? '',
    ContainerPrivileged: container.Privileged === true,
    ContainerDevices: (container.Devices ?? []).map(
      (device) => `${device.PathOnHost}:${device.PathInContainer}:${device.CgroupPermissions}`,
    ),
    HasCapabilities:
      (container.CapabilityAdd?.length ?? 0) + (container.CapabilityDrop?.length ?? 0) > 0,
    HasCapabilityAdd: (container.CapabilityAdd?.length ?? 0) > 0,
    HasCapabilityDrop: (container.CapabilityDrop?.length ?? 0) > 0,
    CapabilityAdd: (container.CapabilityAdd ?? []).join(', '),
    CapabilityDrop: (container.CapabilityDrop ?? []).join(', '),
    ContainerSysCtls: container.Sysctls ?? {},
    ContainerUlimits: Object.fromEntries(
      (container.Ulimits ?? []).map((ulimit) => [ulimit.Name, `${ulimit.Soft}:${ulimit.Hard}`]),
    ),
    ContainerMounts: (container.Mounts ?? []).map((mount) => ({
      Target: mount.Target ?? '',
      Source: mount.Source ?? '',
      ReadOnly: mount.ReadOnly === true,
      Type: mount.Type ?? '',
    })),
    Configs: (container.Configs ?? []).map((config) => ({
      File: { Name: config.File?.Name ?? '' },
      ConfigName: config.ConfigName ?? '',
    })),
    Secrets: (container.Secrets ?? []).map((secret) => ({
      File: { Name: secret.File?.Name ?? '' },
      SecretName: secret.SecretName ?? '',
    })),
    HasLogDriver: logDriver !== undefined,
    HasLogDriverName: (logDriver?.Name ?? '') !== '',
    LogDriverName: logDriver?.Name ?? '',
    LogOpts: logDriver?.Options ?? {},
    HasResources: task.Resources !== undefined,
    HasResourceReservations:
      (reservations?.NanoCPUs ?? 0) > 0 || (reservations?.MemoryBytes ?? 0) > 0,
    ResourceReservationNanoCPUs: (reservations?.NanoCPUs ?? 0) / 1e9,
    ResourceReservationMemory: reservations?.MemoryBytes ? bytesSize(reservations.MemoryBytes) : '',
    HasResourceLimits:
      (limits?.NanoCPUs ?? 0) > 0 || (limits?.MemoryBytes ?? 0) > 0 || (limits?.Pids ?? 0) > 0,
    ResourceLimitsNanoCPUs: (limits?.NanoCPUs ?? 0) / 1e9,
    ResourceLimitMemory: limits?.MemoryBytes ? bytesSize(limits.MemoryBytes) : '',
    ResourceLimitPids: limits?.Pids ?? 0,
    Networks: (task.Networks ?? []).map(
      (network) => networkNames.get(network.Target) ?? network.Target,
    ),
    EndpointMode: spec.EndpointSpec?.Mode ?? '',
    Ports: (service.Endpoint?.Ports ?? []).map((port) => ({
      PublishedPort: port.PublishedPort ?? 0,
      Protocol: port.Protocol ?? '',
      TargetPort: port.TargetPort,
      PublishMode: port.PublishMode ?? '',
    })),
    PortConflicts: portConflicts(service),
    // A pointer in docker: present means shown.
    Healthcheck: health
      ? {
          Interval: formatGoDuration(health.Interval ?? 0),
          Retries: health.Retries ?? 0,
          StartPeriod: formatGoDuration(health.StartPeriod ?? 0),
          Timeout: formatGoDuration(health.Timeout ?? 0),
          Test: health.Test ?? [],
        }
      : undefined,
  };
}

/** The text docker prints for `service inspect --pretty` (each service followed by a newline). */
export function formatPretty(
  services: readonly Service[],
  networkNames: ReadonlyMap<string, string>,
  nowMs: number,
): string {
  const contexts = services.map((service) => prettyContext(service, networkNames, nowMs));
  return formatTable(contexts, PRETTY_TEMPLATE, {});
}
