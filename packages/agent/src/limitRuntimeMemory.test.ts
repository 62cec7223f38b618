import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BUN_JSC_OPTIONS, limitRuntimeMemory, type ProcessImage, runtimeOptionsCommand } from './limitRuntimeMemory.js';

const BUN = '/usr/local/bin/bun';
const bunImage = (overrides: Partial<ProcessImage> = {}): ProcessImage => ({
  bun: true,
  env: { PATH: '/usr/bin', NODE_TOKEN: 't0ken' },
  execPath: BUN,
  execArgv: ['--no-install'],
  argv: [BUN, '/opt/lormas-agent/agent.js', 'join'],
  kind: 'js',
  ...overrides,
});

describe('limitRuntimeMemory', () => {
  it('on Bun, runs the same command again with the JIT options added and the environment kept', () => {
    const command = runtimeOptionsCommand(bunImage());
    assert.deepEqual(command, {
      file: BUN,
      args: [BUN, '--no-install', '/opt/lormas-agent/agent.js', 'join'],
      env: { PATH: '/usr/bin', NODE_TOKEN: 't0ken', ...BUN_JSC_OPTIONS },
    });
  });

  it('does not run again once the options are in the environment: no loop', () => {
    assert.equal(runtimeOptionsCommand(bunImage({ env: { ...BUN_JSC_OPTIONS } })), null);
  });

  it("keeps an operator's own value of an option and adds only the missing ones", () => {
    const command = runtimeOptionsCommand(bunImage({ env: { BUN_JSC_thresholdForJITSoon: '500' } }));
    assert.equal(command!.env['BUN_JSC_thresholdForJITSoon'], '500');
    assert.equal(command!.env['BUN_JSC_thresholdForJITAfterWarmUp'], BUN_JSC_OPTIONS['BUN_JSC_thresholdForJITAfterWarmUp']);
  });

  it('gives the single executable its arguments without its embedded entry', () => {
    const exe = '/opt/lormas-agent/lormas-agent';
    const command = runtimeOptionsCommand(bunImage({ kind: 'exe', execPath: exe, execArgv: [], argv: ['bun', '/$bunfs/root/lormas-agent', 'launch'] }));
    assert.deepEqual(command!.args, [exe, 'launch']);
  });

  it('changes nothing on Node', () => {
    assert.equal(runtimeOptionsCommand(bunImage({ bun: false })), null);
  });

  it('replaces the process through execve on Bun, and only when something is missing', () => {
    const calls: [string, string[], NodeJS.ProcessEnv][] = [];
    const execve = ((file: string, args: string[], env: NodeJS.ProcessEnv) => {
      calls.push([file, args, env]);
    }) as ProcessImage['execve'];
    limitRuntimeMemory(bunImage({ execve }));
    limitRuntimeMemory(bunImage({ execve, env: { ...BUN_JSC_OPTIONS } }));
    assert.equal(calls.length, 1);
    assert.equal(calls[0]![0], BUN);
    assert.equal(calls[0]![2]['BUN_JSC_thresholdForOptimizeSoon'], BUN_JSC_OPTIONS['BUN_JSC_thresholdForOptimizeSoon']);
  });

  it('runs on as it is on a Bun without execve, or when the exec fails', () => {
    assert.doesNotThrow(() => limitRuntimeMemory(bunImage()));
    const failing = (() => {
      throw Object.assign(new Error('execve failed'), { code: 'ENOENT' });
    }) as ProcessImage['execve'];
    assert.doesNotThrow(() => limitRuntimeMemory(bunImage({ execve: failing })));
  });
});
