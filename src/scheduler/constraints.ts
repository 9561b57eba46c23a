// Placement constraints (`node.labels.zone==east`, `node.role!=manager`), parsed and matched
// exactly as swarmkit's manager/constraint package does, so a spec Docker accepts is accepted
// here with the same meaning, and one it refuses is refused with the same message.
//
// Parsing (swarmkit constraint.Parse): the first operator of `==`, `!=` found in the expression
// splits it once; the key must match `^[a-z_][a-z0-9\-_.]+$` and the value
// `^[a-z0-9:\-_\s.*()?+[\]\\^$|/]+$` (both case-insensitive, after trimming spaces). Keys are
// not checked against the known set at parse time: an unknown key simply matches no node.
//
// Matching (swarmkit constraint.NodeMatches): keys are case-insensitive; values compare
// case-insensitively (Go's strings.EqualFold), except `node.ip`, which compares addresses or
// tests CIDR membership; label names after `node.labels.`/`engine.labels.` are case-sensitive.
// A missing label or field reads as "" (so `!=` matches nodes without it).
import type { Node } from '../store/index.ts';
import { ConstraintError } from './errors.ts';
import { ipEqual, networkContains, parseCidr, parseIp } from './ip.ts';

export type ConstraintOperator = '==' | '!=';

export interface Constraint {
  /** As written (trimmed); compared case-insensitively. */
  key: string;
  operator: ConstraintOperator;
  /** As written (trimmed). */
  value: string;
}

/** swarmkit's order: `==` is looked for first, so `a!==b` splits at `==`. */
const OPERATORS: readonly ConstraintOperator[] = ['==', '!='];

const KEY_PATTERN = /^[a-z_][a-z0-9\-_.]+$/i;
// Go's RE2 `\s` is [\t\n\f\r ], narrower than JavaScript's, hence the explicit class.
const VALUE_PATTERN = /^[a-z0-9:\-_\t\n\f\r .*()?+[\]\\^$|/]+$/i;

export const NODE_LABEL_PREFIX = 'node.labels.';
export const ENGINE_LABEL_PREFIX = 'engine.labels.';

/**
 * Parses placement constraint expressions. Throws ConstraintError with swarmkit's message for
 * the first malformed one.
 */
export function parseConstraints(expressions: readonly string[]): Constraint[] {
  return expressions.map(parseConstraint);
}

function parseConstraint(expression: string): Constraint {
  for (const operator of OPERATORS) {
    const at = expression.indexOf(operator);
    if (at < 0) continue;
    const key = expression.slice(0, at).trim();
    if (!KEY_PATTERN.test(key)) {
      throw new ConstraintError(`key '${key}' is invalid`, expression);
    }
    const value = expression.slice(at + operator.length).trim();
    if (!VALUE_PATTERN.test(value)) {
      throw new ConstraintError(`value '${value}' is invalid`, expression);
    }
    return { key, operator, value };
  }
  throw new ConstraintError(
    `constraint expected one operator from ${OPERATORS.join(', ')}`,
    expression,
  );
}

/** Whether the node satisfies every constraint (an empty list is satisfied by any node). */
export function matchesConstraints(node: Node, constraints: readonly Constraint[]): boolean {
  return constraints.every((constraint) => matchesConstraint(node, constraint));
}

export function matchesConstraint(node: Node, constraint: Constraint): boolean {
  const key = constraint.key.toLowerCase();
  switch (key) {
    case 'node.id':
      return matchValue(constraint, node.ID);
    case 'node.hostname':
      return matchValue(constraint, node.Description?.Hostname ?? '');
    case 'node.ip':
      return matchIp(constraint, node.Status?.Addr ?? '');
    case 'node.role':
      return matchValue(constraint, node.Spec.Role);
    case 'node.platform.os':
      return matchValue(constraint, node.Description?.Platform?.OS ?? '');
    case 'node.platform.arch':
      return matchValue(constraint, node.Description?.Platform?.Architecture ?? '');
  }
  const nodeLabel = labelName(constraint.key, NODE_LABEL_PREFIX);
  if (nodeLabel !== undefined) {
    return matchValue(constraint, ownValue(node.Spec.Labels, nodeLabel));
  }
  const engineLabel = labelName(constraint.key, ENGINE_LABEL_PREFIX);
  if (engineLabel !== undefined) {
    return matchValue(constraint, ownValue(node.Description?.Engine?.Labels, engineLabel));
  }
  // A key outside the syntax matches no node (swarmkit: "key doesn't match predefined syntax").
  return false;
}

/** The label name after a case-insensitive prefix, or undefined (a bare prefix is no label). */
export function labelName(key: string, prefix: string): string | undefined {
  if (key.length <= prefix.length) return undefined;
  if (key.slice(0, prefix.length).toLowerCase() !== prefix) return undefined;
  return key.slice(prefix.length);
}

/** A label's value, '' when absent (Go's map lookup); never an inherited property. */
export function ownValue(labels: Readonly<Record<string, string>> | undefined, name: string) {
  if (labels === undefined || !Object.hasOwn(labels, name)) return '';
  return labels[name] ?? '';
}

function matchValue(constraint: Constraint, actual: string): boolean {
  const equal = equalFold(constraint.value, actual);
  return constraint.operator === '==' ? equal : !equal;
}

/** Go's strings.EqualFold, close enough for the ASCII values the value pattern allows. */
function equalFold(a: string, b: string): boolean {
  return a === b || a.toLowerCase() === b.toLowerCase() || a.toUpperCase() === b.toUpperCase();
}

/**
 * `node.ip==2001:db8::2` compares addresses, `node.ip!=10.0.0.0/8` tests membership; a value
 * that is neither address nor network matches no node, whatever the operator (swarmkit).
 */
function matchIp(constraint: Constraint, nodeAddr: string): boolean {
  const nodeIp = parseIp(nodeAddr);
  const ip = parseIp(constraint.value);
  if (ip !== undefined) {
    const equal = nodeIp !== undefined && ipEqual(ip, nodeIp);
    return constraint.operator === '==' ? equal : !equal;
  }
  const network = parseCidr(constraint.value);
  if (network !== undefined) {
    const within = networkContains(network, nodeIp);
    return constraint.operator === '==' ? within : !within;
  }
  return false;
}
