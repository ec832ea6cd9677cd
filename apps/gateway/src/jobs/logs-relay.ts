import { AgentCommand, decodeLogsReply, LOGS_CHUNK_BYTES, LogsReply } from '@berth/contracts';
import { RequestReply } from '@berth/messaging';
import { PassThrough, Readable } from 'node:stream';

export type LogsAnswer =
  | { type: 'logs-unavailable'; error: string }
  /** The output streams through `body` as the host's chunks arrive; `droppedBytes` were left out at its front. */
  | { type: 'logs'; droppedBytes: number; body: Readable };

/**
 * Asks a host's agent for a container's output and relays its chunks, in order, into a stream as they come: the
 * gateway holds no more of it than the chunks not yet written out. Resolves with the first reply (so an answer's
 * status is known before its body); a host that stops answering mid-way ends the stream with an error.
 */
export function relayLogs(
  requests: RequestReply,
  nodeId: string,
  request: Extract<AgentCommand, { type: 'fetch-logs' }>,
): Promise<LogsAnswer> {
  const body = new PassThrough();
  let next = 0;
  return new Promise<LogsAnswer>((resolve, reject) => {
    const first = (reply: LogsReply) =>
      resolve(reply.type === 'logs-unavailable' ? reply : { type: 'logs', droppedBytes: reply.droppedBytes, body });
    requests
      .streamFromHost(nodeId, request, (raw) => {
        const reply = decodeLogsReply(raw);
        if (next === 0) {
          first(reply);
        }
        if (reply.type === 'logs-unavailable') {
          if (next > 0) {
            throw new Error(`host ${nodeId} could not read the rest of the logs: ${reply.error}`);
          }
          return true;
        }
        // The host was asked for at most limitBytes: more chunks than that can carry is not an answer.
        if (reply.seq >= Math.ceil(request.limitBytes / LOGS_CHUNK_BYTES) + 1) {
          throw new Error(`host ${nodeId} sent more logs than the ${request.limitBytes} bytes asked for`);
        }
        if (reply.seq !== next) {
          throw new Error(`host ${nodeId} sent logs chunk ${reply.seq} where ${next} was due`);
        }
        next++;
        // A client that went away destroyed the stream: the rest is read off the wire and let go.
        if (!body.destroyed) {
          body.write(reply.data);
          if (reply.last) {
            body.end();
          }
        }
        return reply.last;
      })
      .catch((err: unknown) => {
        const error = err instanceof Error ? err : new Error(String(err));
        if (next === 0) {
          reject(error);
        } else {
          body.destroy(error);
        }
      });
  });
}
