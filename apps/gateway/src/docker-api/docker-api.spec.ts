import { jobSpecFrom, JobRecord } from '@berth/contracts';
import { sinceOf } from '../jobs/container-logs';
import { containerSummary, dockerIdOf, dockerStateOf, dockerStatusOf, matchesFilters } from './container-view';
import { queryFilters } from './docker-http';
import { imageOf } from './image.routes';

function job(overrides: Partial<JobRecord> = {}): JobRecord {
  return {
    id: '3a8e5f46-bd59-44d3-9894-55f8bd87b1cf',
    namespace: 'default',
    status: 'running',
    spec: jobSpecFrom({ image: 'berth/busybox:latest', name: 'web', cmd: ['sleep', '60'], labels: { team: 'ml' } }),
    node: 'h2',
    containerId: 'c3c281f16a9771e056b272421bee4dbea9499a797d9866c1c143730f59f407ca',
    reason: null,
    exitCode: null,
    progress: null,
    verdicts: null,
    group: null,
    createdAt: '2026-12-04T03:00:00.000Z',
    updatedAt: '2026-12-04T03:00:01.000Z',
    history: [
      { status: 'queued', at: '2026-12-04T03:00:00.000Z' },
      { status: 'running', at: '2026-12-04T03:00:01.000Z' },
    ],
    ...overrides,
  };
}

describe('the Engine API view of a job', () => {
  it('shows a container as docker ps decodes it: numbers as numbers, names as /<host>/<name>', () => {
    const summary = containerSummary(job(), Date.parse('2026-12-04T03:00:06.000Z'));
    expect(summary).toMatchObject({
      Id: job().containerId,
      Names: ['/h2/web'],
      Command: 'sleep 60',
      Created: Date.parse('2026-12-04T03:00:00.000Z') / 1000,
      State: 'running',
      Status: 'Up 5 seconds',
    });
  });

  it('gives a job without a container yet a stable 64-hex id', () => {
    const queued = job({ status: 'queued', node: null, containerId: null });
    expect(dockerIdOf(queued)).toMatch(/^[0-9a-f]{64}$/);
    expect(dockerIdOf(queued)).toBe(dockerIdOf({ ...queued }));
    expect(dockerStateOf(queued)).toBe('created');
  });

  it('tells a container that exited from a job that never ran one', () => {
    const exited = job({ status: 'failed', exitCode: 3, containerId: null });
    expect(dockerStateOf(exited)).toBe('exited');
    expect(dockerStatusOf(exited, Date.parse('2026-12-04T03:02:00.000Z'))).toMatch(/^Exited \(3\)/);
    expect(dockerStateOf(job({ status: 'failed', exitCode: null, containerId: null, reason: 'no such image' }))).toBe(
      'dead',
    );
  });

  it('filters as the Engine API does: any value within a filter, every filter', () => {
    const web = job();
    const filters = (json: object) => queryFilters(new URLSearchParams({ filters: JSON.stringify(json) }));
    expect(matchesFilters(web, filters({ label: { 'team=ml': true } }))).toBe(true);
    expect(matchesFilters(web, filters({ label: { team: true } }))).toBe(true);
    expect(matchesFilters(web, filters({ label: { 'team=other': true } }))).toBe(false);
    expect(matchesFilters(web, filters({ name: { we: true }, status: { running: true } }))).toBe(true);
    expect(matchesFilters(web, filters({ name: { web: true }, status: { exited: true } }))).toBe(false);
    expect(matchesFilters(web, filters({ id: { c3c281: true } }))).toBe(true);
    expect(matchesFilters(web, filters({ status: ['exited', 'running'] }))).toBe(true);
  });

  it('refuses filters that are not what the CLI sends', () => {
    expect(() => queryFilters(new URLSearchParams({ filters: '{not json' }))).toThrow(/filters must be JSON/);
    expect(() => queryFilters(new URLSearchParams({ filters: '{"label": 3}' }))).toThrow(/filters.label/);
  });
});

describe('names the CLI sends', () => {
  it("turns docker pull's fromImage and tag into the image a job names", () => {
    expect(imageOf('docker.io/library/busybox', 'latest')).toBe('busybox:latest');
    expect(imageOf('docker.io/team/app', '1.2')).toBe('team/app:1.2');
    expect(imageOf('127.0.0.1:5000/berth/pulled', '7')).toBe('127.0.0.1:5000/berth/pulled:7');
    expect(imageOf('busybox', 'sha256:' + 'a'.repeat(64))).toBe(`busybox@sha256:${'a'.repeat(64)}`);
    expect(imageOf('busybox', null)).toBe('busybox');
  });

  it("turns a log entry's timestamp into Docker's since, nanoseconds kept", () => {
    expect(sinceOf('2026-12-04T03:30:00.123456789Z')).toBe(`${Date.parse('2026-12-04T03:30:00Z') / 1000}.123456789`);
  });
});
