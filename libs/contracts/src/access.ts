/**
 * Who may do what. A token belongs to one namespace and holds scopes:
 * - read: jobs, logs, nodes and queues (jobs of its namespace only);
 * - submit: create and delete jobs in its namespace;
 * - operate: cordon, uncordon, drain, dead letters;
 * - admin: tokens, and every namespace (implies the others).
 */
export const SCOPES = ['read', 'submit', 'operate', 'admin'] as const;
export type Scope = (typeof SCOPES)[number];

/** The namespace of jobs submitted by the admin token, and of jobs recorded before namespaces existed. */
export const DEFAULT_NAMESPACE = 'default';

/** Like a Kubernetes namespace name: lower-case letters, digits and '-', starting with a letter. */
export const NAMESPACE_NAME = /^[a-z][a-z0-9-]{0,62}$/;

/** A token as Berth keeps it: never its secret, only the secret's hash (kept apart, see TokenRepository). */
export interface TokenRecord {
  id: string;
  name: string;
  namespace: string;
  scopes: Scope[];
  createdAt: string;
  /** null: never expires. */
  expiresAt: string | null;
}

/** What a request may do, once its token is known. */
export interface Principal {
  tokenId: string;
  namespace: string;
  scopes: readonly Scope[];
}

export function hasScope(principal: Principal, scope: Scope): boolean {
  return principal.scopes.includes('admin') || principal.scopes.includes(scope);
}

/** Whether a principal may see a job of this namespace (admins see every namespace). */
export function canSee(principal: Principal, namespace: string): boolean {
  return principal.namespace === namespace || principal.scopes.includes('admin');
}

/** A job's name is unique within its namespace: the key under which Berth claims it. */
export function qualifiedName(namespace: string, name: string): string {
  return `${namespace}/${name}`;
}
