import { AgentEnv, loadEnv } from '@berth/config';
import { describeHost } from './registration.service';

const info = {
  name: 'engine-7',
  cpus: 4,
  memoryBytes: 8 * 1024 * 1024 * 1024,
  labels: { 'berth.host': 'h7', zone: 'engine-zone' },
  attributes: {
    os: 'linux',
    ostype: 'linux',
    operatingsystem: 'Debian',
    architecture: 'x86_64',
    kernelversion: '6.1',
    storagedriver: 'overlay2',
  },
};

describe('describeHost', () => {
  it("offers Docker's figures less the reserve, named after the engine's berth.host label", () => {
    const host = describeHost(loadEnv(AgentEnv, {}), info);
    expect(host.nodeId).toBe('h7');
    expect(host.capacity).toEqual({ cpuMillis: 4000 - 100, memoryMiB: 8192 - 256 });
  });

  it('takes overrides as they are, and operator labels over engine labels over built-ins', () => {
    const env = loadEnv(AgentEnv, {
      BERTH_NODE_ID: 'rack1-07',
      BERTH_NODE_CPU_MILLIS: '2000',
      BERTH_NODE_MEMORY_MIB: '1024',
      BERTH_NODE_LABELS: 'zone=a,os=custom',
    });
    const host = describeHost(env, info);
    expect(host.nodeId).toBe('rack1-07');
    expect(host.capacity).toEqual({ cpuMillis: 2000, memoryMiB: 1024 });
    expect(host.labels).toMatchObject({ zone: 'a', os: 'custom', storagedriver: 'overlay2', 'berth.host': 'h7' });
  });

  it('falls back to the engine name and never offers less than nothing', () => {
    const host = describeHost(loadEnv(AgentEnv, { BERTH_NODE_RESERVE_MEMORY_MIB: '100000' }), { ...info, labels: {} });
    expect(host.nodeId).toBe('engine-7');
    expect(host.capacity.memoryMiB).toBe(0);
  });
});
