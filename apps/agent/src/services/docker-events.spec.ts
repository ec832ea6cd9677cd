import { parseDockerEvent, splitEventLines } from './docker-events.service';

describe("reading Docker's event stream", () => {
  it('keeps a partial line for the next chunk and returns whole ones', () => {
    const first = splitEventLines('', '{"Action":"die"}\n{"Act');
    expect(first).toEqual({ lines: ['{"Action":"die"}'], pending: '{"Act', dropped: 0 });
    expect(splitEventLines(first.pending, 'ion":"start"}\n\n')).toEqual({
      lines: ['{"Action":"start"}'],
      pending: '',
      dropped: 0,
    });
  });

  it('drops a line longer than the cap instead of buffering it for ever', () => {
    const split = splitEventLines('', 'x'.repeat(50), 16);
    expect(split).toEqual({ lines: [], pending: '', dropped: 1 });
    expect(splitEventLines('', `${'y'.repeat(20)}\n{"a":1}\n`, 16)).toEqual({
      lines: ['{"a":1}'],
      pending: '',
      dropped: 1,
    });
  });

  it.each(['not json', 'null', '[1,2]', '42', '"text"', '{"Actor":{"Attributes":5}}', '{"Actor":{"Attributes":null}}'])(
    'skips %s instead of throwing',
    (line) => {
      expect(parseDockerEvent(line)).toBeNull();
    },
  );

  it('reads a die event', () => {
    expect(parseDockerEvent('{"Action":"die","time":5,"Actor":{"ID":"c1","Attributes":{"exitCode":"3"}}}')).toEqual({
      Action: 'die',
      time: 5,
      Actor: { ID: 'c1', Attributes: { exitCode: '3' } },
    });
  });
});
