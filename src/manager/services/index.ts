// Services as the control API changes them: checks, defaults, ports, one batch each.
export { randomServiceName } from './names.ts';
export { allocatePorts, DYNAMIC_PORT_END, DYNAMIC_PORT_START } from './ports.ts';
export { ServiceControl } from './service-control.ts';
export { InvalidSpecError, validateServiceSpec } from './validate.ts';
