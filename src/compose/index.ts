// Compose files to stack specs: what `shoal stack deploy` creates, with every error in a file
// named by its file, line, column and key path.

export { type Lookup, substitute, TemplateError } from './interpolate.ts';
export { ComposeError, formatIssue, type Issue, type Location } from './issues.ts';
export {
  COMPOSE_FILE_BYTES_MAX,
  COMPOSE_FILES_MAX,
  type ComposeFile,
  type LoadStackOptions,
  loadStack,
} from './load.ts';
export type { FileReader } from './load-service.ts';
export type { DependencyCondition } from './model.ts';
export {
  DEFAULT_NETWORK_DRIVER,
  type FileObjectSpec,
  LABEL_IMAGE,
  LABEL_NAMESPACE,
  type NetworkCreateRequest,
  type ServiceDependency,
  type StackDeployment,
  type StackService,
  scopedName,
} from './stack-types.ts';
export { formatDuration, parseBytes, parseDuration } from './units.ts';
