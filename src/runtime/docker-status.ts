// What the Docker Engine says about a container (GET /containers/{id}/json), as a RuntimeStatus:
// its state as a phase, the exit code once exited, "OOM killed" or the engine's own error as the
// task's error, and the healthcheck's status. Pure, unit-tested.
import type { Health, RuntimePhase, RuntimeStatus } from './driver.ts';
import { presentTime } from './timestamps.ts';

/** The parts of the Engine's container inspect body read here. */
export interface EngineContainerState {
  Status?: string;
  Running?: boolean;
  Pid?: number;
  ExitCode?: number;
  OOMKilled?: boolean;
  Error?: string;
  StartedAt?: string;
  FinishedAt?: string;
  Health?: { Status?: string };
}

export interface EngineContainerInfo {
  Id: string;
  State: EngineContainerState;
  Config?: {
    Tty?: boolean;
    Labels?: Record<string, string> | null;
    ExposedPorts?: Record<string, unknown> | null;
  };
  NetworkSettings?: {
    IPAddress?: string;
    Networks?: Record<string, { IPAddress?: string } | null> | null;
  };
}

/** The container's address on its (first) network, where the mesh reaches its ports. */
export function addressOf(info: EngineContainerInfo): string | undefined {
  const settings = info.NetworkSettings;
  if (settings?.IPAddress) return settings.IPAddress;
  for (const network of Object.values(settings?.Networks ?? {})) {
    if (network?.IPAddress) return network.IPAddress;
  }
  return undefined;
}

/** The engine's container states: created, running, paused, restarting, removing, exited, dead. */
export function phaseOf(status: string | undefined): RuntimePhase {
  switch (status) {
    case 'created':
      return 'created';
    case 'running':
    case 'paused':
    case 'restarting':
      return 'running';
    case 'exited':
    case 'dead':
    case 'removing':
      return 'exited';
    default:
      return 'missing';
  }
}

export function healthOf(status: string | undefined): Health {
  switch (status) {
    case 'starting':
    case 'healthy':
    case 'unhealthy':
      return status;
    default:
      return 'none';
  }
}

export function statusFromInspect(taskId: string, info: EngineContainerInfo): RuntimeStatus {
  const state = info.State;
  const phase = phaseOf(state.Status);
  const status: RuntimeStatus = {
    taskId,
    phase,
    runtimeId: info.Id,
    health: healthOf(state.Health?.Status),
  };
  if (phase === 'running' && state.Pid !== undefined && state.Pid > 0) status.pid = state.Pid;
  const address = phase === 'running' ? addressOf(info) : undefined;
  if (address !== undefined) status.address = address;
  const exposed = Object.keys(info.Config?.ExposedPorts ?? {});
  if (exposed.length > 0) status.exposedPorts = exposed.sort();
  const startedAt = presentTime(state.StartedAt);
  if (startedAt !== undefined) status.startedAt = startedAt;
  if (phase === 'exited') {
    status.exitCode = state.ExitCode ?? -1;
    const finishedAt = presentTime(state.FinishedAt);
    if (finishedAt !== undefined) status.finishedAt = finishedAt;
  }
  if (state.OOMKilled) status.error = 'OOM killed';
  else if (state.Error) status.error = state.Error;
  return status;
}
