import { ManagementApi } from './management-api';

/** One queue as the broker counts it. Rates (messages/s) only where asked for: they cost the broker more. */
export interface BrokerQueue {
  name: string;
  messages: number;
  ready: number;
  unacked: number;
  consumers: number;
  publishRate: number | null;
  deliverRate: number | null;
}

/** A page of /api/queues, as the management API answers with paging. */
interface QueuePage {
  items: RawQueue[];
  page_count: number;
}

interface RawQueue {
  name: string;
  messages?: number;
  messages_ready?: number;
  messages_unacknowledged?: number;
  consumers?: number;
  message_stats?: { publish_details?: { rate: number }; deliver_get_details?: { rate: number } };
}

/** The management API's largest page. */
const PAGE_SIZE = 500;

function toBrokerQueue(raw: RawQueue): BrokerQueue {
  return {
    name: raw.name,
    messages: raw.messages ?? 0,
    ready: raw.messages_ready ?? 0,
    unacked: raw.messages_unacknowledged ?? 0,
    consumers: raw.consumers ?? 0,
    publishRate: raw.message_stats?.publish_details?.rate ?? null,
    deliverRate: raw.message_stats?.deliver_get_details?.rate ?? null,
  };
}

/**
 * Queue depths and consumers from RabbitMQ's management API, a page of 500 at a time, so thousands of hosts' queues
 * cost a few HTTP requests rather than a channel each (a connection has at most 2,047). The management API's counts
 * lag by up to its statistics interval (5 s by default).
 */
export class QueueStats {
  constructor(
    private readonly api: ManagementApi,
    private readonly vhost = '/',
  ) {}

  /**
   * Every queue whose name starts with `prefix`, name order, only the columns shown (no rates). Not
   * `disable_stats=true`: that form leaves out the consumer counts.
   */
  async list(prefix: string): Promise<BrokerQueue[]> {
    const vhost = encodeURIComponent(this.vhost);
    const name = encodeURIComponent(`^${prefix.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`);
    const queues: BrokerQueue[] = [];
    for (let page = 1; ; page++) {
      const answer = await this.api.get<QueuePage>(
        `/api/queues/${vhost}?page=${page}&page_size=${PAGE_SIZE}&name=${name}&use_regex=true&sort=name` +
          '&columns=name,messages,messages_ready,messages_unacknowledged,consumers',
      );
      queues.push(...(answer?.items ?? []).map(toBrokerQueue));
      if (!answer || page >= answer.page_count) {
        return queues;
      }
    }
  }

  /** One queue with its publish and deliver rates, or null when it does not exist. */
  async get(name: string): Promise<BrokerQueue | null> {
    const raw = await this.api.get<RawQueue>(
      `/api/queues/${encodeURIComponent(this.vhost)}/${encodeURIComponent(name)}`,
    );
    return raw ? toBrokerQueue(raw) : null;
  }
}
