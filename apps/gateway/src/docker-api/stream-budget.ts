import { Injectable } from '@nestjs/common';
import { DockerApiError } from './docker-http';

/** Answers that stay open while a container runs or an image pulls (wait, logs -f, attach, pull), per gateway. */
const MAX_OPEN_STREAMS = 512;

/** Counts the Engine API's long answers, so a crowd of them cannot grow without bound: beyond the cap, 503. */
@Injectable()
export class StreamBudget {
  private open = 0;

  async hold(run: () => Promise<void>): Promise<void> {
    if (this.open >= MAX_OPEN_STREAMS) {
      throw new DockerApiError(
        503,
        `this gateway already holds ${MAX_OPEN_STREAMS} open wait, logs, attach and pull streams`,
      );
    }
    this.open++;
    try {
      await run();
    } finally {
      this.open--;
    }
  }
}
