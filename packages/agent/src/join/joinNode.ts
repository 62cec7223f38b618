import { createHash, randomBytes } from 'node:crypto';
import { PROTOCOL_VERSION } from '@lormas/protocol';
import type { AgentSettings } from '../config.js';
import type { Logger } from '../logger.js';
import type { StateDir } from '../StateDir.js';
import { AGENT_VERSION } from '../version.js';
import { joinExchange } from './joinExchange.js';
import { JOIN_STATE_FILE, type JoinState, keptExchangeId } from './JoinState.js';
import { writeTokenFile } from './TokenFile.js';


/**
 * Joins: trades `JOIN_CODE` for the node token and keeps it in `TOKEN_FILE` (0600). The
 * exchange id is chosen and written to the state folder before the first attempt, so an
 * agent that dies after the server answered, or whose answer was lost, asks again with the
 * same id and gets the same token while the code's window lasts.
 */
export async function joinNode(settings: AgentSettings & { joinCode: string }, state: StateDir, logger: Logger): Promise<string> {
  const codeSha256 = createHash('sha256').update(settings.joinCode).digest('hex');
  let exchangeId = keptExchangeId(state.read(JOIN_STATE_FILE), codeSha256);
  if (!exchangeId) {
    // 128 bits: another agent cannot guess it and take over an exchange in progress.
    exchangeId = randomBytes(16).toString('base64url');
    await state.write(JOIN_STATE_FILE, { codeSha256, exchangeId } satisfies JoinState);
  }
  logger.info('joining the server with a join code', { server: settings.serverUrl });
  const answer = await joinExchange({
    serverUrl: settings.serverUrl,
    ca: settings.ca,
    logger,
    timeoutMs: settings.joinTimeoutMs,
    request: { code: settings.joinCode, exchangeId, nodeName: settings.nodeName, agentVersion: AGENT_VERSION, protocolVersion: PROTOCOL_VERSION },
  });
  writeTokenFile(settings.tokenFile, answer.token);
  state.remove(JOIN_STATE_FILE);
  logger.info('joined: the node token is kept in TOKEN_FILE', { node: answer.nodeId, name: answer.nodeName, tokenFile: settings.tokenFile });
  return answer.token;
}
