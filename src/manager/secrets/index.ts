// Secrets and configs as the control API changes them: spec checks with swarmkit's wording,
// create/list/update/remove, and the checks of services' references to them.
export {
  type ClusterWriter,
  FILE_OBJECT_FILTERS,
  type FileObject,
  FileObjectControl,
  servicesUsing,
} from './control.ts';
export { type AssignedFileObject, type AssignedFiles, filesForTasks } from './distribution.ts';
export { SecretsError, type SecretsErrorCode } from './errors.ts';
export { checkReferenceShapes, REFERENCES_MAX, resolveReferences } from './references.ts';
export {
  CONFIG_DATA_BYTES_MAX,
  type DriverSpec,
  type FileObjectKind,
  SECRET_DATA_BYTES_MAX,
  TEMPLATE_DRIVERS,
} from './spec.ts';
