import { aboutJob, JsonLogger, jsonLogger } from './logging';

function capture(level: 'info' | 'warn' = 'info') {
  const lines: Array<Record<string, unknown>> = [];
  const destination = { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) };
  return { lines, pino: jsonLogger('scheduler', level, destination) };
}

describe('JSON log lines', () => {
  it("writes Nest's logger calls as one JSON object a line, the context and a job's fields as fields", () => {
    const { lines, pino } = capture();
    const logger = new JsonLogger(pino);
    logger.log({ msg: 'job j1 unschedulable', ...aboutJob('j1', { node: 'h2', namespace: 'team' }) }, 'Placement');
    logger.warn('rabbitmq: reconnecting', 'Broker');
    expect(lines).toEqual([
      expect.objectContaining({
        level: 'info',
        service: 'scheduler',
        context: 'Placement',
        msg: 'job j1 unschedulable',
        jobId: 'j1',
        node: 'h2',
        namespace: 'team',
        time: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      }),
      expect.objectContaining({ level: 'warn', context: 'Broker', msg: 'rabbitmq: reconnecting' }),
    ]);
  });

  it("keeps an error's stack, leaves out what is below the level, and never writes a token", () => {
    const { lines, pino } = capture('warn');
    const logger = new JsonLogger(pino);
    logger.log('not shown');
    logger.error('stop failed', 'Error: boom\n    at x', 'Agent');
    pino.warn({ req: { headers: { authorization: 'Bearer berth_secret' } } }, 'a refused request');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatchObject({
      level: 'error',
      msg: 'stop failed',
      stack: 'Error: boom\n    at x',
      context: 'Agent',
    });
    expect(JSON.stringify(lines[1])).not.toContain('berth_secret');
  });

  it('gives a job only the fields it has', () => {
    expect(aboutJob('j1')).toEqual({ jobId: 'j1' });
    expect(aboutJob('j1', { node: null, namespace: 'default' })).toEqual({ jobId: 'j1', namespace: 'default' });
  });
});
