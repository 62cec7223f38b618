import { CloseCode } from '@lormas/protocol';
import type { CloseRecord } from './FuzzAgent.js';

/**
 * What is wrong with the closes of a fake agent's sockets, judged against what the agent had
 * sent: a socket the agent broke must close with one of the codes it expected; one it did not
 * break must not close, but for a lost node whose reconciliation failed (closed to dial again)
 * and a close for too many invalid items that the agent may have sent (`excuse`) and the
 * server says was the reason. `lastViolation` is the server's account of its last violation
 * of the node (a log line, the hub's event). Empty when all is well.
 */
export function closeProblems(nodeId: string, closes: readonly CloseRecord[], lastViolation: string | undefined): string[] {
  const problems: string[] = [];
  const said = lastViolation ? `; the server's last violation: ${lastViolation}` : '';
  for (const close of closes) {
    if (close.ours) continue;
    const what = `node ${nodeId}, socket ${close.connection}: closed with ${close.code} (${close.reason})`;
    if (close.expected) {
      if (!close.expected.codes.includes(close.code)) problems.push(`${what}; the agent sent ${close.expected.why}, which must close with ${close.expected.codes.join(' or ')}${said}`);
    } else if (close.code === CloseCode.InternalError && close.reason.includes('reconciliation failed')) {
      // The fuzz's answers may make a returning node's reconciliation fail.
    } else if (!(close.code === CloseCode.ProtocolViolation && close.excuse && lastViolation?.includes('items that break the contract'))) {
      problems.push(`${what}, though the agent broke nothing${said}`);
    }
  }
  return problems;
}
