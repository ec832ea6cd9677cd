import { AgentEnv, ConfigError, GatewayEnv, loadEnv, parseLabels, SchedulerEnv } from './index';

describe('loadEnv', () => {
  it('applies defaults', () => {
    const env = loadEnv(GatewayEnv, {});
    expect(env.PORT).toBe(8080);
    expect(env.BERTH_PREFIX).toBe('berth');
    expect(env.BERTH_REDIS_URL).toBe('redis://127.0.0.1:6379');
  });

  it('converts numbers', () => {
    expect(loadEnv(GatewayEnv, { PORT: '9090' }).PORT).toBe(9090);
    expect(loadEnv(AgentEnv, { BERTH_NODE_MEMORY_MIB: '512' }).BERTH_NODE_MEMORY_MIB).toBe(512);
  });

  it('keeps finished jobs a day unless told otherwise, and refuses a retention of nothing', () => {
    expect(loadEnv(SchedulerEnv, {}).BERTH_JOB_RETENTION_SECONDS).toBe(86_400);
    expect(loadEnv(SchedulerEnv, { BERTH_JOB_RETENTION_SECONDS: '2' }).BERTH_JOB_RETENTION_SECONDS).toBe(2);
    expect(() => loadEnv(SchedulerEnv, { BERTH_JOB_RETENTION_SECONDS: '0' })).toThrow(/BERTH_JOB_RETENTION_SECONDS/);
  });

  it('keeps 64 MiB of dead letters unless told otherwise, and never less than the largest letter', () => {
    expect(loadEnv(GatewayEnv, {}).BERTH_DEAD_LETTER_MAX_BYTES).toBe(64 * 1024 * 1024);
    expect(() => loadEnv(GatewayEnv, { BERTH_DEAD_LETTER_MAX_BYTES: '1000' })).toThrow(/BERTH_DEAD_LETTER_MAX_BYTES/);
  });

  it('names every bad variable in one error', () => {
    let error: unknown;
    try {
      loadEnv(AgentEnv, { PORT: '1', BERTH_NODE_CPU_MILLIS: 'lots', BERTH_PREFIX: 'Bad Prefix' });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems.join('\n');
    expect(problems).toMatch(/BERTH_NODE_CPU_MILLIS/);
    expect(problems).toMatch(/BERTH_PREFIX/);
  });
});

describe('parseLabels', () => {
  it('reads k=v pairs', () => {
    expect(parseLabels('zone=a, disk=ssd')).toEqual({ zone: 'a', disk: 'ssd' });
    expect(parseLabels(undefined)).toEqual({});
  });
});
