// Plain unary calls of the node-to-node services: a client helper with a deadline, and a
// server adapter from promise-returning handlers. A handler throws RpcError to answer with a
// status of its choice; anything else becomes INTERNAL with the error's message.
import * as grpc from '@grpc/grpc-js';

export class RpcError extends Error {
  override name = 'RpcError';
  constructor(
    readonly code: grpc.status,
    message: string,
  ) {
    super(message);
  }
}

export function callUnary<Request, Response>(
  client: grpc.Client,
  service: grpc.ServiceDefinition,
  method: string,
  request: Request,
  timeoutMs: number,
): Promise<Response> {
  const definition = service[method] as grpc.MethodDefinition<Request, Response> | undefined;
  if (!definition) return Promise.reject(new Error(`no method ${method} in the service`));
  return new Promise((resolve, reject) => {
    client.makeUnaryRequest(
      definition.path,
      definition.requestSerialize,
      definition.responseDeserialize,
      request,
      new grpc.Metadata(),
      { deadline: Date.now() + timeoutMs },
      (error, response) => (error ? reject(error) : resolve(response as Response)),
    );
  });
}

export function unaryHandler<Request, Response>(
  run: (request: Request, call: grpc.ServerUnaryCall<Request, Response>) => Promise<Response>,
): grpc.handleUnaryCall<Request, Response> {
  return (call, callback) => {
    run(call.request, call).then(
      (response) => callback(null, response),
      (error: unknown) => {
        if (error instanceof RpcError) callback({ code: error.code, details: error.message });
        else
          callback({
            code: grpc.status.INTERNAL,
            details: (error as Error)?.message ?? String(error),
          });
      },
    );
  };
}
