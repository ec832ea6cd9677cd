/** One Server-Sent Events frame as a client reads it. */
export interface SseFrame {
  id?: string;
  event?: string;
  data: string;
}

/** Parses one frame's lines (a block between blank lines); null for a block with no data (a comment, `retry:`). */
export function parseFrame(block: string): SseFrame | null {
  const frame: SseFrame = { data: '' };
  let hasData = false;
  for (const line of block.split('\n')) {
    const colon = line.indexOf(':');
    if (colon === 0) {
      continue; // a comment: the server's keep-alive
    }
    const field = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
    if (field === 'data') {
      frame.data = hasData ? `${frame.data}\n${value}` : value;
      hasData = true;
    } else if (field === 'id' || field === 'event') {
      frame[field] = value;
    }
  }
  return hasData ? frame : null;
}

/** The frames of an event stream's body, as they arrive. */
export async function* sseFrames(body: ReadableStream<Uint8Array>): AsyncGenerator<SseFrame> {
  const decoder = new TextDecoder();
  let buffer = '';
  for await (const chunk of body as unknown as AsyncIterable<Uint8Array>) {
    buffer += decoder.decode(chunk, { stream: true }).replace(/\r\n?/g, '\n');
    let end: number;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const frame = parseFrame(buffer.slice(0, end));
      buffer = buffer.slice(end + 2);
      if (frame) {
        yield frame;
      }
    }
  }
}
