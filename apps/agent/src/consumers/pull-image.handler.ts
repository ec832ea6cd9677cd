import { AgentCommand, PullImage, PullReply } from '@berth/contracts';
import { Delivery, MessageHandler, RequestReply } from '@berth/messaging';
import { AgentService } from '../services/agent.service';

/** A layer's Downloading and Extracting events are sent at most this often: Docker emits many per second. */
const PROGRESS_EVERY_MS = 1000;

/**
 * `docker pull` through the Engine API: pulls onto this host and answers whoever asked (the gateway) with
 * Docker's progress events, in order, then how it ended.
 */
export class PullImageHandler implements MessageHandler<AgentCommand, 'pull-image'> {
  readonly kind = 'pull-image';

  constructor(
    private readonly agent: AgentService,
    private readonly requests: RequestReply,
  ) {}

  async handle(request: PullImage, delivery: Delivery): Promise<void> {
    let seq = 0;
    // Docker's events come in a callback; the replies go out one after the other, in order.
    let sent: Promise<void> = Promise.resolve();
    const send = (reply: PullReply) => (sent = sent.then(() => this.requests.reply(delivery, reply)));
    const lastShown = new Map<string, number>();
    try {
      await this.agent.pullImage(request.image, (event) => {
        const layer = event.id ?? '';
        const status = event.status ?? '';
        if (/^(Downloading|Extracting|Waiting)$/.test(status)) {
          const now = Date.now();
          if (now - (lastShown.get(layer) ?? 0) < PROGRESS_EVERY_MS) {
            return;
          }
          lastShown.set(layer, now);
        }
        void send({
          type: 'pull-progress',
          seq: seq++,
          status: status.slice(0, 256),
          layer: layer.slice(0, 128),
          progress: (event.progress ?? '').slice(0, 256),
        });
      });
      await sent;
      await send({ type: 'pull-done', seq: seq++ });
    } catch (err) {
      await sent.catch(() => undefined);
      await send({ type: 'pull-failed', seq: seq++, error: (err as Error).message.slice(0, 4096) });
    }
  }
}
