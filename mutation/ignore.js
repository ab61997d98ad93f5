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

/**
 * The value a test is known to have while every fault is off (as in every suite run), or undefined when that
 * depends on other conditions: `faults.has(f)` is false, `faults.has(f) && x` is false, `!faults.has(f) || x` is true.
 */
function valueWithFaultsOff(node) {
  if (!node) return undefined;
  if (isFaultCheck(node)) return false;
  if (node.type === 'UnaryExpression' && node.operator === '!') {
    const v = valueWithFaultsOff(node.argument);
    return v === undefined ? undefined : !v;
  }
  if (node.type === 'LogicalExpression') {
    const l = valueWithFaultsOff(node.left), r = valueWithFaultsOff(node.right);
    if (node.operator === '&&') return l === false || r === false ? false : l === true && r === true ? true : undefined;
    if (node.operator === '||') return l === true || r === true ? true : l === false && r === false ? false : undefined;
  }
  return undefined;
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

/** Error helpers whose every argument is message text beside a code they fix (hub/api/errors.ts, rules). */
const MESSAGE_ONLY = new Set(['invalid', 'missing', 'productNotExist', 'deviceNotExist', 'invalidSql']);

/** @param {NodePathLike} path @returns {string | undefined} */
function shouldIgnore(path) {
  const { node, parentPath: parent } = path;
  const p = parent?.node;
  // 1. Fault switches: the check itself, and a branch taken only when a fault is on.
  if (isFaultCheck(node)) return 'a fault switch (hub/faults.ts): judged by hubcheck selftest, off in every suite run';
  const branching = p?.type === 'IfStatement' || p?.type === 'ConditionalExpression';
  if (branching && path.key === 'consequent' && valueWithFaultsOff(p.test) === false) return 'code that runs only while a fault switch is on: judged by hubcheck selftest';
  if (branching && path.key === 'alternate' && valueWithFaultsOff(p.test) === true) return 'code that runs only while a fault switch is on: judged by hubcheck selftest';
  // A condition beside a fault check that already decides the test while faults are off (`x && faults.has(f)`
  // is false, `x || !faults.has(f)` is true, whatever x is): a change to x can only show while the fault is on.
  if (p?.type === 'LogicalExpression' && (path.key === 'left' || path.key === 'right')) {
    const other = valueWithFaultsOff(path.key === 'left' ? p.right : p.left);
    if ((p.operator === '&&' && other === false) || (p.operator === '||' && other === true)) {
      return 'a condition that only matters while a fault switch is on (the fault check beside it decides the test): judged by hubcheck selftest';
    }
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
  // Helpers of hub/api/errors.ts whose arguments only fill the message of a fixed code, and `fail(code, message)`.
  if (p?.type === 'CallExpression' && p.callee?.type === 'Identifier' && typeof path.key === 'number') {
    const name = p.callee.name;
    if (MESSAGE_ONLY.has(name) || (name === 'fail' && path.key === 1)) {
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
