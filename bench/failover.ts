import { type BenchResult, notMeasured } from './stats.js';

/**
 * Figure 7: node loss -> HA container running on another node, minus the configured
 * lost-after window. The mock server's failover controller does not exist yet, so this
 * slot reports that instead of a number.
 */
export async function benchFailover(_options: { quick: boolean }): Promise<BenchResult[]> {
  return [notMeasured('7. failover overhead', 'ms', 'not measured: failover not built yet')];
}
