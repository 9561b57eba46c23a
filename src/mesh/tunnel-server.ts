// The answering end of the mesh tunnel, on every node's cluster port: a stream names one of
// this node's tasks and its port; the node connects it (refusing when the task is not here,
// not running or draining, so the caller tries another) and carries the bytes (TCP) or the
// datagrams (UDP) until either side ends.
import type { Socket as DgramSocket } from 'node:dgram';
import * as grpc from '@grpc/grpc-js';
import { bridge, type FrameStream, type WireMeshFrame } from './bridge.ts';
import type { NodeMesh } from './mesh.ts';
import { udpSocketFor } from './mesh.ts';

/** How long a caller may take to name its target. */
const FIRST_FRAME_MS = 5_000;
/** A UDP stream idle this long is ended. */
const UDP_IDLE_MS = 60_000;

export type MeshServerCall = grpc.ServerDuplexStream<WireMeshFrame, Partial<WireMeshFrame>> &
  FrameStream;

export interface TunnelServerOptions {
  mesh: () => NodeMesh | null;
  /** The caller's node id when it may call (a node of this cluster); throws otherwise. */
  authorize: (call: MeshServerCall) => string;
  log: (line: string) => void;
}

function refuse(call: MeshServerCall, reason: string): void {
  try {
    call.write({ accepted: false, error: reason });
    call.end();
  } catch {
    // The caller went away.
  }
}

export function meshHandlers(options: TunnelServerOptions): grpc.UntypedServiceImplementation {
  return {
    Connect: (call: MeshServerCall) => {
      try {
        options.authorize(call);
      } catch (error) {
        call.emit('error', {
          code: grpc.status.PERMISSION_DENIED,
          details: (error as Error).message,
        });
        return;
      }
      const timer = setTimeout(() => refuse(call, 'no target named'), FIRST_FRAME_MS);
      call.on('error', () => clearTimeout(timer));
      call.once('data', (frame: WireMeshFrame) => {
        clearTimeout(timer);
        call.pause();
        const mesh = options.mesh();
        if (mesh === null) {
          refuse(call, 'this node runs no mesh');
          return;
        }
        if (frame.protocol === 'udp') serveUdp(call, mesh, frame);
        else void serveTcp(call, mesh, frame);
      });
    },
  };
}

async function serveTcp(call: MeshServerCall, mesh: NodeMesh, target: WireMeshFrame) {
  let socket: Awaited<ReturnType<NodeMesh['dialLocal']>>;
  try {
    socket = await mesh.dialLocal(target.taskId, target.targetPort);
  } catch (error) {
    refuse(call, (error as Error).message);
    return;
  }
  if (call.cancelled || call.destroyed) {
    socket.destroy();
    return;
  }
  call.write({ accepted: true });
  bridge(
    socket,
    call,
    () => call.end(),
    () => {},
  );
}

function serveUdp(call: MeshServerCall, mesh: NodeMesh, target: WireMeshFrame): void {
  let socket: DgramSocket;
  let endpoint: ReturnType<NodeMesh['localEndpoint']>;
  try {
    endpoint = mesh.localEndpoint(target.taskId, target.targetPort, 'udp');
    socket = udpSocketFor(endpoint);
  } catch (error) {
    refuse(call, (error as Error).message);
    return;
  }
  let closed = false;
  const close = () => {
    if (closed) return;
    closed = true;
    clearTimeout(idle);
    try {
      socket.close();
    } catch {
      // Already closed.
    }
    try {
      call.end();
    } catch {
      // The caller went away.
    }
  };
  const idle = setTimeout(close, UDP_IDLE_MS);
  socket.on('message', (answer) => {
    idle.refresh();
    call.write({ data: answer });
  });
  call.on('data', (frame: WireMeshFrame) => {
    idle.refresh();
    if (frame.data.length > 0) socket.send(frame.data, endpoint.port, endpoint.host);
  });
  call.on('end', close);
  call.on('error', close);
  call.on('cancelled', close);
  call.write({ accepted: true });
  call.resume();
}
