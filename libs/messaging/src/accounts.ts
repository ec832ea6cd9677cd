import { Topology } from '@berth/contracts';
import { randomBytes } from 'node:crypto';
import { ManagementApi } from './management-api';

/** Node ids a credential can be made for: the same rule as BERTH_NODE_ID (no regex or routing-key specials). */
export const NODE_ID = /^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,62}$/;

/** What a RabbitMQ user may do: resource permissions (regexes over names) and topic permissions on one exchange. */
export interface Permissions {
  configure: string;
  write: string;
  read: string;
  topic: { exchange: string; write: string; read: string };
}

function exactly(name: string): string {
  return `^${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`;
}

/**
 * What one host's agent may do, and nothing more (Kubernetes' NodeRestriction, on the broker): declare nothing;
 * read only its own host's queue; publish only to the reports exchange, and there only under its own node id
 * (outcomes, requests about its host, answers to the control plane). Direct reply-to needs no permission.
 */
export function agentPermissions(topology: Topology, nodeId: string): Permissions {
  const node = nodeId.replace(/\./g, '\\.');
  return {
    configure: '^$',
    write: exactly(topology.reports),
    read: exactly(topology.nodeQueue(nodeId)),
    topic: {
      exchange: topology.reports,
      // reportKey(nodeId, kind): `<nodeId>.outcome`, `<nodeId>.request`, `<nodeId>.reply.<queue>`.
      write: `^${node}\\.(outcome|request|reply\\..+)$`,
      read: '^$',
    },
  };
}

export interface AgentCredential {
  user: string;
  password: string;
}

/**
 * RabbitMQ users for hosts' agents, through the management API (`http://admin:secret@host:15672`): one user per
 * host, with `agentPermissions`. Deleting the user revokes the host: the broker closes its connections, and its
 * agent can no longer log in.
 */
export class BrokerAccounts {
  constructor(
    private readonly api: ManagementApi,
    private readonly topology: Topology,
    private readonly vhost = '/',
  ) {}

  /** Makes (or remakes, with a new password) the host's agent user; the old password stops working. */
  async provisionAgent(nodeId: string): Promise<AgentCredential> {
    const user = this.topology.agentUser(nodeId);
    const password = randomBytes(24).toString('base64url');
    const permissions = agentPermissions(this.topology, nodeId);
    await this.api.call('PUT', `/api/users/${encodeURIComponent(user)}`, { password, tags: '' });
    const vhost = encodeURIComponent(this.vhost);
    await this.api.call('PUT', `/api/permissions/${vhost}/${encodeURIComponent(user)}`, {
      configure: permissions.configure,
      write: permissions.write,
      read: permissions.read,
    });
    await this.api.call('PUT', `/api/topic-permissions/${vhost}/${encodeURIComponent(user)}`, permissions.topic);
    // A new password must lock out whoever held the old one: connections opened with it are closed.
    await this.closeConnectionsOf(user);
    return { user, password };
  }

  /** Deletes the host's agent user (its connections close); false when there was none. */
  async revokeAgent(nodeId: string): Promise<boolean> {
    const user = this.topology.agentUser(nodeId);
    const status = await this.api.call('DELETE', `/api/users/${encodeURIComponent(user)}`, undefined, [404]);
    await this.closeConnectionsOf(user);
    return status !== 404;
  }

  private async closeConnectionsOf(user: string): Promise<void> {
    const connections =
      (await this.api.get<Array<{ name: string; user: string }>>('/api/connections?columns=name,user')) ?? [];
    for (const connection of connections.filter((c) => c.user === user)) {
      await this.api.call('DELETE', `/api/connections/${encodeURIComponent(connection.name)}`, undefined, [404]);
    }
  }
}
