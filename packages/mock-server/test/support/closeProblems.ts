import { CloseCode } from '@lormas/protocol';
import { closedForInvalidItems, type CloseRecord } from './FuzzAgent.js';

/**
 * What is wrong with the closes of a fake agent's sockets, judged against what the agent had
 * sent on each: a socket the agent broke must close with one of the codes it expected; one it
 * did not break must not close, but for a lost node whose reconciliation failed (closed to
 * dial again) and a close for too many invalid items that the agent may have sent (`excuse`)
 * when the server's reason for that very close says so. Each close is judged by its own
 * reason, never by the server's latest violation of the node, which may be another socket's.
 * A problem names the socket, the server's reason and the agent's last messages on it.
 * Empty when all is well.
 */
export function closeProblems(nodeId: string, closes: readonly CloseRecord[]): string[] {
  const problems: string[] = [];
  for (const close of closes) {
    if (close.ours) continue;
    const what = `node ${nodeId}, socket ${close.connection}: closed with ${close.code} (${close.reason || 'no reason'})`;
    const sent = `; the agent's last messages on it: ${close.lastSent.join(' | ') || 'none'}`;
    if (close.expected) {
      if (!close.expected.codes.includes(close.code)) problems.push(`${what}; the agent sent ${close.expected.why}, which must close with ${close.expected.codes.join(' or ')}${sent}`);
    } else if (close.code === CloseCode.InternalError && close.reason.includes('reconciliation failed')) {
      // The fuzz's answers may make a returning node's reconciliation fail.
    } else if (!(close.excuse && closedForInvalidItems(close.code, close.reason))) {
      problems.push(`${what}, though the agent broke nothing${sent}`);
    }
  }
  return problems;
}
