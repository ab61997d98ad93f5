// @ts-check
// What mutation runs leave out, by rule: code that is not the protocol, so that no test of a hub can or
// should notice a change to it. Each rule's reason is shown for each ignored mutant in Stryker's report,
// and docs/mutation.md lists the rules. Plain JavaScript: Stryker loads it in its worker processes too.
import { PluginKind, declareValuePlugin } from '@stryker-mutator/api/plugin';

/** @typedef {{ node: any, parentPath: NodePathLike | null, key: string | number | null, listKey?: string }} NodePathLike */

/** `faults.has(…)` or `….faults.has(…)`: a fault switch of hub/faults.ts. */
function isFaultCheck(node) {
  if (node?.type !== 'CallExpression' || node.callee?.type !== 'MemberExpression') return false;
  const { object, property } = node.callee;
  if (property?.name !== 'has') return false;
  return (object?.type === 'Identifier' && object.name === 'faults') || (object?.type === 'MemberExpression' && object.property?.name === 'faults');
}

/** A test made only of fault checks: `faults.has(a)`, `!faults.has(a)`, `faults.has(a) || faults.has(b)`. */
function onlyFaultChecks(node) {
  if (!node) return false;
  if (node.type === 'UnaryExpression' && node.operator === '!') return onlyFaultChecks(node.argument);
  if (node.type === 'LogicalExpression') return onlyFaultChecks(node.left) && onlyFaultChecks(node.right);
  return isFaultCheck(node);
}

/** The value of a test made only of fault checks when every fault is off (as in every suite run); undefined for other tests. */
function valueWithFaultsOff(node) {
  if (!onlyFaultChecks(node)) return undefined;
  if (isFaultCheck(node)) return false;
  if (node.type === 'UnaryExpression') return !valueWithFaultsOff(node.argument);
  const l = valueWithFaultsOff(node.left), r = valueWithFaultsOff(node.right);
  return node.operator === '&&' ? l && r : node.operator === '||' ? l || r : undefined;
}

/** Names of calls whose arguments only reach the hub's log. */
function isLogCall(node) {
  if (node?.type !== 'CallExpression') return false;
  const c = node.callee;
  if (c?.type === 'Identifier') return c.name === 'log';
  if (c?.type !== 'MemberExpression') return false;
  const name = c.property?.name;
  if (name === 'log' || name === 'debug') return true;
  return c.object?.type === 'Identifier' && c.object.name === 'console';
}

/** Error classes whose message (the argument after the code, or the only argument of Error) is human text. */
const ERROR_WITH_CODE = new Set(['ApiError', 'GatewayError', 'HubError', 'RegisterError']);

/** @param {NodePathLike} path @returns {string | undefined} */
function shouldIgnore(path) {
  const { node, parentPath: parent } = path;
  const p = parent?.node;
  // 1. Fault switches: the check itself, and a branch taken only when a fault is on.
  if (isFaultCheck(node)) return 'a fault switch (hub/faults.ts): judged by hubcheck selftest, off in every suite run';
  if ((p?.type === 'IfStatement' || p?.type === 'ConditionalExpression') && path.key === 'consequent' && onlyFaultChecks(p.test) && !(p.test.type === 'UnaryExpression')) {
    return 'code that runs only while a fault switch is on: judged by hubcheck selftest';
  }
  if ((p?.type === 'IfStatement' || p?.type === 'ConditionalExpression') && path.key === 'alternate' && p.test?.type === 'UnaryExpression' && onlyFaultChecks(p.test)) {
    return 'code that runs only while a fault switch is on: judged by hubcheck selftest';
  }
  // A condition joined by && to a fault check (`x && faults.has(f)`): with every fault off the whole test is
  // false whatever x is, so a change to x can only show while the fault is on.
  if (p?.type === 'LogicalExpression' && p.operator === '&&' && (path.key === 'left' || path.key === 'right')) {
    const other = path.key === 'left' ? p.right : p.left;
    if (valueWithFaultsOff(other) === false) return 'a condition that only matters while a fault switch is on (it is joined by && to the fault check): judged by hubcheck selftest';
  }
  // 2. The hub's own log lines.
  if (isLogCall(node)) return "the hub's log output: not part of the protocol";
  // 3. Human-readable messages beside a machine-readable code.
  if (p?.type === 'NewExpression' && p.callee?.type === 'Identifier' && typeof path.key === 'number') {
    const name = p.callee.name;
    if (name === 'Error' || (ERROR_WITH_CODE.has(name) && path.key >= 1) || (name === 'Refusal')) {
      return 'the text of an error message: hubs answer codes, the message is for people (protocol.md §9.5)';
    }
  }
  if (p?.type === 'CallExpression' && p.callee?.type === 'Identifier' && p.callee.name === 'refuse' && path.key === 1) {
    return 'the reason of a refused login, written to the hub log only (the CONNACK code is the protocol)';
  }
  if (p?.type === 'ObjectProperty' && path.key === 'value' && (p.key?.name === 'reason' || p.key?.name === 'why')) {
    return 'the reason of a refusal, written to the hub log only';
  }
  return undefined;
}

export const strykerPlugins = [declareValuePlugin(PluginKind.Ignore, 'hubcheck-outside-protocol', { shouldIgnore })];
