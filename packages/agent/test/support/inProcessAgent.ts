import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';
import { startAgent } from '../../src/main.js';
import { testToken } from './rig.js';

/** Starts the agent in this process against `serverUrl`, logging into an array. */
export function startInProcessAgent(serverUrl: string, nodeId: string, env: Record<string, string> = {}) {
  const config = loadConfig({
    NODE_TOKEN: testToken(nodeId),
    SERVER_URL: serverUrl,
    NODE_NAME: nodeId,
    LOG_LEVEL: 'debug',
    HEARTBEAT_INTERVAL_MS: '200',
    RECONNECT_BASE_DELAY_MS: '50',
    RECONNECT_MAX_DELAY_MS: '500',
    RECONNECT_REFUSED_DELAY_MS: '500',
    STATE_DIR: mkdtempSync(join(tmpdir(), 'lormas-agent-state-')),
    ...env,
  });
  const lines: string[] = [];
  const agent = startAgent(config, createLogger({ level: 'debug', secrets: [config.nodeToken], write: (l) => lines.push(l), pretty: false }));
  return { agent, config, lines };
}
