import { Declarations } from '@berth/messaging';
import { NodeBooks } from '@berth/state';
import { Controller, Get } from '@nestjs/common';
import { RequireScope } from '../auth/access.decorators';

export interface QueueView {
  name: string;
  role: 'jobs' | 'outcomes' | 'dead-letters' | 'node';
  messages: number | null;
  consumers: number | null;
}

/** For operators: how much waits where, and who is consuming it. */
@Controller('v1/queues')
export class QueuesController {
  constructor(
    private readonly declarations: Declarations,
    private readonly nodes: NodeBooks,
  ) {}

  @Get()
  @RequireScope('read')
  async list(): Promise<{ items: QueueView[] }> {
    const t = this.declarations.topology;
    const queues: Array<Pick<QueueView, 'name' | 'role'>> = [
      { name: t.jobs, role: 'jobs' },
      { name: t.outcomes, role: 'outcomes' },
      { name: t.deadLetters, role: 'dead-letters' },
      ...(await this.nodes.list()).map((node) => ({ name: t.nodeQueue(node.id), role: 'node' as const })),
    ];
    const items = await Promise.all(
      queues.map(async (queue) => {
        const stats = await this.declarations.stats(queue.name);
        return { ...queue, messages: stats?.messages ?? null, consumers: stats?.consumers ?? null };
      }),
    );
    return { items };
  }
}
