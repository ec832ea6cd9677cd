import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

/**
 * A tiny image registry (Docker Registry HTTP API v2, read-only) on a loopback port, serving one image built from
 * the same busybox root filesystem as the test image plus a layer unique to this registry (so Docker really
 * downloads it instead of finding it on the host). Docker itself pulls from it, for real: this stands in for
 * Docker Hub, which this machine cannot reach, not for Docker. The unique layer is sent slowly so a test can
 * watch the pull's progress.
 */
export class TestRegistry {
  private server: Server | null = null;
  private readonly layer: Buffer;
  private readonly layerDigest: string;
  private readonly config: Buffer;
  private readonly configDigest: string;
  private readonly manifest: Buffer;
  private readonly manifestDigest: string;

  private readonly base: Buffer;
  private readonly baseDigest: string;

  constructor(
    rootfsTar: string,
    private readonly layerChunks = 10,
    private readonly chunkDelayMs = 300,
  ) {
    const baseTar = readFileSync(rootfsTar);
    this.base = gzipSync(baseTar);
    this.baseDigest = digest(this.base);
    // 256 KiB of random bytes in one file: a layer no host has seen, big enough to show progress.
    const uniqueTar = tarWithFile(`etc/berth-test-${randomBytes(6).toString('hex')}`, randomBytes(256 * 1024));
    this.layer = gzipSync(uniqueTar);
    this.layerDigest = digest(this.layer);
    this.config = Buffer.from(
      JSON.stringify({
        architecture: 'amd64',
        os: 'linux',
        config: { Cmd: ['/bin/sh'], Env: ['PATH=/bin'] },
        rootfs: { type: 'layers', diff_ids: [digest(baseTar), digest(uniqueTar)] },
      }),
    );
    this.configDigest = digest(this.config);
    this.manifest = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
        config: {
          mediaType: 'application/vnd.docker.container.image.v1+json',
          size: this.config.length,
          digest: this.configDigest,
        },
        layers: [
          {
            mediaType: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
            size: this.base.length,
            digest: this.baseDigest,
          },
          {
            mediaType: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
            size: this.layer.length,
            digest: this.layerDigest,
          },
        ],
      }),
    );
    this.manifestDigest = digest(this.manifest);
  }

  get layerBytes(): number {
    return this.layer.length;
  }

  async start(): Promise<number> {
    this.server = createServer((req, res) => {
      const url = req.url ?? '';
      if (url === '/v2/' || url === '/v2') {
        res.writeHead(200, { 'content-type': 'application/json', 'docker-distribution-api-version': 'registry/2.0' });
        return res.end('{}');
      }
      if (/\/manifests\//.test(url)) {
        res.writeHead(200, {
          'content-type': 'application/vnd.docker.distribution.manifest.v2+json',
          'docker-content-digest': this.manifestDigest,
          'content-length': this.manifest.length,
        });
        return res.end(req.method === 'HEAD' ? undefined : this.manifest);
      }
      if (url.endsWith(`/blobs/${this.baseDigest}`)) {
        res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': this.base.length });
        return res.end(req.method === 'HEAD' ? undefined : this.base);
      }
      if (url.endsWith(`/blobs/${this.configDigest}`)) {
        res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': this.config.length });
        return res.end(this.config);
      }
      if (url.endsWith(`/blobs/${this.layerDigest}`)) {
        res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': this.layer.length });
        if (req.method === 'HEAD') {
          return res.end();
        }
        const size = Math.ceil(this.layer.length / this.layerChunks);
        let sent = 0;
        const next = (): void => {
          res.write(this.layer.subarray(sent, sent + size));
          sent += size;
          if (sent >= this.layer.length) {
            res.end();
          } else {
            setTimeout(next, this.chunkDelayMs);
          }
        };
        return next();
      }
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ errors: [{ code: 'NAME_UNKNOWN', message: `not found: ${url}` }] }));
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return (this.server.address() as AddressInfo).port;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}

/** A tar archive holding one regular file (ustar header, content padded to 512 bytes, two empty blocks). */
function tarWithFile(name: string, content: Buffer): Buffer {
  const header = Buffer.alloc(512);
  header.write(name, 0, 100);
  header.write('0000644\0', 100);
  header.write('0000000\0', 108);
  header.write('0000000\0', 116);
  header.write(`${content.length.toString(8).padStart(11, '0')}\0`, 124);
  header.write(
    `${Math.floor(Date.now() / 1000)
      .toString(8)
      .padStart(11, '0')}\0`,
    136,
  );
  header.write('        ', 148);
  header.write('0', 156);
  header.write('ustar\0', 257);
  header.write('00', 263);
  let sum = 0;
  for (const byte of header) {
    sum += byte;
  }
  header.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
  const padding = Buffer.alloc((512 - (content.length % 512)) % 512);
  return Buffer.concat([header, content, padding, Buffer.alloc(1024)]);
}

function digest(data: Buffer): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

export const ROOTFS_TAR = join(__dirname, '..', '..', '.berth', 'busybox-rootfs.tar');
