// What a compose file becomes for `shoal stack deploy NAME`: the Engine API objects docker's
// stack deploy would create, named `<stack>_<name>` and labelled with the stack, plus the
// services' dependencies (Shoal's depends_on) in a form the deploy command can wait on.
import type { Labels, ServiceSpec } from '../store/index.ts';
import type { DependencyCondition } from './model.ts';

export const LABEL_NAMESPACE = 'com.docker.stack.namespace';
export const LABEL_IMAGE = 'com.docker.stack.image';
export const DEFAULT_NETWORK_DRIVER = 'overlay';

/** The body of POST /networks/create (Docker's NetworkCreateRequest). */
export interface NetworkCreateRequest {
  Name: string;
  Driver: string;
  Labels: Labels;
  Options?: Record<string, string>;
  Internal?: boolean;
  Attachable?: boolean;
  IPAM?: { Driver?: string; Config?: { Subnet: string }[] };
}

/** The body of POST /secrets/create or /configs/create. Data is base64. */
export interface FileObjectSpec {
  Name: string;
  Labels: Labels;
  Data: string;
  Driver?: { Name: string; Options?: Record<string, string> };
  Templating?: { Name: string };
}

export interface ServiceDependency {
  /** The dependency's full service name (`<stack>_<name>`). */
  service: string;
  condition: DependencyCondition;
}

export interface StackService {
  /** The name in the compose file. */
  key: string;
  spec: ServiceSpec;
  dependsOn: ServiceDependency[];
}

export interface StackDeployment {
  stack: string;
  /** In an order where every service comes after its dependencies (then by name). */
  services: StackService[];
  /** Networks the stack creates if missing (each one some service uses). */
  networks: NetworkCreateRequest[];
  /** External networks the services use, which must exist (swarm scope). */
  externalNetworks: string[];
  secrets: FileObjectSpec[];
  configs: FileObjectSpec[];
  /** Warnings for stderr, in docker's wording ("Ignoring unsupported options: build"). */
  warnings: string[];
}

export const scopedName = (stack: string, name: string) => `${stack}_${name}`;

export function withStackLabel(stack: string, labels: Labels | undefined): Labels {
  return { ...labels, [LABEL_NAMESPACE]: stack };
}
