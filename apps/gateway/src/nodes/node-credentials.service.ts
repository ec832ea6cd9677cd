import { GatewayEnv } from '@berth/config';
import { BrokerAccounts, Declarations, ManagementApi } from '@berth/messaging';
import { Inject, Injectable, Optional, ServiceUnavailableException } from '@nestjs/common';
import { problem } from '../common/problem';

/** What a new host's agent needs to run: its environment, credential included (shown this once). */
export interface AgentEnvironment {
  nodeId: string;
  /** The RabbitMQ user the agent logs in as; the control plane trusts its reports by it. */
  user: string;
  env: Record<'BERTH_AMQP_URL' | 'BERTH_NODE_ID' | 'BERTH_PREFIX', string>;
  /** The same, as the lines of an environment file (`/etc/berth/agent.env`, mode 0600). */
  envFile: string;
}

/** The broker as agents reach it: BERTH_AGENT_AMQP_URL, else the control plane's own URL without its credential. */
function agentBrokerUrl(env: GatewayEnv): URL {
  const url = new URL(env.BERTH_AGENT_AMQP_URL ?? env.BERTH_AMQP_URL);
  url.username = '';
  url.password = '';
  return url;
}

/**
 * Adds and revokes hosts: each host's agent gets a RabbitMQ user of its own, allowed only what that host needs
 * (see agentPermissions), and its queue is declared here, since the agent may declare nothing.
 */
@Injectable()
export class NodeCredentialsService {
  private readonly accounts: BrokerAccounts | null;

  constructor(
    private readonly env: GatewayEnv,
    private readonly declarations: Declarations,
    @Optional() @Inject(ManagementApi) management: ManagementApi | null,
  ) {
    this.accounts = management ? new BrokerAccounts(management, declarations.topology) : null;
  }

  /** A new credential for the host (any earlier one stops working), and the host's queue. */
  async provision(nodeId: string): Promise<AgentEnvironment> {
    const { user, password } = await this.required().provisionAgent(nodeId);
    await this.declarations.nodeQueue(nodeId);
    const url = agentBrokerUrl(this.env);
    url.username = encodeURIComponent(user);
    url.password = encodeURIComponent(password);
    const env = { BERTH_AMQP_URL: url.toString(), BERTH_NODE_ID: nodeId, BERTH_PREFIX: this.env.BERTH_PREFIX };
    const envFile = Object.entries(env)
      .map(([key, value]) => `${key}=${value}`)
      .join('\n');
    return { nodeId, user, env, envFile: `${envFile}\n` };
  }

  /** Locks the host's agent out; false when it had no credential. */
  revoke(nodeId: string): Promise<boolean> {
    return this.required().revokeAgent(nodeId);
  }

  private required(): BrokerAccounts {
    if (!this.accounts) {
      throw new ServiceUnavailableException(
        problem(503, 'hosts cannot be added: the gateway has no BERTH_RABBITMQ_MANAGEMENT_URL', []),
      );
    }
    return this.accounts;
  }
}
